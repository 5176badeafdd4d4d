"""Tamper evidence: `verify` catches changed, removed, inserted and reordered entries, and the CLI says so.

The attacker here writes to the database directly and drops the append-only triggers first, as anyone with
the database password could; each tamper happens in a transaction that is rolled back afterwards.
"""

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from backend.extensions import db
from backend.models import Account, Entry
from backend.models.append_only import drop_append_only_statements
from backend.services import ledger
from backend.services.ledger.integrity import entry_hash, merkle_root
from tests.factories import make_village, make_villager
from tests.factories.ledger import earn, reverse, spend

TAMPERS = 1000
COLUMNS = {
    "amount": lambda v: v + 1,
    "balance_after": lambda v: v - 1,
    "reason": lambda v: v + "。",
    "rule_code": lambda v: "FAKE" if v != "FAKE" else "REAL",
    "rule_version": lambda v: (v or 0) + 1,
    "source_id": lambda v: (v or 0) + 1,
    "expires_on": lambda v: (v or date(2030, 1, 1)) + timedelta(days=1),
    "created_at": lambda v: v + timedelta(microseconds=1),
    "hash": lambda v: "f" * 64 if v != "f" * 64 else "e" * 64,
    "prev_hash": lambda v: "f" * 64 if v != "f" * 64 else "e" * 64,
}


def small_ledger():
    """About two dozen entries on six accounts, a checkpoint halfway, and more bookings after it."""
    village = make_village()
    people = [make_villager(village, name=name) for name in ("张三", "李四", "王五")]
    for person in people:
        earn(person, 10, expires_on=date(2026, 1, 31))
        earn(person, 5)
    spend(people[0], 12)
    ledger.expire_points(as_of=date(2026, 6, 1))
    ledger.create_checkpoint()
    sale = spend(people[1], 3)
    reverse(sale.id)
    earn(people[2], 7)
    db.session.rollback()


def rows():
    return [dict(r) for r in db.session.execute(select(Entry.__table__).order_by(Entry.id)).mappings()]


def change(rng, entries):
    entry = rng.choice(entries)
    column = rng.choice([*sorted(COLUMNS), "transfer_id"])
    if column == "transfer_id":  # to another existing transfer (the foreign key still holds)
        value = rng.choice([e["transfer_id"] for e in entries if e["transfer_id"] != entry["transfer_id"]])
    else:
        value = COLUMNS[column](entry[column])
    _update(entry["id"], **{column: value})


def move(rng, entries):
    """Re-home an entry on another account."""
    entry = rng.choice(entries)
    other = rng.choice([e["account_id"] for e in entries if e["account_id"] != entry["account_id"]])
    _update(entry["id"], account_id=other, seq=10_000 + entry["id"])


def delete(rng, entries):
    db.session.execute(text("DELETE FROM ledger_entries WHERE id = :id"), {"id": rng.choice(entries)["id"]})


def insert(rng, entries):
    """A made-up entry at an account's tail; the smart variant even chains its hash correctly."""
    model = dict(rng.choice(entries))
    account = db.session.execute(select(Account.__table__).where(Account.id == model["account_id"])).mappings().one()
    model.pop("id")
    model.update(seq=account["last_seq"] + 1, amount=rng.choice([1, 50, -1]), prev_hash=account["head_hash"])
    model["balance_after"] = account["balance"] + model["amount"]
    model["hash"] = entry_hash(model["prev_hash"], model) if rng.random() < 0.5 else "a" * 64
    columns = ", ".join(model)
    values = ", ".join(f":{name}" for name in model)
    db.session.execute(text(f"INSERT INTO ledger_entries ({columns}) VALUES ({values})"), model)  # noqa: S608


def swap(rng, entries):
    """Two entries of one account trade places: by sequence number, or by everything but the id."""
    by_account = {}
    for entry in entries:
        by_account.setdefault(entry["account_id"], []).append(entry)
    a, b = rng.sample(rng.choice([group for group in by_account.values() if len(group) > 1]), 2)
    if rng.random() < 0.5:
        _update(a["id"], seq=-1)
        _update(b["id"], seq=a["seq"])
        _update(a["id"], seq=b["seq"])
    else:
        keep = ("id",)
        _update(a["id"], seq=-1)
        _update(b["id"], **{k: v for k, v in a.items() if k not in keep})
        _update(a["id"], **{k: v for k, v in b.items() if k not in keep})


def rewrite(rng, entries):
    """Change an entry the checkpoint saw and recompute every hash after it, and the account's head."""
    entry = rng.choice([e for e in entries if e["seq"] == 1])
    chain = [e for e in entries if e["account_id"] == entry["account_id"]]
    prev = chain[0]["prev_hash"]
    for index, row in enumerate(chain):
        row = dict(row, reason=row["reason"] + "（改）") if index == 0 else dict(row)
        row["prev_hash"], row["hash"] = prev, entry_hash(prev, row)
        _update(row["id"], reason=row["reason"], prev_hash=row["prev_hash"], hash=row["hash"])
        prev = row["hash"]
    db.session.execute(
        text("UPDATE ledger_accounts SET head_hash = :h WHERE id = :id"), {"h": prev, "id": entry["account_id"]}
    )


def _update(entry_id, **values):
    sets = ", ".join(f"{name} = :{name}" for name in values)
    statement = text(f"UPDATE ledger_entries SET {sets} WHERE id = :id")  # noqa: S608 - our own column names
    db.session.execute(statement, {**values, "id": entry_id})


def drop_triggers():
    """Switch the append-only guard off for this transaction, as an attacker with the password could."""
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        # The cheap way for a superuser: triggers do not fire for this transaction (no catalog change).
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        return
    for statement in drop_append_only_statements("ledger_entries", dialect):
        db.session.execute(text(statement))


def test_verify_passes_an_untouched_ledger(app):
    small_ledger()
    report = ledger.verify_ledger()
    assert report.ok, report.lines()
    assert report.entries >= 20 and report.checkpoint_id is not None


@pytest.mark.slow
def test_verify_catches_every_one_of_a_thousand_random_tampers(app):
    small_ledger()
    entries = rows()
    rng = random.Random(20261123)
    tampers = [change, move, delete, insert, swap, rewrite]
    missed, kinds = [], {}
    for attempt in range(TAMPERS):
        tamper = rng.choice(tampers)
        drop_triggers()
        tamper(rng, entries)
        report = ledger.verify_ledger()
        db.session.rollback()
        kinds[tamper.__name__] = kinds.get(tamper.__name__, 0) + 1
        if report.ok:
            missed.append((attempt, tamper.__name__))
    assert missed == []
    assert min(kinds.values()) > 100
    assert ledger.verify_ledger().ok  # every tamper was rolled back


@pytest.mark.parametrize(
    ("tamper", "kind"),
    [
        (lambda e: _update(e["id"], amount=e["amount"] + 5), "changed"),
        (lambda e: db.session.execute(text("DELETE FROM ledger_entries WHERE id = :id"), {"id": e["id"]}), "removed"),
    ],
)
def test_verify_names_the_first_bad_entry(app, tamper, kind):
    small_ledger()
    target = next(e for e in rows() if e["seq"] == 2)
    drop_triggers()
    tamper(target)
    report = ledger.verify_ledger()
    db.session.rollback()
    first = report.problems[0]
    assert (first.kind, first.account_id, first.seq) == (kind, target["account_id"], 2)
    assert f"account {target['account_id']}" in first.message


def test_deleting_the_tail_is_caught_by_the_checkpoint_heads(app):
    small_ledger()
    ledger.create_checkpoint()
    entries = rows()
    last = entries[-1]
    drop_triggers()
    db.session.execute(text("DELETE FROM ledger_entries WHERE id = :id"), {"id": last["id"]})
    # A careful attacker also winds the account back, so that only the checkpoint still remembers.
    db.session.execute(
        text("UPDATE ledger_accounts SET last_seq = :s, head_hash = :h, balance = balance - :a WHERE id = :id"),
        {"s": last["seq"] - 1, "h": last["prev_hash"], "a": last["amount"], "id": last["account_id"]},
    )
    report = ledger.verify_ledger()
    db.session.rollback()
    assert not report.ok
    assert any(p.kind == "removed" and p.seq == last["seq"] and "checkpoint" in p.message for p in report.problems)


def test_the_append_only_guard_refuses_updates_and_deletes(app):
    small_ledger()
    for statement in ("UPDATE ledger_entries SET amount = 1", "DELETE FROM ledger_transfers"):
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()


def test_merkle_root_follows_rfc_6962():
    import hashlib

    def h(data):
        return hashlib.sha256(data).digest()

    a, b, c = b"a", b"b", b"c"
    leaf = [h(b"\x00" + x) for x in (a, b, c)]
    assert merkle_root([]) == hashlib.sha256(b"").hexdigest()
    assert merkle_root([a]) == leaf[0].hex()
    assert merkle_root([a, b]) == h(b"\x01" + leaf[0] + leaf[1]).hex()
    # Three leaves split 2 + 1: the left subtree takes the largest power of two below n.
    assert merkle_root([a, b, c]) == h(b"\x01" + h(b"\x01" + leaf[0] + leaf[1]) + leaf[2]).hex()


def test_cli_verify_exits_nonzero_after_tampering(app, runner):
    small_ledger()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "ledger OK" in result.output
    target = rows()[4]
    drop_triggers()
    _update(target["id"], reason="伪造的原因")
    db.session.commit()  # the attacker's change persists (SQLite gets a fresh copy for the next test)
    try:
        result = runner.invoke(args=["ledger", "verify"])
        assert result.exit_code == 1
        assert f"entry id {target['id']} seq {target['seq']} was changed" in result.output
        assert "TAMPERED" in result.output
    finally:
        restore_triggers()


def restore_triggers():
    from backend.models.append_only import append_only_statements

    dialect = db.engine.dialect.name
    db.session.rollback()
    for statement in drop_append_only_statements("ledger_entries", dialect):
        db.session.execute(text(statement))
    for statement in append_only_statements("ledger_entries", dialect):
        db.session.execute(text(statement))
    db.session.commit()


def test_cli_checkpoint_records_the_root_and_expire_runs_once(app, runner):
    small_ledger()
    result = runner.invoke(args=["ledger", "checkpoint"])
    assert result.exit_code == 0 and "checkpoint #2: root " in result.output
    village = make_village()
    person = make_villager(village)
    earn(person, 4, expires_on=date(2026, 3, 1))
    first = runner.invoke(args=["points", "expire", "--as-of", "2026-03-02"])
    assert first.exit_code == 0 and "expired 4 points on 1 accounts as of 2026-03-02" in first.output
    again = runner.invoke(args=["points", "expire", "--as-of", "2026-03-02"])
    assert "expired 0 points on 0 accounts" in again.output
    unknown = runner.invoke(args=["points", "expire", "--village", "NOPE"])
    assert unknown.exit_code != 0 and "no village with code NOPE" in unknown.output
