"""Request helpers shared by the credit tests."""

from tests.conftest import body
from tests.factories import auth


def record_violation(client, world, *, rule_code="R01", occurred_on="2026-03-08", villager=None, user=None, **extra):
    payload = {
        "villager_id": (villager or world.villager).id,
        "rule_code": rule_code,
        "occurred_on": occurred_on,
        "note": "村口违章搭建彩钢棚",
        "evidence_text": "现场照片两张",
        **extra,
    }
    return client.post("/api/v1/credit-entries", json=payload, headers=auth(user or world.cw1))


def my_credit(client, world, user=None) -> dict:
    response = client.get("/api/v1/me/credit", headers=auth(user or world.user))
    assert response.status_code == 200, response.get_data(as_text=True)
    return body(response)


def line_of(credit: dict, entry_id: int) -> dict:
    return next(line for line in credit["lines"] if line["event_id"] == entry_id)
