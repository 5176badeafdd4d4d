"""Subscribe messages through the outbox, against the local fake WeChat server (pytest-httpserver)."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug import Response

from backend import clock
from backend.adapters.wechat import WeChatClient
from backend.database import write_transaction
from backend.extensions import db
from backend.models import Notification, OutboxMessage, SubscriptionGrant, WeChatAccessToken
from backend.services.notifications import Notice, notify
from backend.services.notifications.token_store import DatabaseTokenStore
from backend.services.outbox import claim_due, deliver_due
from backend.settings import current_settings
from tests.conftest import body, use_settings
from tests.factories import auth, make_staff, make_village, make_villager, make_villager_user

TEMPLATES = {"badge_earned": "TPL-BADGE", "claim_decided": "TPL-CLAIM"}
SEND = "/cgi-bin/message/subscribe/send"


@pytest.fixture
def wechat(app, httpserver, monkeypatch):
    """The fake WeChat: hands out tokens T1, T2, ... and records every subscribe message it receives."""
    use_settings(monkeypatch, app, wechat_api_base=httpserver.url_for(""), wechat_subscribe_templates=TEMPLATES)
    app.extensions.pop("wechat_clients", None)
    state = {"tokens": 0, "sent": [], "answers": []}

    def token(_request):
        state["tokens"] += 1
        return Response(
            json.dumps({"access_token": f"T{state['tokens']}", "expires_in": 7200}), mimetype="application/json"
        )

    def send(request):
        answer = state["answers"].pop(0) if state["answers"] else {"errcode": 0, "errmsg": "ok"}
        if answer["errcode"] == 0:
            state["sent"].append({"token": request.args["access_token"], **json.loads(request.get_data())})
        return Response(json.dumps(answer), mimetype="application/json")

    httpserver.expect_request("/cgi-bin/stable_token", method="POST").respond_with_handler(token)
    httpserver.expect_request(SEND, method="POST").respond_with_handler(send)
    return state


@pytest.fixture
def villager(app):
    village = make_village()
    person = make_villager(village, name="王大明")
    user = make_villager_user(person, openid="o-wang")
    return person, user


def grant(user, template_id="TPL-BADGE", n=1):
    with write_transaction() as session:
        for _ in range(n):
            session.add(SubscriptionGrant(village_id=user.village_id, user_id=user.id, template_id=template_id))


def tell(person, kind="badge_earned", title="获得勋章", body_text="恭喜获得「初次签到」勋章"):
    with write_transaction() as session:
        return notify(
            session, Notice(villager_id=person.id, village_id=person.village_id, kind=kind, title=title, body=body_text)
        )


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_one_grant_carries_one_message_to_wechat(wechat, villager):
    person, user = villager
    grant(user)
    tell(person)
    tell(person, body_text="第二条：没有授权了")
    assert count(Notification) == 2 and count(OutboxMessage) == 1
    assert deliver_due().outcomes == {"delivered": 1}
    (sent,) = wechat["sent"]
    assert (sent["touser"], sent["template_id"], sent["token"]) == ("o-wang", "TPL-BADGE", "T1")
    assert sent["data"]["thing1"] == {"value": "获得勋章"}
    assert sent["data"]["thing2"]["value"] == "恭喜获得「初次签到」勋章"
    assert sent["data"]["time3"]["value"].count(":") == 1
    assert db.session.execute(select(SubscriptionGrant.used_at)).scalar_one() is not None


def test_a_kind_without_template_or_a_villager_without_grant_gets_only_the_in_app_notification(wechat, villager):
    person, user = villager
    grant(user, "TPL-CLAIM")
    tell(person, kind="points_expiring", title="积分即将到期")
    tell(person)  # badge template configured, but no grant of it
    assert count(Notification) == 2 and count(OutboxMessage) == 0


def test_43101_user_refused_dead_letters_the_message(wechat, villager):
    person, user = villager
    grant(user)
    tell(person)
    wechat["answers"].append({"errcode": 43101, "errmsg": "user refuse to accept the msg"})
    assert deliver_due().outcomes == {"dead": 1}
    message = db.session.execute(select(OutboxMessage)).scalar_one()
    assert "43101" in message.last_error and wechat["sent"] == []


def test_40001_expired_token_is_refreshed_and_the_message_sent_once(wechat, villager):
    person, user = villager
    grant(user)
    tell(person)
    wechat["answers"].append({"errcode": 40001, "errmsg": "invalid credential"})
    assert deliver_due().outcomes == {"delivered": 1}
    assert [s["token"] for s in wechat["sent"]] == ["T2"]
    assert db.session.execute(select(WeChatAccessToken.access_token)).scalar_one() == "T2"


def test_wechat_down_retries_later_then_delivers(wechat, villager, monkeypatch):
    person, user = villager
    grant(user)
    tell(person)
    wechat["answers"].append({"errcode": -1, "errmsg": "system busy"})
    assert deliver_due().outcomes == {"retry": 1}
    moment = clock.now() + timedelta(minutes=5)
    monkeypatch.setattr(clock, "now", lambda: moment)
    assert deliver_due().outcomes == {"delivered": 1}
    assert len(wechat["sent"]) == 1


def test_crash_between_commit_and_send_redelivers_without_loss_or_duplicate(app, wechat, villager, monkeypatch):
    person, user = villager
    grant(user)
    tell(person)  # committed with its grant and its outbox message
    claim_due(batch=10, lease_seconds=60)  # a worker claims it and dies before sending
    db.session.remove()
    assert deliver_due().claimed == 0 and wechat["sent"] == []
    moment = clock.now() + timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: moment)
    assert deliver_due().outcomes == {"delivered": 1}
    assert deliver_due().claimed == 0
    assert len(wechat["sent"]) == 1


def test_the_access_token_is_shared_by_processes_through_the_database(app, wechat):
    base = current_settings().wechat_api_base
    first = WeChatClient("wx-test-app", "secret", base_url=base, token_store=DatabaseTokenStore())
    second = WeChatClient("wx-test-app", "secret", base_url=base, token_store=DatabaseTokenStore())
    assert first.get_access_token() == "T1"
    assert second.get_access_token() == "T1"
    assert wechat["tokens"] == 1


def test_the_shared_token_is_refreshed_before_it_expires(app, wechat):
    now = [1_000_000.0]
    client = WeChatClient(
        "wx-test-app",
        "secret",
        base_url=current_settings().wechat_api_base,
        token_store=DatabaseTokenStore(),
        clock=lambda: now[0],
    )
    assert client.get_access_token() == "T1"
    now[0] += 7200 - 299  # within five minutes of WeChat's expiry
    other = WeChatClient(
        "wx-test-app",
        "secret",
        base_url=current_settings().wechat_api_base,
        token_store=DatabaseTokenStore(),
        clock=lambda: now[0],
    )
    assert other.get_access_token() == "T2"
    assert wechat["tokens"] == 2


# --- POST /api/v1/me/subscriptions -----------------------------------------------------------------------


def subscribe(client, user, results, key="k-1"):
    return client.post(
        "/api/v1/me/subscriptions",
        json={"results": results},
        headers={**auth(user), "Idempotency-Key": key},
    )


def test_accepted_templates_become_grants_and_a_retry_adds_none(client, wechat, villager):
    _person, user = villager
    answer = {"TPL-BADGE": "accept", "TPL-CLAIM": "reject"}
    first = subscribe(client, user, answer)
    assert first.status_code == 200
    assert body(first)["accepted"] == ["TPL-BADGE"]
    remaining = {t["kind"]: t["remaining"] for t in body(first)["templates"]}
    assert remaining == {"badge_earned": 1, "claim_decided": 0}
    again = subscribe(client, user, answer)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert count(SubscriptionGrant) == 1
    assert body(subscribe(client, user, {"TPL-BADGE": "accept"}, key="k-2"))["templates"][0]["remaining"] == 2


@pytest.mark.parametrize(
    ("results", "field"),
    [({"TPL-OTHER": "accept"}, "TPL-OTHER"), ({"TPL-BADGE": "maybe"}, "TPL-BADGE"), ({}, "results")],
)
def test_unknown_templates_and_answers_are_refused(client, wechat, villager, results, field):
    response = subscribe(client, villager[1], results)
    assert response.status_code == 422 and field in body(response)["errors"]
    assert count(SubscriptionGrant) == 0


def test_subscriptions_need_a_key_and_a_bound_villager(client, wechat, villager):
    response = client.post(
        "/api/v1/me/subscriptions", json={"results": {"TPL-BADGE": "accept"}}, headers=auth(villager[1])
    )
    assert response.status_code == 400
    assert subscribe(client, make_villager_user(), {"TPL-BADGE": "accept"}).status_code == 403
    staff = make_staff("committee", village=make_village())
    assert subscribe(client, staff, {"TPL-BADGE": "accept"}).status_code == 403
