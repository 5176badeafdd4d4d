"""The audit log is tamper-evident: hash-chained by `flask audit seal`, its head signed in the ledger's anchors,
checked by `flask audit verify` (both databases)."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from backend import clock
from backend.adapters.signing import write_new_private_key
from backend.extensions import db
from backend.models import AuditEntry
from backend.models.append_only import append_only_statements, drop_append_only_statements
from tests.conftest import use_settings


@pytest.fixture
def entries(app, monkeypatch):
    earlier = clock.now() - timedelta(minutes=5)
    for n in range(5):
        db.session.add(AuditEntry(created_at=earlier, action=f"test.{n}", entity_type="villages", after={"n": n}))
    db.session.commit()
    return [e.id for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]


def _unguarded(sql: str, **params) -> None:
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        for statement in drop_append_only_statements("audit_log", dialect):
            db.session.execute(text(statement))
    db.session.execute(text(sql), params)
    if dialect != "postgresql":
        for statement in append_only_statements("audit_log", dialect):
            db.session.execute(text(statement))
    db.session.commit()


def _verify(runner, *args):
    return runner.invoke(args=["audit", "verify", *args])


def test_sealed_log_verifies_and_a_second_seal_chains_only_new_entries(runner, entries):
    sealed = runner.invoke(args=["audit", "seal"])
    assert "sealed 5 audit entries" in sealed.output
    assert "sealed 0 audit entries" in runner.invoke(args=["audit", "seal"]).output
    result = _verify(runner)
    assert result.exit_code == 0 and "audit log OK: 5 entries, 5 sealed" in result.output


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        ("UPDATE audit_log SET after = '{\"n\": 99}' WHERE id = :id", "was changed"),
        ("UPDATE audit_log SET actor_role = 'admin' WHERE id = :id", "was changed"),
    ],
)
def test_verify_names_the_entry_that_was_changed_or_removed(runner, entries, tamper, named):
    runner.invoke(args=["audit", "seal"])
    _unguarded(tamper, id=entries[2])
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"audit entry {entries[2]}" in result.output and named in result.output


def _drop_seals(where: str = "", **params) -> None:
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        for statement in drop_append_only_statements("audit_seals", dialect):
            db.session.execute(text(statement))
    db.session.execute(text(f"DELETE FROM audit_seals {where}"), params)  # noqa: S608 - the tests' own SQL
    db.session.commit()


def test_removing_an_entry_with_its_seal_leaves_a_gap_verify_names(runner, entries):
    runner.invoke(args=["audit", "seal"])
    _drop_seals("WHERE entry_id = :id", id=entries[2])
    _unguarded("DELETE FROM audit_log WHERE id = :id", id=entries[2])
    result = _verify(runner)
    assert result.exit_code == 1 and "audit seal 3 is missing" in result.output


def test_an_entry_slipped_in_behind_the_seal_is_caught(runner, entries):
    runner.invoke(args=["audit", "seal"])
    old = clock.now() - timedelta(hours=1)
    db.session.add(AuditEntry(created_at=old, action="forged", entity_type="villages"))
    db.session.commit()
    result = _verify(runner)
    assert result.exit_code == 1 and "not in the chain" in result.output


def test_the_ledger_anchor_signs_the_audit_head_and_a_rewritten_chain_is_caught(
    app, runner, entries, tmp_path, monkeypatch
):
    key = tmp_path / "anchor-key.pem"
    write_new_private_key(key)
    anchors = tmp_path / "anchors.jsonl"
    use_settings(monkeypatch, app, ledger_anchor_file=str(anchors), ledger_signing_key_file=str(key))
    done = runner.invoke(args=["ledger", "checkpoint"])
    assert done.exit_code == 0 and "head at seal 5" in done.output, done.output
    assert _verify(runner, "--anchors", str(anchors)).exit_code == 0
    # A careful attacker rewrites an entry and re-seals the whole chain from it: plain verify passes...
    _unguarded("UPDATE audit_log SET after = '{\"n\": 7}' WHERE id = :id", id=entries[1])
    _drop_seals()
    runner.invoke(args=["audit", "seal"])
    assert _verify(runner).exit_code == 0
    # ...but not against the head the ledger anchor signed.
    result = _verify(runner, "--anchors", str(anchors))
    assert result.exit_code == 1 and "differs from its signed anchor" in result.output
