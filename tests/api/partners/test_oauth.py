"""Institutions sign in with OAuth 2.0 client credentials; their tokens work on partner endpoints only."""

from datetime import timedelta

from sqlalchemy import select

from backend import clock
from backend.extensions import db
from backend.models import Institution, PartnerToken
from tests.conftest import body
from tests.factories import auth, make_staff
from tests.factories.partners import basic, bearer, make_institution, partner_token


def test_bank_gets_a_token_with_basic_auth_or_posted_credentials(client):
    bank, secret = make_institution()
    by_basic = client.post(
        "/api/v1/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(bank.client_id, secret)
    )
    assert by_basic.status_code == 200
    token = by_basic.get_json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
    assert token["scope"] == "consents credit_report" and "refresh_token" not in token
    posted = client.post(
        "/api/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": bank.client_id,
            "client_secret": secret,
            "scope": "consents",
        },
    )
    assert posted.status_code == 200 and posted.get_json()["scope"] == "consents"


def test_secrets_and_tokens_are_kept_only_as_digests(client):
    bank, secret = make_institution()
    token = partner_token(client, bank, secret)
    stored = db.session.execute(select(Institution.client_secret_hash)).scalars().all()
    assert secret not in stored
    assert db.session.execute(select(PartnerToken.token_hash)).scalar_one() != token


def test_wrong_secret_is_refused_in_the_one_error_body_with_the_oauth_error(client):
    bank, _secret = make_institution()
    response = client.post(
        "/api/v1/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(bank.client_id, "guess")
    )
    assert response.status_code == 401
    assert body(response)["status"] == "invalid_client" and body(response)["error"] == "invalid_client"
    assert body(response)["message"].startswith("机构身份验证失败")
    english = client.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={**basic(bank.client_id, "guess"), "Accept-Language": "en"},
    )
    assert "client" in body(english)["message"].lower()


def test_unknown_grant_type_and_ungranted_scope_are_refused(client):
    bank, secret = make_institution(scopes=("credit_report",))
    password = client.post(
        "/api/v1/oauth/token", data={"grant_type": "password"}, headers=basic(bank.client_id, secret)
    )
    assert password.status_code == 400 and body(password)["error"] == "unsupported_grant_type"
    ungranted = client.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials", "scope": "consents"},
        headers=basic(bank.client_id, secret),
    )
    assert ungranted.status_code == 400 and body(ungranted)["error"] == "invalid_scope"
    unknown = client.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials", "scope": "admin"},
        headers=basic(bank.client_id, secret),
    )
    assert unknown.status_code == 400 and body(unknown)["error"] == "invalid_scope"


def test_deactivated_bank_loses_its_tokens_and_cannot_get_new_ones(client):
    bank, secret = make_institution()
    token = partner_token(client, bank, secret)
    assert client.get("/api/v1/partner/consents", headers=bearer(token)).status_code == 200
    admin = auth(make_staff("admin"))
    assert client.patch(f"/api/v1/institutions/{bank.id}", json={"is_active": False}, headers=admin).status_code == 200
    refused = client.get("/api/v1/partner/consents", headers=bearer(token))
    assert refused.status_code == 401 and body(refused)["status"] == "invalid_token"
    assert "Bearer" in refused.headers["WWW-Authenticate"]
    again = client.post(
        "/api/v1/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(bank.client_id, secret)
    )
    assert again.status_code == 401


def test_rotated_secret_ends_the_old_secret_and_its_tokens(client):
    bank, secret = make_institution()
    token = partner_token(client, bank, secret)
    rotated = client.post(f"/api/v1/institutions/{bank.id}/secret", headers=auth(make_staff("admin")))
    assert rotated.status_code == 200
    new_secret = rotated.get_json()["client_secret"]
    assert client.get("/api/v1/partner/consents", headers=bearer(token)).status_code == 401
    old = client.post(
        "/api/v1/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(bank.client_id, secret)
    )
    assert old.status_code == 401
    assert partner_token(client, bank, new_secret)


def test_expired_token_is_refused(client, monkeypatch):
    bank, secret = make_institution()
    token = partner_token(client, bank, secret)
    later = clock.now() + timedelta(minutes=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.get("/api/v1/partner/consents", headers=bearer(token)).status_code == 401


def test_staff_and_villager_tokens_are_not_partner_tokens_and_back(client):
    bank, secret = make_institution()
    staff = auth(make_staff("admin"))
    for path in ("/api/v1/partner/consents", "/api/v1/partner/credit-reports/1"):
        response = client.get(path, headers=staff)
        assert response.status_code == 401 and body(response)["status"] == "invalid_token"
        assert client.get(path).status_code == 401
    token = partner_token(client, bank, secret)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/institutions", headers=bearer(token)).status_code == 401


def test_admin_registers_a_bank_and_sees_its_secret_once(client):
    admin = auth(make_staff("admin"))
    headers = {**admin, "Idempotency-Key": "bank-1"}
    payload = {"name": "慈溪农商银行", "scopes": ["credit_report"], "rate_limit": "30 per minute"}
    created = client.post("/api/v1/institutions", json=payload, headers=headers)
    assert created.status_code == 201
    secret = created.get_json()["client_secret"]
    institution_id = created.get_json()["institution"]["id"]
    shown = client.get(f"/api/v1/institutions/{institution_id}", headers=admin).get_json()
    assert shown["scopes"] == ["credit_report"] and "client_secret" not in shown and secret not in str(shown)
    assert client.post("/api/v1/institutions", json=payload, headers=headers).get_json()["client_secret"] == secret
    bad = client.post(
        "/api/v1/institutions",
        json={"name": "x", "scopes": ["everything"], "rate_limit": "fast"},
        headers={**admin, "Idempotency-Key": "bank-2"},
    )
    assert bad.status_code == 422 and set(body(bad)["errors"]) == {"scopes", "rate_limit"}


def test_only_the_platform_admin_manages_institutions(client):
    bank, _secret = make_institution()
    for role in ("committee", "town_admin", "city_admin"):
        headers = {**auth(make_staff(role)), "Idempotency-Key": f"k-{role}"}
        assert (
            client.post("/api/v1/institutions", json={"name": "x", "scopes": ["consents"]}, headers=headers).status_code
            == 403
        )
        assert (
            client.patch(f"/api/v1/institutions/{bank.id}", json={"is_active": False}, headers=headers).status_code
            == 403
        )
        assert client.post(f"/api/v1/institutions/{bank.id}/secret", headers=headers).status_code == 403
