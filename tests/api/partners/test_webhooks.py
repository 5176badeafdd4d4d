"""Outbound webhooks through the outbox: signed per Standard Webhooks, retried with backoff, logged, redelivered
by hand, and seen once by a receiver that deduplicates on webhook-id, after failures and a worker crash."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from werkzeug.wrappers import Response

from backend import clock
from backend.database import write_transaction
from backend.extensions import db
from backend.models import OutboxMessage, WebhookDelivery
from backend.services.access import Caller
from backend.services.credit.entries import record_violation
from backend.services.earning.awards import award_points
from backend.services.outbox import deliver_due
from backend.services.outbox import worker as outbox_worker
from tests.conftest import body
from tests.factories import auth, make_staff, make_town, make_village, make_villager
from tests.factories.activities import make_rule_set
from tests.factories.city import make_city, make_city_admin
from tests.factories.credit import make_credit_rule_set


class Receiver:
    """A governance platform's endpoint: checks every signature, processes each webhook-id once."""

    def __init__(self, httpserver):
        self.httpserver = httpserver
        self.secret = None
        self.fail_next = 0
        self.received: list[str] = []
        self.processed: dict[str, dict] = {}
        httpserver.expect_request("/hooks", method="POST").respond_with_handler(self.handle)

    @property
    def url(self) -> str:
        return self.httpserver.url_for("/hooks")

    def handle(self, request):
        try:
            event = Webhook(self.secret).verify(request.get_data(as_text=True), dict(request.headers))
        except WebhookVerificationError:
            return Response("bad signature", status=401)
        webhook_id = request.headers["webhook-id"]
        self.received.append(webhook_id)
        if self.fail_next:
            self.fail_next -= 1
            return Response("busy", status=503)
        self.processed.setdefault(webhook_id, event)
        return Response("", status=204)


@pytest.fixture
def hooks(app, httpserver):
    town = make_town(code="QT")
    village = make_village(town, code="QT01", name="东村")
    make_rule_set(village)
    city = make_city(town, code="CX")
    return {
        "village": village,
        "villager": make_villager(village),
        "town_admin": make_staff("town_admin", town=town),
        "city_admin": make_city_admin(city),
        "committee": make_staff("committee", village=village),
        "receiver": Receiver(httpserver),
        "town": town,
    }


def _subscribe(client, user, receiver, owner, types=("points.awarded",)):
    response = client.post(
        "/api/v1/webhook-subscriptions",
        json={"url": receiver.url, "event_types": list(types), "description": "治理平台", **owner},
        headers={**auth(user), "Idempotency-Key": f"sub-{owner}-{types}"},
    )
    assert response.status_code == 201, body(response)
    receiver.secret = response.get_json()["secret"]
    return response.get_json()["subscription"]


def _award(villager, key="vote-1"):
    with write_transaction() as session:
        award_points(
            session,
            villager=villager,
            activity_type="vote",
            facts={},
            on=clock.today(),
            source_type="poll",
            source_id=1,
            idempotency_key=key,
        )


def _later(monkeypatch, minutes):
    moment = clock.now() + timedelta(minutes=minutes)
    monkeypatch.setattr(clock, "now", lambda: moment)


def test_an_award_reaches_the_receiver_signed_and_is_logged(client, hooks):
    subscription = _subscribe(client, hooks["town_admin"], hooks["receiver"], {"town_id": hooks["town"].id})
    _award(hooks["villager"])
    assert deliver_due().outcomes["delivered"] == 1
    (event,) = hooks["receiver"].processed.values()
    assert event["type"] == "points.awarded" and event["village_code"] == "QT01"
    assert event["data"]["amount"] == 2 and event["data"]["villager_id"] == hooks["villager"].id
    assert "name" not in json.dumps(event["data"])
    log = client.get(
        f"/api/v1/webhook-subscriptions/{subscription['id']}/deliveries", headers=auth(hooks["town_admin"])
    ).get_json()["items"]
    assert [(d["event_type"], d["status_code"], d["ok"]) for d in log] == [("points.awarded", 204, True)]


def test_failures_are_retried_with_backoff_and_the_event_is_processed_once(client, hooks, monkeypatch):
    receiver = hooks["receiver"]
    _subscribe(client, hooks["town_admin"], receiver, {"town_id": hooks["town"].id})
    receiver.fail_next = 2
    _award(hooks["villager"])
    assert deliver_due().outcomes["retry"] == 1
    assert deliver_due().claimed == 0  # backing off: not due yet
    _later(monkeypatch, 10)
    assert deliver_due().outcomes["retry"] == 1
    _later(monkeypatch, 30)
    assert deliver_due().outcomes["delivered"] == 1
    assert len(receiver.received) == 3 and len(set(receiver.received)) == 1 and len(receiver.processed) == 1
    statuses = db.session.execute(select(WebhookDelivery.status_code).order_by(WebhookDelivery.id)).scalars().all()
    assert statuses == [503, 503, 204]


def test_a_worker_that_crashes_after_posting_sends_again_and_the_receiver_sees_it_once(client, hooks, monkeypatch):
    receiver = hooks["receiver"]
    _subscribe(client, hooks["town_admin"], receiver, {"town_id": hooks["town"].id})
    _award(hooks["villager"])

    def crash(_delivery):
        raise SystemExit("worker killed between the POST and marking it delivered")

    monkeypatch.setattr(outbox_worker, "mark_delivered", crash)
    with pytest.raises(SystemExit):
        deliver_due()
    monkeypatch.undo()
    assert db.session.execute(select(OutboxMessage.status)).scalar_one() == "pending"
    _later(monkeypatch, 60)  # the crashed worker's lease runs out
    assert deliver_due().outcomes["delivered"] == 1
    assert len(receiver.received) == 2 and len(set(receiver.received)) == 1 and len(receiver.processed) == 1


def test_manual_redelivery_uses_the_same_webhook_id(client, hooks):
    receiver = hooks["receiver"]
    subscription = _subscribe(client, hooks["town_admin"], receiver, {"town_id": hooks["town"].id})
    _award(hooks["villager"])
    deliver_due()
    message = db.session.execute(select(OutboxMessage)).scalar_one()
    path = f"/api/v1/webhook-subscriptions/{subscription['id']}/messages/{message.id}/redeliver"
    again = client.post(path, headers=auth(hooks["town_admin"]))
    assert again.status_code == 200 and again.get_json()["webhook_id"] == message.message_id
    assert deliver_due().outcomes["delivered"] == 1
    assert receiver.received == [message.message_id] * 2 and len(receiver.processed) == 1
    other = make_staff("town_admin", town=make_town(code="ELSE"))
    assert client.post(path, headers=auth(other)).status_code == 404


def test_a_city_subscription_hears_every_town_and_only_chosen_event_types(client, hooks):
    receiver = hooks["receiver"]
    _subscribe(client, hooks["city_admin"], receiver, {"city_id": hooks["city_admin"].city_id}, ("notice.published",))
    _award(hooks["villager"])
    make_credit_rule_set(hooks["village"])
    record_violation(
        caller=Caller.of(hooks["committee"]),
        villager=hooks["villager"],
        rule_code="R01",
        occurred_on=clock.today(),
        quantity=1,
        note=None,
        evidence_text="现场核实",
        file_ids=[],
    )
    deliver_due()
    assert [e["type"] for e in receiver.processed.values()] == ["notice.published"]
    assert next(iter(receiver.processed.values()))["data"]["rule_code"] == "R01"


def test_a_bad_signature_is_what_the_receiver_refuses(client, hooks):
    receiver = hooks["receiver"]
    _subscribe(client, hooks["town_admin"], receiver, {"town_id": hooks["town"].id})
    receiver.secret = "whsec_" + "QUJD" * 8  # the receiver holds another secret
    _award(hooks["villager"])
    assert deliver_due().outcomes["retry"] == 1
    assert receiver.processed == {}
    assert db.session.execute(select(WebhookDelivery.status_code)).scalar_one() == 401


def test_only_town_and_city_admins_manage_their_own_subscriptions(client, hooks):
    receiver = hooks["receiver"]
    subscription = _subscribe(client, hooks["town_admin"], receiver, {"town_id": hooks["town"].id})
    path = f"/api/v1/webhook-subscriptions/{subscription['id']}"
    assert client.get(path, headers=auth(hooks["city_admin"])).status_code == 200
    assert client.get(path, headers=auth(hooks["committee"])).status_code == 403
    stranger = make_staff("town_admin", town=make_town(code="ELSE"))
    assert client.get(path, headers=auth(stranger)).status_code == 404
    created = client.post(
        "/api/v1/webhook-subscriptions",
        json={"url": receiver.url, "event_types": ["points.awarded"], "town_id": hooks["town"].id},
        headers={**auth(stranger), "Idempotency-Key": "x"},
    )
    assert created.status_code == 404
    bad = client.post(
        "/api/v1/webhook-subscriptions",
        json={"url": "ftp://x", "event_types": ["everything"], "town_id": hooks["town"].id},
        headers={**auth(hooks["town_admin"]), "Idempotency-Key": "y"},
    )
    assert bad.status_code == 422 and set(body(bad)["errors"]) == {"url", "event_types"}
    off = client.patch(path, json={"is_active": False}, headers=auth(hooks["town_admin"]))
    assert off.get_json()["is_active"] is False
    _award(hooks["villager"])
    assert deliver_due().claimed == 0


def test_a_sale_and_a_level_change_are_announced(client, hooks):
    from backend.services.credit.state import current_state
    from backend.services.shops.pay_codes import issue_pay_code
    from backend.services.shops.redemption import redeem_points
    from tests.factories import make_villager_user
    from tests.factories.credit import make_credit_entry
    from tests.factories.shops import give_points, make_item, make_shop, make_shopkeeper

    receiver = hooks["receiver"]
    types = ("redemption.completed", "credit.level_changed")
    _subscribe(client, hooks["town_admin"], receiver, {"town_id": hooks["town"].id}, types)
    villager = hooks["villager"]
    user = make_villager_user(villager)
    shop = make_shop(hooks["village"])
    item = make_item(shop, price=10)
    give_points(villager, 50)
    code, _expires = issue_pay_code(caller=Caller.of(user))
    redeem_points(
        caller=Caller.of(make_shopkeeper(shop)),
        shop_id=shop.id,
        pay_code=code,
        items=[{"item_id": item.id, "quantity": 1}],
    )
    make_credit_rule_set(hooks["village"])
    with write_transaction() as session:
        current_state(session, villager.id, keep=True)  # the kept level: AA
    long_ago = clock.today() - timedelta(days=60)
    for _ in range(3):
        make_credit_entry(villager, rule_code="R01", occurred_on=long_ago)  # -150 in all: below AA
    deliver_due()
    sales = [e["data"] for e in receiver.processed.values() if e["type"] == "redemption.completed"]
    assert [(s["points"], s["villager_id"]) for s in sales] == [(10, villager.id)]
    changes = sorted(
        (e["data"]["from_level"], e["data"]["to_level"])
        for e in receiver.processed.values()
        if e["type"] == "credit.level_changed"
    )
    assert ("AA", "A") in changes and all(a != b for a, b in changes)
