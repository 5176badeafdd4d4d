"""Tamper evidence for the audit log (等保 2.0 level 3): a hash chain over its entries, anchored with the ledger.

`seal_audit_log` appends every entry not yet sealed (in id order, once it is a minute old, so that a transaction
still open cannot slip in behind it) to the chain: seal N holds sha256(seal N-1's hash || the entry's canonical
form). `verify_audit_log` names the first entry that was changed, removed or inserted, and a chain cut short or
rewritten since a signed ledger anchor recorded its head. Entries are kept at least AUDIT_RETENTION_DAYS.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from backend import clock
from backend.database import write_transaction
from backend.extensions import db
from backend.models import AuditEntry, AuditSeal
from backend.models.ledger import GENESIS_HASH

SEAL_DELAY = timedelta(minutes=1)
CANONICAL_COLUMNS = (
    "id",
    "created_at",
    "village_id",
    "town_id",
    "actor_id",
    "actor_role",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "request_id",
)


def _value(value):
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def canonical_audit_entry(row) -> bytes:
    """The bytes an entry's link in the chain covers (dicts with sorted keys, timestamps at stored precision)."""
    data = [_value(row[name]) for name in CANONICAL_COLUMNS]
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def link_hash(prev_hash: str, row) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical_audit_entry(row)).hexdigest()


def audit_head() -> tuple[int, str]:
    """(seq, hash) of the chain's last seal; (0, genesis) before the first."""
    last = db.session.execute(select(AuditSeal.seq, AuditSeal.hash).order_by(AuditSeal.seq.desc()).limit(1)).first()
    return (last.seq, last.hash) if last else (0, GENESIS_HASH)


def seal_audit_log() -> int:
    """Chain every unsealed entry older than a minute; returns how many were sealed."""
    cutoff = clock.now() - SEAL_DELAY
    with write_transaction() as session:
        seq, prev = audit_head()
        sealed = select(AuditSeal.entry_id)
        rows = session.execute(
            select(AuditEntry.__table__)
            .where(AuditEntry.created_at < cutoff, AuditEntry.id.not_in(sealed))
            .order_by(AuditEntry.id)
        ).mappings()
        count = 0
        for row in rows:
            seq += 1
            digest = link_hash(prev, row)
            # A concurrent sealer takes the same seq: the primary key makes one of the two transactions fail.
            session.add(AuditSeal(seq=seq, entry_id=row["id"], prev_hash=prev, hash=digest, sealed_at=clock.now()))
            prev, count = digest, count + 1
    return count


@dataclass
class AuditVerifyReport:
    entries: int = 0
    sealed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        verdict = "OK" if self.ok else f"TAMPERED ({len(self.problems)} problems)"
        return [*self.problems, f"audit log {verdict}: {self.entries} entries, {self.sealed} sealed"]


def verify_audit_log(*, anchored_heads: list[tuple[int, str]] = ()) -> AuditVerifyReport:
    """Walk the chain; report changed, removed or inserted entries and disagreement with anchored heads."""
    session = db.session
    report = AuditVerifyReport()
    entries = {row["id"]: row for row in session.execute(select(AuditEntry.__table__)).mappings()}
    report.entries = len(entries)
    seals = session.execute(select(AuditSeal.__table__).order_by(AuditSeal.seq)).mappings().all()
    report.sealed = len(seals)
    expected, prev = 1, GENESIS_HASH
    by_seq: dict[int, str] = {}
    for seal in seals:
        if seal["seq"] != expected:
            report.problems.append(f"audit seal {expected} is missing (seals removed)")
            break
        entry = entries.get(seal["entry_id"])
        if entry is None:
            report.problems.append(f"audit entry {seal['entry_id']} (seal {seal['seq']}) was removed")
            break
        if seal["prev_hash"] != prev or link_hash(prev, entry) != seal["hash"]:
            report.problems.append(f"audit entry {entry['id']} (seal {seal['seq']}) was changed")
            break
        by_seq[seal["seq"]] = seal["hash"]
        expected, prev = expected + 1, seal["hash"]
    last_sealed_id = max((s["entry_id"] for s in seals), default=0)
    sealed_ids = {s["entry_id"] for s in seals}
    late = [i for i, row in entries.items() if i not in sealed_ids and i < last_sealed_id]
    cutoff = clock.now() - SEAL_DELAY * 10
    stale = [i for i, row in entries.items() if i not in sealed_ids and row["created_at"] < cutoff]
    for entry_id in sorted(set(late) | set(stale))[:1]:
        report.problems.append(f"audit entry {entry_id} is not in the chain (inserted after sealing, or unsealed)")
    for seq, digest in anchored_heads:
        if seq > len(seals) or by_seq.get(seq, digest) != digest:
            report.problems.append(f"audit chain differs from its signed anchor at seal {seq} (rewritten or cut)")
            break
    return report


def count_unsealed() -> int:
    return db.session.execute(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.id.not_in(select(AuditSeal.entry_id)))
    ).scalar_one()
