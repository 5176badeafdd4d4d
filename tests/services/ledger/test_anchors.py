"""Signed anchors outside the database: the careful rewrite that passes `verify` is caught by `verify --anchors`.

The attacker can write the database (triggers off, as in test_tampering) but holds neither the signing key nor
the anchor file. They turn a fresh +5 into +5005 and fix everything the database can check: both legs' hashes,
the accounts' balances and heads, the lot, the transfer, and the checkpoint's heads and root.
"""

import base64
import json

import pytest
from sqlalchemy import select, text

from backend.adapters.signing import public_pem, write_new_private_key
from backend.extensions import db
from backend.models import Account, Checkpoint, CheckpointHead, Entry, Lot
from backend.models.append_only import append_only_statements, drop_append_only_statements
from backend.services.ledger.integrity import entry_hash, head_leaf, merkle_root
from tests.conftest import use_settings
from tests.factories import make_village, make_villager
from tests.factories.ledger import earn, spend
from tests.services.ledger.test_tampering import drop_triggers, restore_triggers

GUARDED = ("ledger_transfers", "ledger_checkpoints", "ledger_checkpoint_heads")


@pytest.fixture
def anchored(app, tmp_path, monkeypatch):
    key_path = tmp_path / "anchor-key.pem"
    write_new_private_key(key_path)
    use_settings(
        monkeypatch, app, ledger_anchor_file=str(tmp_path / "anchors.jsonl"), ledger_signing_key_file=str(key_path)
    )
    return tmp_path / "anchors.jsonl"


def checkpoint(runner):
    result = runner.invoke(args=["ledger", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert "anchored" in result.output
    return result


def test_checkpoints_append_signed_records_listing_each_new_entry_once(app, runner, anchored):
    person = make_villager(make_village())
    earn(person, 10)
    checkpoint(runner)
    earn(person, 5)
    spend(person, 3)
    checkpoint(runner)
    records = [json.loads(line) for line in anchored.read_text().splitlines()]
    assert [r["checkpoint"] for r in records] == [1, 2]
    account = db.session.execute(select(Account).where(Account.villager_id == person.id)).scalar_one()
    assert records[0]["chains"][str(account.id)][0] == 1 and len(records[0]["chains"][str(account.id)][1]) == 1
    assert records[1]["chains"][str(account.id)][0] == 2 and len(records[1]["chains"][str(account.id)][1]) == 2
    assert records[1]["root"] == db.session.get(Checkpoint, 2).root_hash
    result = runner.invoke(args=["ledger", "verify", "--anchors", str(anchored)])
    assert result.exit_code == 0, result.output
    assert "anchors: 2 signed checkpoints" in result.output and "ledger OK" in result.output


def careful_rewrite(entry_id: int, new_amount: int) -> None:
    """+5 -> +5005 on both legs, with hashes, balances, heads, lot, transfer and the checkpoint all made to agree."""
    drop_triggers()  # on PostgreSQL this switches every trigger off for the transaction
    if db.engine.dialect.name == "sqlite":
        for table in GUARDED:
            for statement in drop_append_only_statements(table, "sqlite"):
                db.session.execute(text(statement))
    target = db.session.get(Entry, entry_id)
    transfer_id, delta = target.transfer_id, new_amount - target.amount
    legs = db.session.execute(select(Entry.__table__).where(Entry.transfer_id == transfer_id)).mappings().all()
    for leg in legs:
        sign = 1 if leg["amount"] > 0 else -1
        chain = db.session.execute(
            select(Entry.__table__).where(Entry.account_id == leg["account_id"]).order_by(Entry.seq)
        ).mappings()
        prev = None
        for row in chain:
            row = dict(row)
            if row["seq"] >= leg["seq"]:
                if row["id"] == leg["id"]:
                    row["amount"] += sign * delta
                row["balance_after"] += sign * delta
                row["prev_hash"] = prev if prev is not None else row["prev_hash"]
                row["hash"] = entry_hash(row["prev_hash"], row)
                db.session.execute(
                    text("UPDATE ledger_entries SET amount=:a, balance_after=:b, prev_hash=:p, hash=:h WHERE id=:id"),
                    {
                        "a": row["amount"],
                        "b": row["balance_after"],
                        "p": row["prev_hash"],
                        "h": row["hash"],
                        "id": row["id"],
                    },
                )
            prev = row["hash"]
        db.session.execute(
            text("UPDATE ledger_accounts SET balance = balance + :d, head_hash = :h WHERE id = :id"),
            {"d": sign * delta, "h": prev, "id": leg["account_id"]},
        )
        db.session.execute(
            text("UPDATE ledger_checkpoint_heads SET head_hash = :h WHERE account_id = :id"),
            {"h": prev, "id": leg["account_id"]},
        )
    db.session.execute(
        text("UPDATE ledger_transfers SET amount = :a WHERE id = :id"), {"a": new_amount, "id": transfer_id}
    )
    db.session.execute(
        text("UPDATE ledger_lots SET amount = amount + :d, remaining = remaining + :d WHERE transfer_id = :id"),
        {"d": delta, "id": transfer_id},
    )
    for checkpoint_row in db.session.execute(select(Checkpoint.id)).scalars().all():
        heads = db.session.execute(
            select(CheckpointHead.account_id, CheckpointHead.seq, CheckpointHead.head_hash)
            .where(CheckpointHead.checkpoint_id == checkpoint_row)
            .order_by(CheckpointHead.account_id)
        ).all()
        db.session.execute(
            text("UPDATE ledger_checkpoints SET root_hash = :r WHERE id = :id"),
            {"r": merkle_root([head_leaf(*h) for h in heads]), "id": checkpoint_row},
        )
    db.session.commit()


def test_a_careful_rewrite_passes_plain_verify_but_not_the_signed_anchors(app, runner, anchored):
    village = make_village()
    people = [make_villager(village, name=name) for name in ("张三", "李四")]
    for person in people:
        earn(person, 20)
    spend(people[0], 4)
    fresh = earn(people[1], 5)
    checkpoint(runner)
    account = db.session.execute(select(Account).where(Account.villager_id == people[1].id)).scalar_one()
    entry = db.session.execute(
        select(Entry).where(Entry.transfer_id == fresh.id, Entry.account_id == account.id)
    ).scalar_one()
    assert entry.amount == 5
    try:
        careful_rewrite(entry.id, 5005)
        db.session.expire_all()
        assert db.session.get(Account, account.id).balance == 5025
        assert db.session.execute(select(Lot.remaining).where(Lot.transfer_id == fresh.id)).scalar_one() == 5005
        plain = runner.invoke(args=["ledger", "verify"])
        assert plain.exit_code == 0 and "ledger OK" in plain.output  # the database alone cannot tell
        anchored_run = runner.invoke(args=["ledger", "verify", "--anchors", str(anchored)])
        assert anchored_run.exit_code == 1
        assert f"entry id {entry.id} seq {entry.seq} differs from its signed anchor" in anchored_run.output
        assert "checkpoint #1 in the database differs from its signed anchor" in anchored_run.output
        assert "TAMPERED" in anchored_run.output
    finally:
        db.session.rollback()
        for table in GUARDED:
            _restore(table)
        restore_triggers()


def _restore(table):
    dialect = db.engine.dialect.name
    for statement in drop_append_only_statements(table, dialect):
        db.session.execute(text(statement))
    for statement in append_only_statements(table, dialect):
        db.session.execute(text(statement))
    db.session.commit()


def test_a_forged_or_reordered_anchor_file_is_refused(app, runner, anchored, tmp_path):
    person = make_villager(make_village())
    earn(person, 10)
    checkpoint(runner)
    earn(person, 7)
    checkpoint(runner)
    lines = anchored.read_text().splitlines()
    forged = json.loads(lines[1])
    forged["root"] = "0" * 64
    anchored.write_text(lines[0] + "\n" + json.dumps(forged) + "\n")
    result = runner.invoke(args=["ledger", "verify", "--anchors", str(anchored)])
    assert result.exit_code == 1 and "anchor line 2: signature does not verify" in result.output
    anchored.write_text(lines[1] + "\n" + lines[0] + "\n")
    result = runner.invoke(args=["ledger", "verify", "--anchors", str(anchored)])
    assert result.exit_code == 1 and "anchor line 1: account" in result.output


def test_verify_with_only_the_public_key_and_a_deleted_tail(app, runner, anchored, tmp_path):
    person = make_villager(make_village())
    earn(person, 10)
    last = earn(person, 3)
    checkpoint(runner)
    public = tmp_path / "anchor.pub"
    from backend.services.ledger.anchors import anchor_signing_key
    from backend.settings import current_settings

    public.write_text(public_pem(anchor_signing_key(current_settings()).public_key()))
    entry = db.session.execute(select(Entry).where(Entry.transfer_id == last.id, Entry.amount == 3)).scalar_one()
    try:
        drop_triggers()
        db.session.execute(text("DELETE FROM ledger_entries WHERE transfer_id = :t"), {"t": last.id})
        db.session.commit()
        result = runner.invoke(args=["ledger", "verify", "--anchors", str(anchored), "--public-key", str(public)])
        assert result.exit_code == 1
        assert f"seq {entry.seq}, signed in anchor of checkpoint #1, was removed" in result.output
    finally:
        db.session.rollback()
        restore_triggers()


def test_new_key_never_overwrites(runner, tmp_path):
    path = tmp_path / "k.pem"
    first = runner.invoke(args=["ledger", "new-key", str(path)])
    assert first.exit_code == 0 and "BEGIN PUBLIC KEY" in first.output
    again = runner.invoke(args=["ledger", "new-key", str(path)])
    assert again.exit_code != 0 and "never overwritten" in again.output


def test_anchors_are_time_stamped_by_a_tsa_and_the_stamp_is_checked(
    app, runner, anchored, httpserver, tmp_path, monkeypatch
):
    from cryptography.hazmat.primitives import serialization
    from rfc3161_client import TimestampRequestBuilder
    from rfc3161_client.base import HashAlgorithm
    from werkzeug import Response

    from tests.factories.tsa_fake import make_certs, respond

    root, leaf, key = make_certs()
    httpserver.expect_request("/tsa", method="POST").respond_with_handler(
        lambda request: Response(respond(request.get_data(), leaf, key), content_type="application/timestamp-reply")
    )
    roots = tmp_path / "tsa-roots.pem"
    roots.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    use_settings(monkeypatch, app, ledger_tsa_url=httpserver.url_for("/tsa"))
    earn(make_villager(make_village()), 10)
    result = checkpoint(runner)
    assert "anchored and time-stamped" in result.output
    good = runner.invoke(args=["ledger", "verify", "--anchors", str(anchored), "--tsa-roots", str(roots)])
    assert good.exit_code == 0, good.output
    # A stamp over something else (here: another record's signature) does not vouch for this record.
    record = json.loads(anchored.read_text())

    request = TimestampRequestBuilder().data(b"something else").hash_algorithm(HashAlgorithm.SHA256).build()
    record["tst"] = base64.b64encode(respond(request.as_bytes(), leaf, key)).decode()
    anchored.write_text(json.dumps(record) + "\n")
    bad = runner.invoke(args=["ledger", "verify", "--anchors", str(anchored), "--tsa-roots", str(roots)])
    assert bad.exit_code == 1 and "anchor line 1: time stamp does not verify" in bad.output


def test_an_unreachable_tsa_still_anchors_and_says_the_stamp_is_missing(app, runner, anchored, monkeypatch):
    use_settings(monkeypatch, app, ledger_tsa_url="http://127.0.0.1:9/tsa")
    earn(make_villager(make_village()), 10)
    result = runner.invoke(args=["ledger", "checkpoint"])
    assert result.exit_code == 0 and "anchored in" in result.output
    assert "time stamp missing: time-stamping service failed" in result.output
    assert runner.invoke(args=["ledger", "verify", "--anchors", str(anchored)]).exit_code == 0
