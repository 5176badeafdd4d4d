"""The villager's points in /me and /me/ledger, committee adjustments, and the expiring-points list."""

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backend import clock
from backend.extensions import db
from backend.models import AuditEntry
from tests.conftest import body
from tests.factories import auth, make_staff, make_town, make_village, make_villager, make_villager_user
from tests.factories.ledger import balance, earn, spend


@pytest.fixture
def village(app):
    return make_village()


@pytest.fixture
def villager(village):
    return make_villager(village)


@pytest.fixture
def committee(village):
    return make_staff("committee", village=village)


def adjust(client, staff, villager_id, payload, key="", **headers):
    """POST an adjustment with `key` (a fresh one by default; None sends no header)."""
    if key is not None:
        headers["Idempotency-Key"] = key or f"adj-{uuid.uuid4()}"
    return client.post(
        f"/api/v1/villagers/{villager_id}/point-adjustments", json=payload, headers={**auth(staff), **headers}
    )


def test_me_shows_balance_and_points_expiring_soon(client, villager):
    soon = clock.today() + timedelta(days=10)
    earn(villager, 5, expires_on=soon)
    earn(villager, 8, expires_on=clock.today() + timedelta(days=200))
    data = body(client.get("/api/v1/me", headers=auth(make_villager_user(villager))))
    assert data["points"] == {"balance": 13, "expiring_soon": [{"amount": 5, "expires_on": soon.isoformat()}]}
    assert data["villager"]["name"] == "张三"


def test_unbound_user_has_no_points_in_me(client, app):
    data = body(client.get("/api/v1/me", headers=auth(make_villager_user())))
    assert data["bound"] is False
    assert data.get("points") is None


def test_my_ledger_pages_newest_first_with_running_balance_and_reasons(client, villager):
    earn(villager, 5, expires_on=date(2027, 12, 31), reason="参加环境整治，加 5 分")
    earn(villager, 3, rule_code="ZYFW", reason="志愿服务 1 小时")
    spend(villager, 6)
    headers = auth(make_villager_user(villager))
    first = body(client.get("/api/v1/me/ledger?limit=2", headers=headers))
    assert [(i["amount"], i["balance_after"], i["reason"]) for i in first["items"]] == [
        (-6, 2, "积分超市兑换"),
        (3, 8, "志愿服务 1 小时"),
    ]
    assert first["items"][0]["kind"] == "spend" and first["items"][0]["source_type"] == "redemption"
    second = body(client.get(f"/api/v1/me/ledger?limit=2&cursor={first['next_cursor']}", headers=headers))
    assert second["next_cursor"] is None
    [oldest] = second["items"]
    assert (oldest["amount"], oldest["balance_after"], oldest["rule_code"]) == (5, 5, "HJZZ")
    assert (oldest["expires_on"], oldest["source_type"], oldest["source_id"]) == ("2027-12-31", "submission", 7)
    assert oldest["time"]


def test_my_ledger_shows_only_my_entries(client, villager, village):
    neighbour = make_villager(village, name="李四")
    earn(neighbour, 9)
    earn(villager, 1)
    items = body(client.get("/api/v1/me/ledger", headers=auth(make_villager_user(villager))))["items"]
    assert [i["amount"] for i in items] == [1]


def test_my_ledger_is_empty_before_any_points(client, villager):
    data = body(client.get("/api/v1/me/ledger", headers=auth(make_villager_user(villager))))
    assert data == {"items": [], "next_cursor": None}


def test_my_ledger_refuses_a_bad_cursor(client, villager):
    earn(villager, 1)
    response = client.get("/api/v1/me/ledger?cursor=%%%", headers=auth(make_villager_user(villager)))
    assert response.status_code == 422 and body(response)["errors"] == {"cursor": ["分页游标无效。"]}


def test_staff_cannot_read_a_villager_ledger_as_me(client, committee):
    response = client.get("/api/v1/me/ledger", headers=auth(committee))
    assert response.status_code == 403 and body(response)["status"] == "forbidden"


def test_committee_adds_points_by_hand_and_it_is_audited(client, villager, committee):
    response = adjust(client, committee, villager.id, {"amount": 20, "reason": "补录三月志愿服务"})
    assert response.status_code == 201, response.get_data(as_text=True)
    data = body(response)
    assert (data["amount"], data["balance_after"], data["villager_id"], data["kind"]) == (20, 20, villager.id, "adjust")
    assert data["reason"] == "补录三月志愿服务"
    [entry] = db.session.execute(select(AuditEntry).where(AuditEntry.action == "points.adjust")).scalars().all()
    assert (entry.actor_id, entry.entity_id, entry.after["amount"]) == (committee.id, data["transfer_id"], 20)


def test_committee_deducts_points_by_hand(client, villager, committee):
    earn(villager, 10)
    data = body(adjust(client, committee, villager.id, {"amount": -4, "reason": "重复加分，扣回"}))
    assert (data["amount"], data["balance_after"]) == (-4, 6)
    assert balance(villager) == 6


def test_same_idempotency_key_replays_the_adjustment(client, villager, committee):
    first = body(adjust(client, committee, villager.id, {"amount": 20, "reason": "补录"}, key="k-1"))
    again = adjust(client, committee, villager.id, {"amount": 20, "reason": "补录"}, key="k-1")
    assert again.status_code == 201 and body(again)["transfer_id"] == first["transfer_id"]
    assert balance(villager) == 20
    assert len(db.session.execute(select(AuditEntry).where(AuditEntry.action == "points.adjust")).all()) == 1


def test_same_idempotency_key_with_another_amount_is_refused(client, villager, committee):
    adjust(client, committee, villager.id, {"amount": 20, "reason": "补录"}, key="k-1")
    response = adjust(client, committee, villager.id, {"amount": 30, "reason": "补录"}, key="k-1")
    assert response.status_code == 409 and body(response)["status"] == "idempotency_key_reused"
    assert balance(villager) == 20


def test_adjustment_without_idempotency_key_is_refused(client, villager, committee):
    response = adjust(client, committee, villager.id, {"amount": 20, "reason": "补录"}, key=None)
    assert response.status_code == 400
    assert body(response) == {
        "code": 400,
        "status": "idempotency_key_missing",
        "message": "缺少 Idempotency-Key 请求头。",
        "errors": {},
    }


def test_deducting_more_than_the_balance_is_refused(client, villager, committee):
    earn(villager, 3)
    response = adjust(client, committee, villager.id, {"amount": -5, "reason": "扣回"})
    assert response.status_code == 409
    assert body(response)["status"] == "insufficient_points"
    assert body(response)["message"] == "积分不足：余额 3 分，需要 5 分。"
    assert balance(villager) == 3


def test_insufficient_points_message_speaks_english_when_asked(client, villager, committee):
    response = adjust(client, committee, villager.id, {"amount": -5, "reason": "扣回"}, **{"Accept-Language": "en"})
    assert body(response)["message"] == "Not enough points: balance 0, needed 5."


def test_adjustment_needs_a_nonzero_amount_and_a_reason(client, villager, committee):
    zero = adjust(client, committee, villager.id, {"amount": 0, "reason": "无"})
    assert zero.status_code == 422 and body(zero)["errors"] == {"amount": ["调整的积分数不能为 0。"]}
    missing = adjust(client, committee, villager.id, {"amount": 5})
    assert missing.status_code == 422 and body(missing)["errors"] == {"reason": ["缺少必填字段。"]}
    blank = adjust(client, committee, villager.id, {"amount": 5, "reason": "   "})
    assert blank.status_code == 422 and body(blank)["errors"] == {"reason": ["请填写调整原因。"]}
    sneaky = adjust(client, committee, villager.id, {"amount": 5, "reason": "x", "balance": 999})
    assert sneaky.status_code == 422 and body(sneaky)["errors"] == {"balance": ["不认识的字段。"]}


def test_committee_of_another_village_gets_404(client, villager):
    stranger = make_staff("committee", village=make_village())
    response = adjust(client, stranger, villager.id, {"amount": 5, "reason": "补录"})
    assert response.status_code == 404 and body(response)["status"] == "not_found"
    assert balance(villager) == 0


def test_villagers_and_shopkeepers_cannot_adjust(client, villager, village):
    for user in (make_villager_user(villager), make_staff("shopkeeper", village=village)):
        response = adjust(client, user, villager.id, {"amount": 5, "reason": "给自己加分"})
        assert response.status_code == 403 and body(response)["status"] == "forbidden"
    assert balance(villager) == 0


def test_town_admin_adjusts_in_the_villages_of_their_town(client, villager, village):
    town_admin = make_staff("town_admin", town=village.town)
    assert adjust(client, town_admin, villager.id, {"amount": 5, "reason": "镇里补录"}).status_code == 201
    outsider = make_staff("town_admin", town=make_town())
    assert adjust(client, outsider, villager.id, {"amount": 5, "reason": "镇里补录"}, key="k2").status_code == 404


def test_expiring_points_lists_who_loses_how_much_soonest_first(client, village, villager, committee):
    today = clock.today()
    later = make_villager(village, name="李四")
    safe = make_villager(village, name="王五")
    earn(villager, 5, expires_on=today + timedelta(days=20))
    earn(villager, 4, expires_on=today + timedelta(days=25))
    earn(later, 7, expires_on=today + timedelta(days=2))
    earn(safe, 9, expires_on=today + timedelta(days=45))
    spend(villager, 2)
    response = client.get(f"/api/v1/villages/{village.id}/expiring-points", headers=auth(committee))
    assert response.status_code == 200
    assert body(response) == [
        {
            "villager_id": later.id,
            "name": "李四",
            "amount": 7,
            "first_expires_on": (today + timedelta(days=2)).isoformat(),
        },
        {
            "villager_id": villager.id,
            "name": "张三",
            "amount": 7,
            "first_expires_on": (today + timedelta(days=20)).isoformat(),
        },
    ]
    wider = body(client.get(f"/api/v1/villages/{village.id}/expiring-points?days=60", headers=auth(committee)))
    assert [row["name"] for row in wider] == ["李四", "张三", "王五"]


def test_expiring_points_are_for_staff_of_that_village(client, village, villager):
    url = f"/api/v1/villages/{village.id}/expiring-points"
    assert client.get(url, headers=auth(make_villager_user(villager))).status_code == 403
    other = client.get(url, headers=auth(make_staff("committee", village=make_village())))
    assert other.status_code == 404
    bad = client.get(url + "?days=0", headers=auth(make_staff("committee", village=village)))
    assert bad.status_code == 422 and "days" in body(bad)["errors"]
