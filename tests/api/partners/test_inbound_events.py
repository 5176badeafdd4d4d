"""Signed events from the governance platform: mapped to activities, booked once, and every refusal audited."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from backend.extensions import db
from backend.models import AuditEntry, EventMapping, InboundEvent, PointAward, Transfer
from backend.services.ledger.balances import villager_balance
from tests.conftest import body, use_settings
from tests.factories import auth, make_staff, make_town, make_village, make_villager, make_villager_user, new_id_number
from tests.factories.activities import make_rule_set

SECRET = "whsec_" + base64.b64encode(b"governance-platform-test-secret!").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"a-secret-the-platform-never-had").decode()
ID_NUMBER = new_id_number()


@pytest.fixture
def platform(app, monkeypatch):
    use_settings(monkeypatch, app, governance_webhook_secrets=(SECRET,))
    village = make_village(make_town(), code="QT01", name="东村")
    make_rule_set(village)
    villager = make_villager(village, name="王大明", id_number=ID_NUMBER)
    committee = make_staff("committee", village=village)
    db.session.add_all(
        [
            EventMapping(
                village_id=village.id,
                event_type="volunteer.recorded",
                label="志愿服务",
                activity_type="checkin",
                facts={"event.kind": "volunteer"},
                fact_fields={"event.hours": "hours"},
            ),
            EventMapping(village_id=village.id, event_type="hazard.resolved", label="隐患整改", activity_type="photo"),
        ]
    )
    db.session.commit()
    return village, villager, committee


def event(**changes) -> dict:
    return {
        "type": "volunteer.recorded",
        "village_code": "QT01",
        "occurred_on": "2026-03-05",
        "person": {"id_number": ID_NUMBER},
        "data": {"hours": 5, "title": "河道清理"},
        **changes,
    }


def post(client, payload, *, event_id="evt_1", secret=SECRET, at=None, raw=None):
    data = raw if raw is not None else json.dumps(payload, ensure_ascii=False)
    moment = at or datetime.now(UTC)
    signature = Webhook(secret).sign(event_id, moment, data)
    headers = {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }
    return client.post("/api/v1/integrations/events", data=data.encode(), headers=headers)


def counts() -> tuple:
    return tuple(
        db.session.execute(select(func.count()).select_from(model)).scalar()
        for model in (InboundEvent, PointAward, Transfer)
    )


def refusals() -> list[str]:
    rows = db.session.execute(select(AuditEntry.after).where(AuditEntry.action == "integration.refused")).scalars()
    return [row["refusal"] for row in rows]


def test_a_mapped_event_is_booked_at_once_by_the_rule_in_force(client, platform):
    _village, villager, _committee = platform
    response = post(client, event())
    assert response.status_code == 200, body(response)
    booked = response.get_json()
    assert (booked["status"], booked["rule_code"], booked["points"]) == ("awarded", "P05", 4)
    assert booked["data"] == {"hours": 5, "title": "河道清理"}
    assert villager_balance(db.session, villager.id) == 4
    stored = db.session.execute(select(InboundEvent)).scalar_one()
    assert ID_NUMBER not in json.dumps(stored.data) and stored.facts == {"event.kind": "volunteer", "event.hours": 5}


def test_the_same_event_id_is_booked_once_and_answered_again(client, platform):
    _village, villager, _committee = platform
    first = post(client, event())
    again = post(client, event())
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert villager_balance(db.session, villager.id) == 4 and counts() == (1, 1, 1)
    other = post(client, event(data={"hours": 8}))
    assert other.status_code == 409 and body(other)["status"] == "event_id_reused"


def test_an_event_whose_rule_wants_a_reviewer_waits_for_the_committee(client, platform):
    _village, villager, committee = platform
    waiting = post(client, event(type="hazard.resolved", data={}), event_id="evt_h").get_json()
    assert (waiting["status"], waiting["rule_code"], waiting["points"]) == ("pending_review", "P01", None)
    queue = client.get("/api/v1/integration-events?status=pending_review", headers=auth(committee)).get_json()
    assert [e["event_id"] for e in queue["items"]] == ["evt_h"]
    too_much = client.post(
        f"/api/v1/integration-events/{waiting['id']}/approve", json={"amount": 9}, headers=auth(committee)
    )
    assert too_much.status_code == 422
    approved = client.post(
        f"/api/v1/integration-events/{waiting['id']}/approve", json={"amount": 3}, headers=auth(committee)
    )
    assert approved.status_code == 200 and approved.get_json()["points"] == 3
    assert villager_balance(db.session, villager.id) == 3
    twice = client.post(
        f"/api/v1/integration-events/{waiting['id']}/reject", json={"reason": "重复"}, headers=auth(committee)
    )
    assert twice.status_code == 409


def test_a_rejected_event_books_nothing(client, platform):
    _village, villager, committee = platform
    waiting = post(client, event(type="hazard.resolved", data={}), event_id="evt_r").get_json()
    rejected = client.post(
        f"/api/v1/integration-events/{waiting['id']}/reject", json={"reason": "照片与地点不符"}, headers=auth(committee)
    )
    assert rejected.get_json()["status"] == "rejected" and villager_balance(db.session, villager.id) == 0


@pytest.mark.parametrize(
    ("change", "status", "refusal"),
    [
        ({"secret": OTHER_SECRET}, 401, "webhook_signature_invalid"),
        ({"minutes": -6}, 401, "webhook_timestamp_out_of_window"),
        ({"minutes": 6}, 401, "webhook_timestamp_out_of_window"),
        ({"payload": event(village_code="NOPE")}, 422, "unknown_village"),
        ({"payload": event(type="fire.reported")}, 422, "unmapped_event_type"),
        ({"payload": event(person={"id_number": new_id_number()})}, 422, "unknown_person"),
        ({"payload": event(occurred_on="yesterday")}, 422, "event_invalid"),
        ({"payload": event(occurred_on="2999-01-01")}, 422, "event_invalid"),
        ({"raw": "{not json"}, 422, "event_invalid"),
    ],
)
def test_refusals_are_clear_write_nothing_and_are_audited(client, platform, change, status, refusal):
    change = dict(change)  # the parameter is shared by both databases' runs: never mutate it
    payload = change.pop("payload", event())
    if "minutes" in change:  # relative to now, not to when the tests were collected
        change["at"] = datetime.now(UTC) + timedelta(minutes=change.pop("minutes"))
    response = post(client, payload, **change)
    assert response.status_code == status and body(response)["status"] == refusal
    assert counts() == (0, 0, 0)
    assert refusals() == [refusal]
    audited = json.dumps(db.session.execute(select(AuditEntry.after)).scalars().all(), ensure_ascii=False)
    assert ID_NUMBER not in audited


def test_missing_or_garbled_signature_headers_are_refused(client, platform):
    bare = client.post("/api/v1/integrations/events", json=event())
    assert bare.status_code == 400 and body(bare)["status"] == "webhook_headers_missing"
    garbled = client.post(
        "/api/v1/integrations/events",
        json=event(),
        headers={"webhook-id": "x", "webhook-timestamp": "1", "webhook-signature": "v1"},
    )
    assert garbled.status_code == 401
    assert counts() == (0, 0, 0) and len(refusals()) == 2


def test_a_rotated_secret_is_accepted_beside_the_new_one(client, platform, app, monkeypatch):
    use_settings(monkeypatch, app, governance_webhook_secrets=(OTHER_SECRET, SECRET))
    assert post(client, event()).status_code == 200


def test_committee_edits_the_village_mapping(client, platform):
    village, villager, committee = platform
    mappings = [
        {
            "event_type": "patrol.done",
            "label": "平安巡逻",
            "activity_type": "checkin",
            "facts": {"event.kind": "patrol"},
        },
        {"event_type": "mediation.closed", "label": "调解成功", "activity_type": "manual"},
    ]
    path = f"/api/v1/villages/{village.id}/event-mappings"
    replaced = client.put(path, json={"mappings": mappings}, headers=auth(committee))
    assert replaced.status_code == 200
    assert [m["event_type"] for m in client.get(path, headers=auth(committee)).get_json()] == [
        "mediation.closed",
        "patrol.done",
    ]
    bad = client.put(
        path,
        json={"mappings": [{"event_type": "x", "activity_type": "teleport", "facts": {"villager.age": 99}}]},
        headers=auth(committee),
    )
    assert bad.status_code == 422 and "mappings" in body(bad)["errors"]
    other = make_village(make_town(), code="QT99")
    assert (
        client.put(
            f"/api/v1/villages/{other.id}/event-mappings", json={"mappings": []}, headers=auth(committee)
        ).status_code
        == 404
    )
    assert client.get(path, headers=auth(make_villager_user(villager))).status_code == 403
    assert db.session.execute(select(AuditEntry.action).where(AuditEntry.action == "event_mapping.replace")).scalar()
