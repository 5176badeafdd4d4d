"""Banks read a minimal, signed report only under a live consent they hold; every request is recorded."""

import json
from datetime import timedelta

from sqlalchemy import select

from backend import clock
from backend.adapters.signing import verify_jws
from backend.extensions import db
from backend.models import AuditEntry, ReportAccess
from tests.conftest import body
from tests.factories import auth, make_staff
from tests.factories.partners import bearer, make_consent, make_institution, partner_token


def _report(client, banks, consent_id, *, token=None):
    token = token or partner_token(client, banks.bank, banks.bank_secret)
    return client.get(f"/api/v1/partner/credit-reports/{consent_id}", headers=bearer(token))


def test_report_carries_only_what_was_consented_names_its_rules_and_verifies(client, banks):
    consent = make_consent(banks.user, banks.bank, shares=("level", "reasons"))
    response = _report(client, banks, consent.id)
    assert response.status_code == 200
    report = response.get_json()["report"]
    assert report["level"]["code"] in {"AAA", "AA", "A", "B", "C"}
    assert report["reasons"] and all(set(r) == {"code", "kind", "sentence"} for r in report["reasons"])
    assert "score_band" not in report and "points_band" not in report
    assert report["rule_set"]["version"] == 1 and report["as_of"] == clock.today().isoformat()
    assert report["subject"] == {"name": "王**", "village": "东村", "village_code": "QT01"}
    text = json.dumps(report, ensure_ascii=False)
    assert banks.villager.id_number_masked[-4:] not in text and "139" not in text and "phone" not in text
    jwks = client.get("/.well-known/jwks.json").get_json()
    header, payload = verify_jws(response.get_json()["jws"], jwks)
    assert header["alg"] == "Ed25519" and header["kid"] == jwks["keys"][0]["kid"]
    assert json.loads(payload) == report


def test_bands_not_numbers(client, banks):
    consent = make_consent(banks.user, banks.bank, shares=("score_band", "points_band"))
    report = _report(client, banks, consent.id).get_json()["report"]
    assert report["score_band"]["max"] - report["score_band"]["min"] == 49
    assert report["points_band"] == {"min": 0, "max": 99}
    assert "level" not in report and "reasons" not in report


def _refused(client, banks, consent_id, status, token=None):
    response = _report(client, banks, consent_id, token=token)
    assert response.status_code == status, body(response)
    return body(response)["status"]


def _last_access():
    return db.session.execute(select(ReportAccess).order_by(ReportAccess.id.desc()).limit(1)).scalar_one()


def test_no_consent_is_refused_and_recorded(client, banks):
    assert _refused(client, banks, 987654, 404) == "no_consent"
    access = _last_access()
    assert (access.outcome, access.refusal, access.consent_id, access.village_id) == (
        "refused",
        "no_consent",
        None,
        None,
    )
    audited = db.session.execute(select(AuditEntry).where(AuditEntry.action == "credit_report.refused")).scalar_one()
    assert audited.after["consent_id"] == 987654


def test_another_institutions_consent_is_refused_like_a_missing_one(client, banks):
    consent = make_consent(banks.user, banks.other_bank)
    assert _refused(client, banks, consent.id, 404) == "no_consent"
    assert (_last_access().refusal, _last_access().consent_id) == ("not_your_consent", consent.id)


def test_revoked_consent_is_refused_and_the_villager_sees_the_attempt(client, banks):
    consent = make_consent(banks.user, banks.bank)
    assert _report(client, banks, consent.id).status_code == 200
    client.delete(f"/api/v1/me/consents/{consent.id}", headers=auth(banks.user))
    assert _refused(client, banks, consent.id, 403) == "consent_revoked"
    seen = client.get(f"/api/v1/me/consents/{consent.id}/accesses", headers=auth(banks.user)).get_json()["items"]
    assert [(a["outcome"], a["refusal"], a["institution"]["name"]) for a in seen] == [
        ("refused", "consent_revoked", "慈溪农商银行"),
        ("granted", None, "慈溪农商银行"),
    ]
    assert seen[1]["shared"] == ["level", "score_band"] and seen[1]["report_id"]


def test_expired_consent_is_refused(client, banks, monkeypatch):
    consent = make_consent(banks.user, banks.bank, days=2)
    later = clock.now() + timedelta(days=3)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert _refused(client, banks, consent.id, 403) == "consent_expired"
    assert _last_access().refusal == "consent_expired"


def test_token_without_the_report_scope_is_refused_and_recorded(client, banks):
    consent = make_consent(banks.user, banks.bank)
    token = partner_token(client, banks.bank, banks.bank_secret, scope="consents")
    assert _refused(client, banks, consent.id, 403, token=token) == "scope_not_granted"
    assert _last_access().refusal == "scope_not_granted"
    narrow, secret = make_institution("只看报告", scopes=("credit_report",))
    listing = client.get("/api/v1/partner/consents", headers=bearer(partner_token(client, narrow, secret)))
    assert listing.status_code == 403 and body(listing)["status"] == "scope_not_granted"


def test_every_refusal_leaves_an_audit_entry(client, banks):
    consent = make_consent(banks.user, banks.other_bank)
    _report(client, banks, consent.id)
    _report(client, banks, 555)
    actions = db.session.execute(select(AuditEntry.after).where(AuditEntry.action == "credit_report.refused")).scalars()
    assert sorted(a["refusal"] for a in actions) == ["no_consent", "not_your_consent"]


def test_bank_lists_the_live_consents_it_holds(client, banks):
    mine = make_consent(banks.user, banks.bank)
    make_consent(banks.neighbour_user, banks.other_bank)
    held = client.get("/api/v1/partner/consents", headers=bearer(partner_token(client, banks.bank, banks.bank_secret)))
    assert [(c["consent_id"], c["subject_name"]) for c in held.get_json()["items"]] == [(mine.id, "王**")]


def test_each_institution_has_its_own_rate_limit(client, banks):
    slow, secret = make_institution("限速银行", rate_limit="2 per minute")
    consent = make_consent(banks.user, slow)
    token = partner_token(client, slow, secret)
    statuses = [
        client.get(f"/api/v1/partner/credit-reports/{consent.id}", headers=bearer(token)).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    other = make_consent(banks.neighbour_user, banks.bank)
    assert _report(client, banks, other.id).status_code == 200


def test_regulator_exports_every_access_with_its_consent(client, banks):
    consent = make_consent(banks.user, banks.bank)
    _report(client, banks, consent.id)
    _report(client, banks, 4242)
    admin = auth(make_staff("admin"))
    export = client.get("/api/v1/partner-accesses/export.csv", headers=admin)
    assert export.status_code == 200 and export.mimetype == "text/csv"
    lines = export.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    assert lines[0].startswith("access_id,at,institution")
    assert (
        len(lines) == 3
        and "granted" in lines[1]
        and "no_consent" in lines[2]
        and "王" not in export.get_data(as_text=True)
    )
    listed = client.get("/api/v1/partner-accesses", headers=admin).get_json()["items"]
    assert [a["outcome"] for a in listed] == ["refused", "granted"]
    assert client.get("/api/v1/partner-accesses", headers=auth(banks.committee)).status_code == 403
