"""Tamper evidence for the ledger: per-account hash chains, Merkle checkpoints, and their verification.

An entry's hash is sha256(previous hash || canonical form of the entry); the canonical form carries every
column that means something, with timestamps at the precision both databases store (microseconds, naive UTC).
A checkpoint keeps every account's head (sequence number and hash) and an RFC 6962 Merkle root over them, so
that later rewriting of a whole chain, or deleting its tail, no longer matches what the checkpoint saw.
"""

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from backend.database import write_transaction
from backend.extensions import db
from backend.models.ledger import GENESIS_HASH, Account, Checkpoint, CheckpointHead, Entry

# The columns an entry's hash covers, in this order. The id is not among them: it is assigned on insert,
# after the hash has to be known; the order of ids is checked against the sequence numbers instead.
HASHED_COLUMNS = (
    "account_id",
    "seq",
    "transfer_id",
    "village_id",
    "amount",
    "balance_after",
    "expires_on",
    "rule_code",
    "rule_version",
    "reason",
    "source_type",
    "source_id",
    "actor_id",
    "created_at",
)


def _canonical_value(value):
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def canonical_entry(values) -> bytes:
    """The bytes an entry's hash is taken over; `values` is an Entry or a row mapping with its columns."""
    get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
    data = [_canonical_value(get(name)) for name in HASHED_COLUMNS]
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(prev_hash: str, values) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical_entry(values)).hexdigest()


# --- Merkle tree (RFC 6962, section 2.1) ------------------------------------------------------------------


def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _tree_hash(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return _leaf(leaves[0])
    split = 1 << ((len(leaves) - 1).bit_length() - 1)  # the largest power of two smaller than n
    return _node(_tree_hash(leaves[:split]), _tree_hash(leaves[split:]))


def merkle_root(leaves: list[bytes]) -> str:
    """MTH of RFC 6962: sha256 of nothing for no leaves, leaves prefixed 0x00, nodes 0x01."""
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    return _tree_hash(leaves).hex()


def head_leaf(account_id: int, seq: int, head_hash: str) -> bytes:
    return f"{account_id}:{seq}:{head_hash}".encode()


def create_checkpoint() -> Checkpoint:
    """Record every account's head and the Merkle root over them (accounts in ascending id)."""
    with write_transaction() as session:
        heads = session.execute(
            select(Account.id, Account.last_seq, Account.head_hash).where(Account.last_seq > 0).order_by(Account.id)
        ).all()
        checkpoint = Checkpoint(
            root_hash=merkle_root([head_leaf(*head) for head in heads]),
            account_count=len(heads),
            entry_count=sum(head.last_seq for head in heads),
        )
        session.add(checkpoint)
        session.flush()
        session.add_all(
            CheckpointHead(checkpoint_id=checkpoint.id, account_id=a, seq=s, head_hash=h) for a, s, h in heads
        )
    return checkpoint


# --- verification -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    kind: str  # changed, removed, inserted, reordered, unbalanced, checkpoint
    message: str
    account_id: int | None = None
    entry_id: int | None = None
    seq: int | None = None


@dataclass
class VerifyReport:
    accounts: int = 0
    entries: int = 0
    checkpoint_id: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        """Human-readable lines, problems first."""
        lines = [p.message for p in self.problems]
        against = f", checkpoint #{self.checkpoint_id}" if self.checkpoint_id else ", no checkpoint yet"
        verdict = "OK" if self.ok else f"TAMPERED ({len(self.problems)} problems)"
        lines.append(f"ledger {verdict}: {self.accounts} accounts, {self.entries} entries{against}")
        return lines


@dataclass
class _Walk:
    """One account's chain as read back, in insertion (id) order."""

    rows: list = field(default_factory=list)
    hashes_by_seq: dict = field(default_factory=dict)
    total: int = 0


def _check_chain(account, walk: _Walk) -> Problem | None:
    """The first entry of one account that breaks its chain, or a mismatch with the account's stored head."""
    label = f"account {account.id} ({account.owner_key})" if account is not None else "an unknown account"
    seqs = {row.seq for row in walk.rows}
    seen: set[int] = set()
    expected, prev = 1, GENESIS_HASH
    for row in walk.rows:
        where = {"account_id": row.account_id, "entry_id": row.id, "seq": row.seq}
        if row.seq != expected:
            if row.seq in seen:
                return Problem("inserted", f"{label}: entry id {row.id} repeats seq {row.seq} (inserted)", **where)
            if expected in seqs:
                msg = f"{label}: entry id {row.id} has seq {row.seq} where seq {expected} belongs (reordered)"
                return Problem("reordered", msg, **where)
            msg = f"{label}: seq {expected} is missing before entry id {row.id} seq {row.seq} (removed)"
            return Problem("removed", msg, account_id=row.account_id, entry_id=row.id, seq=expected)
        if account is not None and row.seq > account.last_seq:
            return Problem("inserted", f"{label}: entry id {row.id} seq {row.seq} is past the head (inserted)", **where)
        if entry_hash(row.prev_hash, row) != row.hash:
            return Problem("changed", f"{label}: entry id {row.id} seq {row.seq} was changed (hash mismatch)", **where)
        if row.prev_hash != prev:
            msg = f"{label}: entry id {row.id} seq {row.seq} does not follow seq {row.seq - 1} (changed or replaced)"
            return Problem("changed", msg, **where)
        seen.add(row.seq)
        expected, prev = expected + 1, row.hash
    if account is None:
        return Problem("inserted", f"{label}: entries without an account", account_id=walk.rows[0].account_id)
    last = expected - 1
    if last < account.last_seq:
        msg = f"{label}: entries after seq {last} up to seq {account.last_seq} were removed"
        return Problem("removed", msg, account_id=account.id, seq=last + 1)
    if prev != account.head_hash:
        return Problem("changed", f"{label}: head hash does not match its last entry", account_id=account.id, seq=last)
    if walk.total != account.balance:
        msg = f"{label}: balance {account.balance} differs from the sum of its entries {walk.total}"
        return Problem("changed", msg, account_id=account.id)
    return None


def _check_checkpoint(session, walks: dict, report: VerifyReport) -> None:
    checkpoint = session.execute(select(Checkpoint.__table__).order_by(Checkpoint.id.desc()).limit(1)).one_or_none()
    if checkpoint is None:
        return
    report.checkpoint_id = checkpoint.id
    heads = session.execute(
        select(CheckpointHead.account_id, CheckpointHead.seq, CheckpointHead.head_hash)
        .where(CheckpointHead.checkpoint_id == checkpoint.id)
        .order_by(CheckpointHead.account_id)
    ).all()
    if merkle_root([head_leaf(*head) for head in heads]) != checkpoint.root_hash or len(heads) != (
        checkpoint.account_count
    ):
        report.problems.append(Problem("checkpoint", f"checkpoint #{checkpoint.id}: heads do not match its root"))
        return
    for account_id, seq, head_hash in heads:
        walk = walks.get(account_id) or _Walk()
        found = walk.hashes_by_seq.get(seq)
        if found is None:
            msg = f"account {account_id}: seq {seq}, seen by checkpoint #{checkpoint.id}, was removed"
            report.problems.append(Problem("removed", msg, account_id=account_id, seq=seq))
        elif found != head_hash:
            msg = (
                f"account {account_id}: entries up to seq {seq} differ from checkpoint #{checkpoint.id} "
                "(rewritten since)"
            )
            report.problems.append(Problem("changed", msg, account_id=account_id, seq=seq))


def verify_ledger() -> VerifyReport:
    """Check every chain, balance, transfer and the last checkpoint; reads only (the caller's session).

    One pass over the stored rows as the driver returns them (no ORM or type processing: millions of entries)
    finds the accounts whose chain shows anything unexpected; only those are read again and walked by
    `_check_chain`, which names the first bad entry. An account passes the fast walk only when every entry's
    hash, recomputed from the stored bytes, matches, its sequence numbers run 1..n in id order, and its head,
    balance and count match the account row: exactly when `_check_chain` finds nothing.
    """
    session = db.session
    report = VerifyReport()
    # Plain rows, not ORM objects: verification must see the stored values, never a cached copy.
    accounts = {a["id"]: _Row(a) for a in session.execute(select(Account.__table__)).mappings()}
    checkpoint_seqs = _checkpoint_seqs(session)
    walks, legs, suspects, report.entries = _fast_walk(session, accounts, checkpoint_seqs)
    report.accounts = len(accounts)
    for account_id in sorted(suspects | (set(accounts) - set(walks))):
        # An account without a single entry has nothing to read again.
        walk = _exact_walk(session, account_id) if account_id in suspects else _Walk()
        walks[account_id] = walk
        problem = _check_chain(accounts.get(account_id), walk)
        if problem is not None:
            report.problems.append(problem)
    for transfer_id, total in sorted(legs.items()):
        if total != 0:
            report.problems.append(Problem("unbalanced", f"transfer {transfer_id}: its legs sum to {total}, not 0"))
    _check_checkpoint(session, walks, report)
    return report


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # what canonical_entry's dumps does
_EXPIRES, _CREATED = HASHED_COLUMNS.index("expires_on"), HASHED_COLUMNS.index("created_at")
_FAST_SELECT = (
    f"SELECT {', '.join(HASHED_COLUMNS)}, prev_hash, hash FROM {Entry.__tablename__} "  # noqa: S608 - constants
    "ORDER BY account_id, id"
)


def _checkpoint_seqs(session) -> dict[int, int]:
    """Account id -> the sequence number the last checkpoint saw (whose hash the walk must keep)."""
    latest = select(Checkpoint.id).order_by(Checkpoint.id.desc()).limit(1).scalar_subquery()
    heads = session.execute(
        select(CheckpointHead.account_id, CheckpointHead.seq).where(CheckpointHead.checkpoint_id == latest)
    )
    return dict(heads.all())


def _fast_walk(session, accounts: dict, checkpoint_seqs: dict[int, int]):
    """(walks of the accounts that passed, legs by transfer, ids of suspect accounts, entries read)."""
    walks: dict[int, _Walk] = {}
    legs: dict[int, int] = defaultdict(int)
    suspects: set[int] = set()
    sha256, encode = hashlib.sha256, _ENCODE
    entries = 0
    current, expected, prev, total, hashes, bad = None, 1, GENESIS_HASH, 0, {}, False

    def close():
        account = accounts.get(current)
        if (
            bad
            or account is None
            or expected - 1 != account.last_seq
            or prev != account.head_hash
            or total != account.balance
        ):
            suspects.add(current)
        else:
            walks[current] = _Walk(hashes_by_seq=hashes, total=total)

    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(_FAST_SELECT)
        while batch := cursor.fetchmany(20_000):
            for row in batch:
                entries += 1
                account_id, seq, transfer_id, amount = row[0], row[1], row[2], row[4]
                legs[transfer_id] += amount
                if account_id != current:
                    if current is not None:
                        close()
                    current, expected, prev, total, hashes, bad = account_id, 1, GENESIS_HASH, 0, {}, False
                if bad:
                    continue
                values = list(row[:14])
                expires, created = values[_EXPIRES], values[_CREATED]
                # psycopg hands back dates and datetimes; SQLite the text SQLAlchemy stored, already canonical.
                if expires is not None and not isinstance(expires, str):
                    values[_EXPIRES] = expires.isoformat()
                if not isinstance(created, str):
                    values[_CREATED] = created.isoformat(sep=" ", timespec="microseconds")
                stored_prev, stored_hash = row[14], row[15]
                if (
                    seq != expected
                    or stored_prev != prev
                    or sha256(f"{stored_prev}\n{encode(values)}".encode()).hexdigest() != stored_hash
                ):
                    bad = True
                    continue
                if checkpoint_seqs.get(account_id) == seq:
                    hashes[seq] = stored_hash
                expected, prev, total = expected + 1, stored_hash, total + amount
        if current is not None:
            close()
    finally:
        cursor.close()
    return walks, legs, suspects, entries


def _exact_walk(session, account_id: int) -> _Walk:
    """One account's entries read back with the columns' own types, for `_check_chain` to name what is wrong."""
    walk = _Walk()
    rows = session.execute(select(Entry.__table__).where(Entry.account_id == account_id).order_by(Entry.id))
    for row in rows.mappings():
        walk.rows.append(_Row(row))
        walk.hashes_by_seq.setdefault(row["seq"], row["hash"])
        walk.total += row["amount"]
    return walk


def ledger_totals() -> dict:
    """Sums that must hold at all times: every leg (0), and stored balances against their entries."""
    session = db.session
    legs = session.execute(select(func.coalesce(func.sum(Entry.amount), 0))).scalar_one()
    sums = dict(session.execute(select(Entry.account_id, func.sum(Entry.amount)).group_by(Entry.account_id)).all())
    accounts = session.execute(select(Account.id, Account.kind, Account.balance)).all()
    return {
        "legs": legs,
        "mismatched": [a.id for a in accounts if a.balance != sums.get(a.id, 0)],
        "negative_villagers": [a.id for a in accounts if a.kind == "villager" and a.balance < 0],
    }


class _Row:
    """Attribute access over a row mapping, so that the hash function reads rows and models alike."""

    __slots__ = ("_data",)

    def __init__(self, data):
        self._data = dict(data)

    def __getattr__(self, name):
        try:
            return self._data[name]
        except KeyError as exc:
            raise AttributeError(name) from exc
