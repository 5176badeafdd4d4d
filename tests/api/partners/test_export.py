"""A villager takes away everything held about them: a zip of JSON, their files and a Chinese README, checked
against the database; staff reads of their record are audited and show up in it."""

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import Account, AuditEntry, Entry, Submission
from tests.factories import auth, keyed
from tests.factories.partners import bearer, make_consent, partner_token
from tests.factories.submissions import make_photo


def _export(client, user) -> zipfile.ZipFile:
    response = client.get("/api/v1/me/export", headers=auth(user))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def _json(archive, name):
    return json.loads(archive.read(name))


def test_my_export_holds_what_the_database_holds_about_me(client, banks, app):
    from tests.factories.activities import make_rule_set

    make_rule_set(banks.village)
    upload = client.post(
        "/api/v1/uploads", data={"file": (io.BytesIO(make_photo(3)), "yard.jpg")}, headers=auth(banks.user)
    )
    assert upload.status_code == 201, upload.get_json()
    claim = client.post(
        "/api/v1/submissions",
        json={"activity_type": "photo", "text": "门前屋后已清理", "file_ids": [upload.get_json()["file_id"]]},
        headers=keyed(auth(banks.user)),
    )
    assert claim.status_code == 201, claim.get_json()
    approved = client.post(
        f"/api/v1/submissions/{claim.get_json()['id']}/approve", json={"amount": 4}, headers=auth(banks.committee)
    )
    assert approved.status_code == 200, approved.get_json()
    consent = make_consent(banks.user, banks.bank)
    client.get(
        f"/api/v1/partner/credit-reports/{consent.id}",
        headers=bearer(partner_token(client, banks.bank, banks.bank_secret)),
    )
    assert client.get(f"/api/v1/villagers/{banks.villager.id}", headers=auth(banks.committee)).status_code == 200

    archive = _export(client, banks.user)
    names = set(archive.namelist())
    assert {
        "README.txt",
        "profile.json",
        "ledger.json",
        "submissions.json",
        "consents.json",
        "staff_reads.json",
    } <= names
    assert "个人信息保护法" in archive.read("README.txt").decode()
    profile = _json(archive, "profile.json")
    assert profile["name"] == "王大明" and profile["id_number_masked"] == banks.villager.id_number_masked
    assert "id_number_cipher" not in profile and "phone_cipher" not in profile
    ledger = _json(archive, "ledger.json")
    account = db.session.execute(select(Account).where(Account.villager_id == banks.villager.id)).scalar_one()
    stored = db.session.execute(
        select(Entry.seq, Entry.amount, Entry.hash).where(Entry.account_id == account.id).order_by(Entry.seq)
    ).all()
    assert ledger["balance"] == account.balance == 4
    assert [(e["seq"], e["amount"], e["hash"]) for e in ledger["entries"]] == [tuple(row) for row in stored]
    submissions = _json(archive, "submissions.json")
    stored_claim = db.session.get(Submission, claim.get_json()["id"])
    assert [(s["id"], s["text"], s["points_awarded"]) for s in submissions] == [(stored_claim.id, "门前屋后已清理", 4)]
    photo = submissions[0]["files"][0]
    assert photo.startswith("files/") and archive.read(photo)[:2] == b"\xff\xd8"  # the stored JPEG itself
    consents = _json(archive, "consents.json")
    assert consents[0]["institution"] == "慈溪农商银行"
    assert [a["outcome"] for a in consents[0]["accesses"]] == ["granted"]
    reads = _json(archive, "staff_reads.json")
    assert "villager.read" in [r["action"] for r in reads]
    assert _json(archive, "credit.json")["current"]["score"] >= 0
    everything = " ".join(archive.read(n).decode("utf-8", "replace") for n in names if n.endswith(".json"))
    assert banks.villager.id_number_masked in everything and "13912345678" not in everything


def test_staff_reads_of_a_record_are_audited_and_only_the_villagers_own_export_shows_them(client, banks):
    client.get(f"/api/v1/villagers/{banks.villager.id}", headers=auth(banks.committee))
    client.get(f"/api/v1/villagers/{banks.villager.id}/credit", headers=auth(banks.committee))
    client.get(f"/api/v1/villages/{banks.village.id}/roster.xlsx", headers=auth(banks.committee))
    actions = db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    assert {"villager.read", "villager.credit_read", "roster.export"} <= set(actions)
    reads = _json(_export(client, banks.user), "staff_reads.json")
    assert {r["action"] for r in reads} >= {"villager.read", "villager.credit_read", "roster.export"}
    neighbour = _json(_export(client, banks.neighbour_user), "staff_reads.json")
    assert {r["action"] for r in neighbour} == {"roster.export"}


def test_the_export_itself_is_audited_and_needs_a_bound_villager(client, banks):
    from tests.factories import make_villager_user

    _export(client, banks.user)
    assert db.session.execute(select(AuditEntry.action).where(AuditEntry.action == "me.export")).scalar()
    assert client.get("/api/v1/me/export", headers=auth(make_villager_user())).status_code == 403
    assert client.get("/api/v1/me/export", headers=auth(banks.committee)).status_code == 403


@pytest.mark.slow
def test_the_export_of_a_demo_villager_matches_the_database(app, client, backend_name):
    from backend.demo import activities, people, submissions

    if backend_name != "sqlite":
        pytest.skip("the demo data do not depend on the database; one load is enough")
    for part in (people, activities, submissions):
        part.load(echo=lambda *_: None)
    tokens = client.post("/api/v1/auth/wechat-login", json={"code": "demo:qt01-0001"}).get_json()
    response = client.get("/api/v1/me/export", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    villager_id = _json(archive, "profile.json")["id"]
    account = db.session.execute(select(Account).where(Account.villager_id == villager_id)).scalar_one()
    ledger = _json(archive, "ledger.json")
    stored = db.session.execute(select(Entry.hash).where(Entry.account_id == account.id).order_by(Entry.seq)).scalars()
    assert ledger["balance"] == account.balance and [e["hash"] for e in ledger["entries"]] == list(stored)
    claims = db.session.execute(select(Submission.id).where(Submission.villager_id == villager_id)).scalars().all()
    exported = _json(archive, "submissions.json")
    assert sorted(s["id"] for s in exported) == sorted(claims)
    for claim in exported:
        assert all(name in archive.namelist() for name in claim["files"] if name)
