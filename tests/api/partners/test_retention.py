"""`flask data purge`: villagers who left long ago are anonymised and old rejected photos deleted, while the
ledger's entries keep their amounts and hashes and its chains still verify."""

import io
from datetime import timedelta

from sqlalchemy import select, update

from backend import clock
from backend.adapters.storage import get_storage
from backend.extensions import db
from backend.models import AuditEntry, Entry, Submission, Upload, User, Villager
from backend.services.ledger.integrity import verify_ledger
from tests.factories import auth, keyed
from tests.factories.activities import make_rule_set
from tests.factories.submissions import make_photo


def _photo_claim(client, user, committee, seed, *, reject: bool):
    file_id = client.post(
        "/api/v1/uploads", data={"file": (io.BytesIO(make_photo(seed)), "p.jpg")}, headers=auth(user)
    ).get_json()["file_id"]
    claim = client.post(
        "/api/v1/submissions",
        json={"activity_type": "photo", "text": f"第{seed}张", "file_ids": [file_id]},
        headers=keyed(auth(user)),
    ).get_json()
    path = f"/api/v1/submissions/{claim['id']}/" + ("reject" if reject else "approve")
    decided = client.post(path, json={"reason": "看不清"} if reject else {"amount": 5}, headers=auth(committee))
    assert decided.status_code == 200, decided.get_json()
    return claim["id"]


def test_purge_anonymises_who_left_and_drops_old_rejected_photos_but_keeps_the_books(client, runner, banks):
    make_rule_set(banks.village)
    earned = _photo_claim(client, banks.user, banks.committee, 1, reject=False)
    old_rejected = _photo_claim(client, banks.neighbour_user, banks.committee, 2, reject=True)
    new_rejected = _photo_claim(client, banks.neighbour_user, banks.committee, 3, reject=True)
    long_ago = clock.now() - timedelta(days=4 * 365)
    db.session.execute(
        update(Villager).where(Villager.id == banks.villager.id).values(status="moved_out", updated_at=long_ago)
    )
    db.session.execute(
        update(Submission).where(Submission.id == old_rejected).values(decided_at=clock.now() - timedelta(days=200))
    )
    db.session.commit()
    entries_before = db.session.execute(select(Entry.id, Entry.amount, Entry.hash).order_by(Entry.id)).all()
    keys = dict(db.session.execute(select(Upload.submission_id, Upload.storage_key)).all())

    dry = runner.invoke(args=["data", "purge", "--dry-run"])
    assert "would purge: 1 villagers" in dry.output
    assert db.session.get(Villager, banks.villager.id).name == "王大明"
    result = runner.invoke(args=["data", "purge"])
    assert result.exit_code == 0 and "purged: 1 villagers anonymised, 2 files" in result.output, result.output

    db.session.expire_all()
    gone = db.session.get(Villager, banks.villager.id)
    assert (gone.name, gone.status, gone.birth_date, gone.phone_masked, gone.id_number_masked) == (
        "已注销",
        "purged",
        None,
        None,
        "已删除",
    )
    assert db.session.execute(select(User).where(User.id == banks.user.id)).scalar_one().is_active is False
    assert db.session.get(Submission, earned).text is None
    assert db.session.execute(select(Entry.id, Entry.amount, Entry.hash).order_by(Entry.id)).all() == entries_before
    assert verify_ledger().ok
    storage = get_storage()
    remaining = set(db.session.execute(select(Upload.submission_id)).scalars())
    assert remaining == {new_rejected}
    for claim, key in keys.items():
        exists = True
        try:
            storage.open(key).close()
        except FileNotFoundError:
            exists = False
        assert exists == (claim == new_rejected)
    assert (
        db.session.execute(select(AuditEntry.after).where(AuditEntry.action == "data.purge")).scalar_one()["villagers"]
        == 1
    )
    again = runner.invoke(args=["data", "purge"])
    assert "purged: 0 villagers anonymised, 0 files" in again.output


def test_villagers_who_left_recently_are_kept(client, runner, banks):
    db.session.execute(update(Villager).where(Villager.id == banks.villager.id).values(status="moved_out"))
    db.session.commit()
    assert "purged: 0 villagers" in runner.invoke(args=["data", "purge"]).output
    assert db.session.get(Villager, banks.villager.id).name == "王大明"
