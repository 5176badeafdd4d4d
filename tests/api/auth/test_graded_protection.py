"""Graded protection (等保 2.0 level 3) for staff: password policy, first-sign-in change, TOTP with recovery codes,
one's own sign-ins with revoke, and idle expiry."""

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from backend import clock
from backend.extensions import db
from backend.models import AuditEntry, User
from tests.conftest import body, use_settings
from tests.factories import PASSWORD, auth, make_staff, make_village, make_villager, make_villager_user
from tests.factories.shops import make_shop

STRONG = "Qiaotou-Village-2026"


def login(client, username, password=PASSWORD, agent="pytest"):
    return client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}, headers={"User-Agent": agent}
    )


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Ab1!", "至少 10 位"),
        ("qiaotoucunmin", "三种"),
        ("Password123!", "常见"),
        ("Qwertyuiop1!", "常见"),
    ],
)
def test_weak_new_passwords_are_refused_with_the_reason(client, password, why):
    staff = make_staff("committee", username="dongcun-cw")
    response = client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": password}, headers=auth(staff)
    )
    assert response.status_code == 422
    assert any(why in problem for problem in body(response)["errors"]["new_password"])


def test_changing_my_password_ends_my_other_sign_ins(client):
    staff = make_staff("committee", username="dongcun-cw")
    other = login(client, "dongcun-cw").get_json()
    wrong = client.post(
        "/api/v1/auth/password", json={"current_password": "nope", "new_password": STRONG}, headers=auth(staff)
    )
    assert wrong.status_code == 401
    changed = client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": STRONG}, headers=auth(staff)
    )
    assert changed.status_code == 200
    assert client.post("/api/v1/auth/refresh", headers=bearer(other["refresh_token"])).status_code == 401
    assert login(client, "dongcun-cw", STRONG).status_code == 200
    assert db.session.execute(select(AuditEntry.action).where(AuditEntry.action == "user.password_change")).scalar()


def test_an_account_set_up_by_someone_else_changes_its_password_first(client):
    village = make_village()
    committee = make_staff("committee", village=village)
    shop = make_shop(village)
    made = client.post(
        f"/api/v1/shops/{shop.id}/shopkeepers",
        json={"username": "dc-shop", "password": "Dongcun-Shop-2026", "display_name": "王老板"},
        headers=auth(committee),
    )
    assert made.status_code == 201
    weak = client.post(
        f"/api/v1/shops/{shop.id}/shopkeepers",
        json={"username": "dc-shop2", "password": "12345678", "display_name": "x"},
        headers=auth(committee),
    )
    assert weak.status_code == 422 and "password" in body(weak)["errors"]
    first = login(client, "dc-shop", "Dongcun-Shop-2026").get_json()
    assert first["restriction"] == "password_change"
    refused = client.get(f"/api/v1/shops/{shop.id}", headers=bearer(first["access_token"]))
    assert refused.status_code == 403 and body(refused)["status"] == "password_change_required"
    changed = client.post(
        "/api/v1/auth/password",
        json={"current_password": "Dongcun-Shop-2026", "new_password": STRONG},
        headers=bearer(first["access_token"]),
    ).get_json()
    assert changed["restriction"] is None
    assert client.get(f"/api/v1/shops/{shop.id}", headers=bearer(changed["access_token"])).status_code == 200


@pytest.fixture
def totp_required(app, monkeypatch):
    use_settings(monkeypatch, app, totp_required_roles=("town_admin", "city_admin", "admin"))


def _enrol(client, username):
    tokens = login(client, username).get_json()
    assert tokens["restriction"] == "totp_setup"
    refused = client.get("/api/v1/villages", headers=bearer(tokens["access_token"]))
    assert refused.status_code == 403 and body(refused)["status"] == "second_factor_setup_required"
    setup = client.post("/api/v1/auth/totp/setup", headers=bearer(tokens["access_token"])).get_json()
    assert setup["otpauth_uri"].startswith("otpauth://totp/")
    secret = setup["secret"]
    bad = client.post("/api/v1/auth/totp/confirm", json={"code": "000000"}, headers=bearer(tokens["access_token"]))
    assert bad.status_code == 401
    code = pyotp.TOTP(secret).now()
    confirmed = client.post("/api/v1/auth/totp/confirm", json={"code": code}, headers=bearer(tokens["access_token"]))
    assert confirmed.status_code == 200
    return secret, confirmed.get_json()["recovery_codes"], tokens


def test_a_town_admin_sets_up_totp_before_anything_else_and_then_signs_in_with_it(client, totp_required, monkeypatch):
    town_admin = make_staff("town_admin", username="qt-town")
    secret, recovery, tokens = _enrol(client, "qt-town")
    assert len(recovery) == 10 and len(set(recovery)) == 10
    refreshed = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"])).get_json()
    assert refreshed["restriction"] is None
    assert client.get("/api/v1/villages", headers=bearer(refreshed["access_token"])).status_code == 200
    later = clock.now() + timedelta(seconds=90)  # the next step: the confirming code must not count again
    monkeypatch.setattr(clock, "now", lambda: later)
    challenge = login(client, "qt-town").get_json()
    assert challenge["second_factor_required"] is True and "access_token" not in challenge
    answer = {"mfa_token": challenge["mfa_token"]}
    wrong = client.post("/api/v1/auth/login/second-factor", json={**answer, "code": "123456"})
    assert wrong.status_code == 401 and body(wrong)["status"] == "second_factor_invalid"
    code = pyotp.TOTP(secret).at(later.timestamp())
    signed = client.post("/api/v1/auth/login/second-factor", json={**answer, "code": code})
    assert signed.status_code == 200 and signed.get_json()["user"]["id"] == town_admin.id
    replay = client.post("/api/v1/auth/login/second-factor", json={**answer, "code": code})
    assert replay.status_code == 401
    by_recovery = client.post("/api/v1/auth/login/second-factor", json={**answer, "recovery_code": recovery[0]})
    assert by_recovery.status_code == 200
    again = client.post("/api/v1/auth/login/second-factor", json={**answer, "recovery_code": recovery[0]})
    assert again.status_code == 401
    forged = client.post("/api/v1/auth/login/second-factor", json={"mfa_token": "forged", "code": code})
    assert forged.status_code == 401


def test_committee_members_need_no_second_factor_and_villagers_never_do(client, totp_required):
    make_staff("committee", username="cw")
    assert login(client, "cw").get_json()["restriction"] is None
    villager = make_villager_user(make_villager(make_village()))
    assert client.get("/api/v1/me", headers=auth(villager)).status_code == 200


def test_i_see_my_sign_ins_and_end_one(client):
    staff = make_staff("committee", username="cw")
    phone = login(client, "cw", agent="手机").get_json()
    office = login(client, "cw", agent="村委电脑").get_json()
    listed = client.get("/api/v1/auth/sessions", headers=bearer(office["access_token"])).get_json()
    assert [(s["user_agent"], s["current"]) for s in listed] == [("村委电脑", True), ("手机", False)]
    phone_id = next(s["id"] for s in listed if s["user_agent"] == "手机")
    other = make_staff("committee", username="someone-else")
    assert client.delete(f"/api/v1/auth/sessions/{phone_id}", headers=auth(other)).status_code == 404
    assert client.delete(f"/api/v1/auth/sessions/{phone_id}", headers=bearer(office["access_token"])).status_code == 204
    assert client.post("/api/v1/auth/refresh", headers=bearer(phone["refresh_token"])).status_code == 401
    remaining = client.get("/api/v1/auth/sessions", headers=bearer(office["access_token"])).get_json()
    assert [s["user_agent"] for s in remaining] == ["村委电脑"]
    assert db.session.get(User, staff.id).id == staff.id


def test_an_idle_staff_sign_in_ends_and_the_console_is_told_how_long_it_may_idle(client, monkeypatch):
    make_staff("committee", username="cw")
    tokens = login(client, "cw").get_json()
    assert tokens["idle_timeout_seconds"] == 30 * 60
    later = clock.now() + timedelta(minutes=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    idle = client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"]))
    assert idle.status_code == 401 and body(idle)["status"] == "sign_in_idle"


def test_villagers_stay_signed_in_however_long_they_idle(client, monkeypatch):
    villager = make_villager_user(make_villager(make_village()), openid="demo-x")
    tokens = client.post("/api/v1/auth/wechat-login", json={"code": "demo:x"}).get_json()
    assert tokens["idle_timeout_seconds"] is None and villager.id == tokens["user"]["id"]
    later = clock.now() + timedelta(days=3)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"])).status_code == 200
