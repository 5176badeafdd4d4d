"""Sign-in, token rotation and revocation, as a mini-program and the console see them."""

from datetime import UTC, datetime, timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token

from backend import create_app
from backend.api import auth_hooks
from tests.conftest import body, use_settings
from tests.factories import PASSWORD, make_staff, make_village, make_villager, make_villager_user, tokens_for


def login(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, code, status):
    data = body(response)
    assert response.status_code == code, data
    assert data["code"] == code
    assert data["status"] == status
    assert data["message"]
    assert isinstance(data["errors"], dict)
    return data


def test_staff_signs_in_with_password_and_sees_own_profile(client):
    staff = make_staff("committee", village=make_village(), username="cw1")
    response = login(client, "cw1")
    assert response.status_code == 200
    data = body(response)
    assert data["user"]["role"] == "committee"
    assert data["token_type"] == "Bearer"
    me = client.get("/api/v1/me", headers=bearer(data["access_token"]))
    assert body(me)["user"]["id"] == staff.id


def test_wrong_password_and_unknown_user_get_the_same_refusal(client):
    make_staff("committee", village=make_village(), username="cw1")
    wrong = assert_error(login(client, "cw1", "nope"), 401, "bad_credentials")
    unknown = assert_error(login(client, "ghost", "nope"), 401, "bad_credentials")
    assert wrong["message"] == unknown["message"] == "用户名或密码错误。"


def test_repeated_login_failures_are_rate_limited_even_with_the_right_password(client):
    make_staff("committee", village=make_village(), username="cw1")
    for _ in range(5):
        assert login(client, "cw1", "wrong").status_code == 401
    assert_error(login(client, "cw1"), 429, "too_many_requests")


def test_successful_logins_do_not_count_towards_the_limit(client):
    make_staff("committee", village=make_village(), username="cw1")
    for _ in range(8):
        assert login(client, "cw1").status_code == 200


def test_login_with_missing_fields_names_them(client):
    data = assert_error(client.post("/api/v1/auth/login", json={"username": "x"}), 422, "invalid_input")
    assert data["errors"] == {"password": ["缺少必填字段。"]}


def test_validation_messages_switch_to_english_on_request(client):
    response = client.post("/api/v1/auth/login", json={"username": "x"}, headers={"Accept-Language": "en"})
    data = assert_error(response, 422, "invalid_input")
    assert data["errors"] == {"password": ["Missing data for required field."]}
    assert data["message"] == "Invalid input: please check the fields marked."


def test_unknown_field_is_refused(client):
    response = client.post("/api/v1/auth/login", json={"username": "x", "password": "y", "role": "admin"})
    assert assert_error(response, 422, "invalid_input")["errors"] == {"role": ["不认识的字段。"]}


def test_demo_code_signs_in_offline_as_an_unbound_user(client):
    response = client.post("/api/v1/auth/wechat-login", json={"code": "demo:newcomer"})
    data = body(response)
    assert response.status_code == 200
    assert data["bound"] is False
    assert "session_key" not in response.get_data(as_text=True)


def test_demo_codes_are_refused_outside_demo_mode(app, client, httpserver, monkeypatch):
    use_settings(monkeypatch, app, demo_mode=False, wechat_api_base=httpserver.url_for(""))
    httpserver.expect_request("/sns/jscode2session").respond_with_json({"errcode": 40029, "errmsg": "invalid code"})
    response = client.post("/api/v1/auth/wechat-login", json={"code": "demo:qt01-0001"})
    assert_error(response, 401, "wechat_code_invalid")


def test_wechat_login_calls_code2session_and_keeps_session_key_on_the_server(app, client, httpserver, monkeypatch):
    use_settings(monkeypatch, app, demo_mode=False, wechat_api_base=httpserver.url_for(""))
    httpserver.expect_request(
        "/sns/jscode2session",
        query_string={
            "appid": "wx-test-app",
            "secret": "test-secret",
            "js_code": "c0de",
            "grant_type": "authorization_code",
        },
    ).respond_with_json({"openid": "o-123", "session_key": "SECRET-SESSION-KEY"})
    response = client.post("/api/v1/auth/wechat-login", json={"code": "c0de"})
    assert response.status_code == 200
    assert "SECRET-SESSION-KEY" not in response.get_data(as_text=True)
    assert body(response)["bound"] is False


def test_wechat_login_of_a_bound_user_says_so(app, client, httpserver, monkeypatch):
    use_settings(monkeypatch, app, demo_mode=False, wechat_api_base=httpserver.url_for(""))
    make_villager_user(make_villager(make_village()), openid="o-bound")
    httpserver.expect_request("/sns/jscode2session").respond_with_json({"openid": "o-bound", "session_key": "k"})
    assert body(client.post("/api/v1/auth/wechat-login", json={"code": "c"}))["bound"] is True


@pytest.mark.parametrize(
    ("answer", "code", "status"),
    [
        ({"errcode": 40029, "errmsg": "invalid code"}, 401, "wechat_code_invalid"),
        ({"errcode": 40163, "errmsg": "code been used"}, 401, "wechat_code_invalid"),
        ({"errcode": 45011, "errmsg": "api minute-quota reach limit"}, 429, "too_many_requests"),
        ({"errcode": -1, "errmsg": "system error"}, 503, "upstream_unavailable"),
        ({"errcode": 40226, "errmsg": "high risk user"}, 503, "upstream_unavailable"),
    ],
)
def test_wechat_error_codes_become_clear_answers(app, client, httpserver, answer, code, status, monkeypatch):
    use_settings(monkeypatch, app, demo_mode=False, wechat_api_base=httpserver.url_for(""))
    httpserver.expect_request("/sns/jscode2session").respond_with_json(answer)
    assert_error(client.post("/api/v1/auth/wechat-login", json={"code": "c"}), code, status)


def test_wechat_unreachable_is_503(app, client, monkeypatch):
    use_settings(monkeypatch, app, demo_mode=False, wechat_api_base="http://127.0.0.1:9")
    assert_error(client.post("/api/v1/auth/wechat-login", json={"code": "c"}), 503, "upstream_unavailable")


def test_refresh_rotates_and_reuse_of_a_spent_refresh_token_revokes_the_family(client):
    client_tokens = body(client.post("/api/v1/auth/wechat-login", json={"code": "demo:a"}))
    first_refresh = client_tokens["refresh_token"]
    rotated = client.post("/api/v1/auth/refresh", headers=bearer(first_refresh))
    assert rotated.status_code == 200
    second = body(rotated)
    assert second["refresh_token"] != first_refresh
    assert client.get("/api/v1/me", headers=bearer(second["access_token"])).status_code == 200
    # A thief replays the first refresh token: the whole sign-in dies, including the legitimate new tokens.
    assert_error(client.post("/api/v1/auth/refresh", headers=bearer(first_refresh)), 401, "token_revoked")
    assert_error(client.post("/api/v1/auth/refresh", headers=bearer(second["refresh_token"])), 401, "token_revoked")
    assert_error(client.get("/api/v1/me", headers=bearer(second["access_token"])), 401, "token_revoked")


def test_logout_revokes_access_and_refresh_tokens(client):
    tokens = body(client.post("/api/v1/auth/wechat-login", json={"code": "demo:b"}))
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"])).status_code == 204
    assert_error(client.get("/api/v1/me", headers=bearer(tokens["access_token"])), 401, "token_revoked")
    assert_error(client.post("/api/v1/auth/refresh", headers=bearer(tokens["refresh_token"])), 401, "token_revoked")


def test_revocation_survives_a_restart(app, client):
    tokens = body(client.post("/api/v1/auth/wechat-login", json={"code": "demo:c"}))
    client.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"]))
    restarted = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TESTING": True})
    with restarted.app_context():
        response = restarted.test_client().get("/api/v1/me", headers=bearer(tokens["access_token"]))
        assert_error(response, 401, "token_revoked")
        from backend.extensions import db

        db.engine.dispose()


def test_forged_token_is_refused(client):
    user = make_villager_user()
    forged = pyjwt.encode({"sub": str(user.id), "type": "access", "fam": "x", "jti": "j"}, "guessed-key" * 4)
    assert_error(client.get("/api/v1/me", headers=bearer(forged)), 401, "token_invalid")


def test_unsigned_alg_none_token_is_refused(client):
    user = make_villager_user()
    unsigned = pyjwt.encode({"sub": str(user.id), "type": "access"}, key=None, algorithm="none")
    assert_error(client.get("/api/v1/me", headers=bearer(unsigned)), 401, "token_invalid")


def test_expired_token_is_refused(client):
    pair = tokens_for(make_villager_user())
    claims = pyjwt.decode(pair.access_token, options={"verify_signature": False})
    expired = create_access_token(
        claims["sub"], expires_delta=timedelta(seconds=-60), additional_claims={"fam": claims["fam"]}
    )
    assert_error(client.get("/api/v1/me", headers=bearer(expired)), 401, "token_expired")


def test_a_token_accepted_while_valid_is_refused_once_it_expires(client, monkeypatch):
    pair = tokens_for(make_villager_user())
    claims = pyjwt.decode(pair.access_token, options={"verify_signature": False})
    short = create_access_token(
        claims["sub"], expires_delta=timedelta(seconds=30), additional_claims={"fam": claims["fam"]}
    )
    assert client.get("/api/v1/me", headers=bearer(short)).status_code == 200  # verified, and kept by the worker

    later = datetime.now(UTC) + timedelta(minutes=1)

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return later if tz else later.replace(tzinfo=None)

    monkeypatch.setattr(auth_hooks.time, "time", lambda: later.timestamp())
    monkeypatch.setattr(pyjwt.api_jwt, "datetime", Later)
    assert_error(client.get("/api/v1/me", headers=bearer(short)), 401, "token_expired")


def test_a_kept_token_is_still_refused_once_logged_out(client):
    pair = tokens_for(make_villager_user())
    assert client.get("/api/v1/me", headers=bearer(pair.access_token)).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=bearer(pair.access_token)).status_code == 204
    assert_error(client.get("/api/v1/me", headers=bearer(pair.access_token)), 401, "token_revoked")


def test_refresh_token_cannot_be_used_as_access_token_and_vice_versa(client):
    pair = tokens_for(make_villager_user())
    assert client.get("/api/v1/me", headers=bearer(pair.refresh_token)).status_code == 401
    assert client.post("/api/v1/auth/refresh", headers=bearer(pair.access_token)).status_code == 401


def test_missing_token_is_401_with_the_one_error_body(client):
    assert_error(client.get("/api/v1/me"), 401, "unauthorized")


def test_deactivated_staff_cannot_sign_in_or_use_old_tokens(client):
    from backend.extensions import db

    staff = make_staff("committee", village=make_village(), username="gone")
    access = tokens_for(staff).access_token
    staff.is_active = False
    db.session.commit()
    assert_error(login(client, "gone"), 401, "bad_credentials")
    assert client.get("/api/v1/me", headers=bearer(access)).status_code == 401
