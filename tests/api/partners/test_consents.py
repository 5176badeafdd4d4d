"""A villager grants, lists and revokes consents: one institution and one purpose each, at most 90 days."""

from datetime import timedelta

from sqlalchemy import select

from backend import clock
from backend.extensions import db
from backend.models import AuditEntry
from tests.conftest import body
from tests.factories import auth, make_staff, make_villager_user
from tests.factories.partners import make_consent, make_institution


def _grant(client, user, institution, key="c1", **changes):
    payload = {
        "institution_id": institution.id,
        "purpose": "loan_approval",
        "shares": ["level", "score_band"],
        "expires_on": (clock.today() + timedelta(days=30)).isoformat(),
        **changes,
    }
    return client.post("/api/v1/me/consents", json=payload, headers={**auth(user), "Idempotency-Key": key})


def test_villager_sees_the_banks_grants_a_consent_and_lists_it(client, banks):
    listed = client.get("/api/v1/institutions", headers=auth(banks.user)).get_json()
    assert {i["name"] for i in listed} == {"慈溪农商银行", "另一家银行"}
    assert "client_id" not in listed[0]
    granted = _grant(client, banks.user, banks.bank)
    assert granted.status_code == 201
    consent = granted.get_json()
    assert consent["institution"]["name"] == "慈溪农商银行" and consent["status"] == "active"
    assert consent["shares"] == ["level", "score_band"]
    page = client.get("/api/v1/me/consents", headers=auth(banks.user)).get_json()
    assert [c["id"] for c in page["items"]] == [consent["id"]]
    assert db.session.execute(select(AuditEntry.action).where(AuditEntry.action == "consent.grant")).scalar_one()


def test_a_retried_grant_replays_and_needs_an_idempotency_key(client, banks):
    first = _grant(client, banks.user, banks.bank, key="same")
    again = _grant(client, banks.user, banks.bank, key="same")
    assert again.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    missing = client.post("/api/v1/me/consents", json={}, headers=auth(banks.user))
    assert missing.status_code == 400


def test_one_live_consent_per_institution_and_purpose(client, banks):
    assert _grant(client, banks.user, banks.bank, key="a").status_code == 201
    twice = _grant(client, banks.user, banks.bank, key="b")
    assert twice.status_code == 409 and body(twice)["status"] == "consent_exists"
    assert _grant(client, banks.user, banks.bank, key="c", purpose="loan_review").status_code == 201
    assert _grant(client, banks.user, banks.other_bank, key="d").status_code == 201


def test_personal_numbers_and_raw_entries_are_never_shareable(client, banks):
    for i, shares in enumerate((["id_number"], ["phone"], ["address"], ["entries"], [], ["level", "phone"])):
        refused = _grant(client, banks.user, banks.bank, key=f"s{i}", shares=shares)
        assert refused.status_code == 422 and "shares" in body(refused)["errors"], shares


def test_expiry_is_at_most_ninety_days_and_in_the_future(client, banks):
    today = clock.today()
    for i, day in enumerate((today, today - timedelta(days=1), today + timedelta(days=91))):
        refused = _grant(client, banks.user, banks.bank, key=f"e{i}", expires_on=day.isoformat())
        assert refused.status_code == 422 and "expires_on" in body(refused)["errors"]
    assert (
        _grant(
            client, banks.user, banks.bank, key="ok", expires_on=(today + timedelta(days=90)).isoformat()
        ).status_code
        == 201
    )


def test_unknown_purpose_or_institution_is_refused(client, banks):
    assert "purpose" in body(_grant(client, banks.user, banks.bank, key="p", purpose="marketing"))["errors"]
    gone = make_institution("停用银行")[0]
    client.patch(f"/api/v1/institutions/{gone.id}", json={"is_active": False}, headers=auth(make_staff("admin")))
    refused = _grant(client, banks.user, gone, key="g")
    assert refused.status_code == 422 and "institution_id" in body(refused)["errors"]
    english = client.post(
        "/api/v1/me/consents",
        json={"institution_id": banks.bank.id, "purpose": "x", "shares": ["level"], "expires_on": "2000-01-01"},
        headers={**auth(banks.user), "Idempotency-Key": "en", "Accept-Language": "en"},
    )
    assert "90" in body(english)["errors"]["expires_on"][0] and "day" in body(english)["errors"]["expires_on"][0]


def test_an_unbound_user_or_staff_cannot_grant(client, banks):
    assert _grant(client, make_villager_user(), banks.bank).status_code == 403
    assert _grant(client, banks.committee, banks.bank).status_code == 403


def test_villager_revokes_their_own_consent_only(client, banks):
    mine = make_consent(banks.user, banks.bank)
    theirs = make_consent(banks.neighbour_user, banks.bank)
    assert client.delete(f"/api/v1/me/consents/{theirs.id}", headers=auth(banks.user)).status_code == 404
    revoked = client.delete(f"/api/v1/me/consents/{mine.id}", headers=auth(banks.user))
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    again = client.delete(f"/api/v1/me/consents/{mine.id}", headers=auth(banks.user))
    assert again.status_code == 200 and again.get_json()["revoked_at"] == revoked.get_json()["revoked_at"]
    assert client.get(f"/api/v1/me/consents/{theirs.id}/accesses", headers=auth(banks.user)).status_code == 404
    assert _grant(client, banks.user, banks.bank, key="after").status_code == 201


def test_expired_consent_shows_as_expired_and_may_be_granted_anew(client, banks, monkeypatch):
    make_consent(banks.user, banks.bank, days=1)
    later = clock.now() + timedelta(days=3)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.get("/api/v1/me/consents", headers=auth(banks.user)).get_json()["items"][0]["status"] == "expired"
    assert _grant(client, banks.user, banks.bank, key="anew").status_code == 201


def test_staff_overview_lists_the_consents_of_their_village_with_reads(client, banks):
    make_consent(banks.user, banks.bank)
    page = client.get("/api/v1/consents?status=active", headers=auth(banks.committee)).get_json()
    assert [(row["villager_name"], row["reads"]) for row in page["items"]] == [("王大明", 0)]
    assert client.get("/api/v1/consents", headers=auth(banks.user)).status_code == 403
