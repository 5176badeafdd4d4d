"""The transactional outbox: a message commits with its cause, is delivered at least once, retried, dead-lettered."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend import clock
from backend.database import write_transaction
from backend.extensions import db
from backend.models import OutboxMessage, Town, Village
from backend.services.outbox import (
    HANDLERS,
    PermanentDeliveryError,
    RetryableDeliveryError,
    claim_due,
    deliver_due,
    enqueue_message,
    register_handler,
)
from tests.conftest import body, use_settings
from tests.factories import auth, make_staff, make_village, make_villager, make_villager_user
from tests.factories.engagement import make_dead_letter
from tests.factories.threads import run_threads


@pytest.fixture
def received(app):
    """A 'test.echo' handler that records each delivery; removed after the test."""
    seen = []
    register_handler("test.echo", seen.append)
    yield seen
    HANDLERS.pop("test.echo", None)


def enqueue(village=None, payload=None, kind="test.echo", dedupe_key=None) -> OutboxMessage:
    with write_transaction() as session:
        return enqueue_message(
            session,
            kind=kind,
            payload=payload or {"n": 1},
            village_id=village.id if village else None,
            dedupe_key=dedupe_key,
        )


def later(monkeypatch, **delta):
    moment = clock.now() + timedelta(**delta)
    monkeypatch.setattr(clock, "now", lambda: moment)


def status_of(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_a_message_commits_with_its_cause_and_disappears_with_its_rollback(app):
    town_id = make_village().town_id

    def cause_then_failure():
        with write_transaction() as session:
            session.add(Village(town_id=town_id, code="GONE", name="回滚村"))
            enqueue_message(session, kind="test.echo", payload={})
            raise RuntimeError("the cause fails after the message was written")

    with pytest.raises(RuntimeError):
        cause_then_failure()
    assert db.session.execute(select(func.count(OutboxMessage.id))).scalar_one() == 0
    assert db.session.execute(select(Village).where(Village.code == "GONE")).first() is None


def test_the_same_dedupe_key_makes_one_message(app):
    first = enqueue(dedupe_key="claim:1:approved")
    second = enqueue(dedupe_key="claim:1:approved")
    assert first.id == second.id
    assert db.session.execute(select(func.count(OutboxMessage.id))).scalar_one() == 1


def test_the_worker_delivers_once_with_the_stable_message_id(app, received):
    message = enqueue(payload={"hello": "村民"})
    report = deliver_due()
    assert report.outcomes == {"delivered": 1}
    assert [(d.message_id, d.payload, d.attempt) for d in received] == [(message.message_id, {"hello": "村民"}, 1)]
    assert status_of(message.id).status == "delivered"
    assert deliver_due().claimed == 0


def test_a_retryable_failure_backs_off_and_the_retry_keeps_the_message_id(app, monkeypatch):
    attempts = []

    def flaky(delivery):
        attempts.append(delivery)
        if len(attempts) == 1:
            raise RetryableDeliveryError("微信接口超时")

    register_handler("test.flaky", flaky)
    message = enqueue(kind="test.flaky")
    assert deliver_due().outcomes == {"retry": 1}
    stored = status_of(message.id)
    assert (stored.status, stored.attempts, stored.last_error) == ("pending", 1, "微信接口超时")
    wait = stored.next_attempt_at - clock.now()
    # First backoff: 10 s base, jittered to 50-100 %.
    assert timedelta(seconds=4) <= wait <= timedelta(seconds=10)
    assert deliver_due().claimed == 0  # not due yet
    later(monkeypatch, seconds=11)
    assert deliver_due().outcomes == {"delivered": 1}
    assert {d.message_id for d in attempts} == {message.message_id}
    assert [d.attempt for d in attempts] == [1, 2]
    HANDLERS.pop("test.flaky")


def test_backoff_grows_exponentially_and_the_last_attempt_dead_letters(app, monkeypatch):
    use_settings(monkeypatch, app, outbox_max_attempts=4)

    def refuse(_delivery):
        raise RetryableDeliveryError("busy")

    register_handler("test.busy", refuse)
    message = enqueue(kind="test.busy")
    waits = []
    for _ in range(3):
        assert deliver_due().outcomes == {"retry": 1}
        stored = status_of(message.id)
        waits.append((stored.next_attempt_at - clock.now()).total_seconds())
        later(monkeypatch, seconds=waits[-1] + 1)
    assert deliver_due().outcomes == {"dead": 1}
    assert status_of(message.id).status == "dead"
    assert 5 <= waits[0] <= 10 and 10 <= waits[1] <= 20 and 20 <= waits[2] <= 40
    HANDLERS.pop("test.busy")


def test_a_permanent_failure_dead_letters_at_once(app):
    def refused(_delivery):
        raise PermanentDeliveryError("43101 用户拒绝接受消息")

    register_handler("test.refused", refused)
    message = enqueue(kind="test.refused")
    assert deliver_due().outcomes == {"dead": 1}
    stored = status_of(message.id)
    assert (stored.status, stored.attempts, stored.last_error) == ("dead", 1, "43101 用户拒绝接受消息")
    HANDLERS.pop("test.refused")


def test_a_message_of_unknown_kind_is_dead_lettered(app):
    message = enqueue(kind="test.nobody")
    assert deliver_due().outcomes == {"dead": 1}
    assert "no handler" in status_of(message.id).last_error


def test_a_crash_between_commit_and_send_is_redelivered_after_the_lease_once(app, received, monkeypatch):
    message = enqueue()
    # A worker claims the message and dies before sending anything.
    crashed = claim_due(batch=10, lease_seconds=app.config["OUTBOX_LEASE_SECONDS"])
    assert [d.id for d in crashed] == [message.id]
    db.session.remove()
    assert deliver_due().claimed == 0  # the lease still holds: no second worker sends it meanwhile
    later(monkeypatch, seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
    assert deliver_due().outcomes == {"delivered": 1}
    assert [(d.message_id, d.attempt) for d in received] == [(message.message_id, 2)]
    assert deliver_due().claimed == 0


def test_a_late_answer_of_a_worker_whose_lease_ran_out_does_not_overrule_the_new_claim(app, monkeypatch):
    from backend.services.outbox.queue import RetryPolicy, mark_failed

    message = enqueue()
    (slow,) = claim_due(batch=1, lease_seconds=60)
    later(monkeypatch, seconds=61)
    (fresh,) = claim_due(batch=1, lease_seconds=60)
    mark_failed(slow, error="late", permanent=True, policy=RetryPolicy(8, 10, 3600))
    stored = status_of(message.id)
    assert (stored.status, stored.attempts) == ("pending", fresh.attempt)


@pytest.mark.slow
def test_two_workers_deliver_every_message_exactly_once(app):
    seen, lock = [], threading.Lock()

    def record(delivery):
        with lock:
            seen.append(delivery.message_id)

    register_handler("test.count", record)
    ids = [enqueue(kind="test.count", payload={"n": n}).message_id for n in range(30)]

    def work(_index):
        while deliver_due(batch=3).claimed:
            pass

    assert run_threads(app, 2, work) == []
    assert sorted(seen) == sorted(ids)
    HANDLERS.pop("test.count")


def test_flask_worker_once_delivers_and_reports(app, runner, received):
    enqueue()
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 delivered" in result.output
    assert len(received) == 1


# --- dead letters, for staff -------------------------------------------------------------------------------


def dead_message(village, kind="test.refused-api"):
    return make_dead_letter(village.id, kind=kind)


def test_committee_sees_its_village_dead_letters_only_and_retries_one(app, client, received):
    village, other = make_village(), make_village()
    mine, theirs = dead_message(village, kind="test.echo"), dead_message(other)
    committee = auth(make_staff("committee", village=village))
    listed = body(client.get("/api/v1/outbox/dead-letters", headers=committee))
    assert [item["id"] for item in listed["items"]] == [mine.id]
    item = listed["items"][0]
    assert item["last_error"] == "43101 用户拒绝接受消息" and item["message_id"] == mine.message_id
    assert item["created_at"].endswith("+08:00")
    assert client.post(f"/api/v1/outbox/dead-letters/{theirs.id}/retry", headers=committee).status_code == 404
    retried = client.post(f"/api/v1/outbox/dead-letters/{mine.id}/retry", headers=committee)
    assert retried.status_code == 200 and body(retried)["status"] == "pending" and body(retried)["attempts"] == 0
    again = client.post(f"/api/v1/outbox/dead-letters/{mine.id}/retry", headers=committee)
    assert again.status_code == 409 and body(again)["status"] == "not_dead_letter"
    assert deliver_due().outcomes == {"delivered": 1}
    assert [d.message_id for d in received] == [mine.message_id]


def test_town_admin_sees_the_dead_letters_of_its_villages_and_a_villager_none(app, client):
    village = make_village()
    message = dead_message(village)
    town = auth(make_staff("town_admin", town=db.session.get(Town, village.town_id)))
    assert [i["id"] for i in body(client.get("/api/v1/outbox/dead-letters", headers=town))["items"]] == [message.id]
    villager = auth(make_villager_user(make_villager(village)))
    assert client.get("/api/v1/outbox/dead-letters", headers=villager).status_code == 403
    assert client.post(f"/api/v1/outbox/dead-letters/{message.id}/retry", headers=villager).status_code == 403
    assert client.post("/api/v1/outbox/dead-letters/999999/retry", headers=town).status_code == 404
