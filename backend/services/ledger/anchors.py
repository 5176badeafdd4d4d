"""Checkpoints that leave the database: signed anchor records appended to a file kept elsewhere.

A checkpoint in the database proves nothing to someone who doubts the database's operator: whoever can rewrite an
entry can recompute its hashes, the account's head and the checkpoint's root too. An anchor is that checkpoint
signed with an Ed25519 key the database never holds, and appended to a file that should live on another machine
or on write-once storage (README, "The ledger's anchors"); optionally a time-stamping service (RFC 3161) counter-
signs when it was made.

One record per line (JSON), for checkpoint N: its root and counts, and the hash of every entry booked since the
previously anchored checkpoint, per account (`chains`: account id -> [first seq, [hash, ...]]). Listing entry
hashes, not only heads, is what lets `verify --anchors` name the first entry that differs instead of a range;
it costs about 70 bytes per entry. Replaying the file rebuilds every account's head at each checkpoint, whose
RFC 6962 root must equal the signed root, so the listing cannot be quietly shortened either.
"""

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select

from backend.adapters.signing import dev_private_key, key_id, private_key_from_pem, private_key_from_seed_b64
from backend.adapters.timestamps import TimestampError, request_timestamp, timestamp_problem
from backend.extensions import db
from backend.models.ledger import Account, Checkpoint, CheckpointHead, Entry
from backend.services.ledger.integrity import Problem, head_leaf, merkle_root
from backend.settings import Settings

RECORD_VERSION = 1
# Added after signing: the signature itself, and the time stamp over it (or why there is none).
UNSIGNED = ("sig", "tst", "tst_error")


class AnchorError(Exception):
    """The anchor file cannot be extended: unreadable, signed by another key, or already past this checkpoint."""


@dataclass
class AnchorState:
    """What replaying an anchor file knows: each account's last anchored seq and hash, and the records read."""

    heads: dict[int, tuple[int, str]] = field(default_factory=dict)
    records: int = 0
    last_checkpoint: int = 0
    problems: list[Problem] = field(default_factory=list)
    # account id -> [(seq, hash), ...] in anchor order, for comparing with the database afterwards.
    entries: dict[int, list[tuple[int, str, int]]] = field(default_factory=dict)
    roots: dict[int, str] = field(default_factory=dict)
    # The audit log's chain head each anchor signed along (backend/services/audit_chain.py): (seq, hash).
    audit_heads: list[tuple[int, str]] = field(default_factory=list)


def signed_bytes(record: dict) -> bytes:
    """The bytes a record's signature covers: every field but UNSIGNED ones, canonically."""
    body = {k: v for k, v in record.items() if k not in UNSIGNED}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def replay_anchors(path: Path, public_key: Ed25519PublicKey, *, tsa_roots=None) -> AnchorState:
    """Read every record, check its signature, continuity and root, and rebuild the anchored heads."""
    state = AnchorState()
    for number, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        where = f"anchor line {number}"
        try:
            record = json.loads(line)
            checkpoint, signature = int(record["checkpoint"]), base64.b64decode(record["sig"], validate=True)
            chains = {int(a): (int(first), list(hashes)) for a, (first, hashes) in record["chains"].items()}
        except (ValueError, KeyError, TypeError) as exc:
            state.problems.append(Problem("anchor", f"{where}: unreadable record ({exc.__class__.__name__})"))
            return state
        try:
            public_key.verify(signature, signed_bytes(record))
        except InvalidSignature:
            state.problems.append(
                Problem("anchor", f"{where}: signature does not verify with key {key_id(public_key)}")
            )
            return state
        if record.get("tst") and tsa_roots is not None:
            problem = timestamp_problem(record["tst"], signature, tsa_roots)
            if problem:
                state.problems.append(Problem("anchor", f"{where}: time stamp {problem}"))
        if checkpoint <= state.last_checkpoint:
            state.problems.append(Problem("anchor", f"{where}: checkpoint #{checkpoint} is out of order"))
            return state
        for account_id, (first, hashes) in chains.items():
            last_seq = state.heads.get(account_id, (0, ""))[0]
            if first != last_seq + 1 or not hashes:
                msg = f"{where}: account {account_id} continues at seq {first}, after seq {last_seq}"
                state.problems.append(Problem("anchor", msg, account_id=account_id))
                return state
            listed = state.entries.setdefault(account_id, [])
            listed.extend((first + i, h, checkpoint) for i, h in enumerate(hashes))
            state.heads[account_id] = (first + len(hashes) - 1, hashes[-1])
        leaves = [head_leaf(a, seq, h) for a, (seq, h) in sorted(state.heads.items())]
        if merkle_root(leaves) != record["root"]:
            msg = f"{where}: checkpoint #{checkpoint}'s entries do not add up to its signed root"
            state.problems.append(Problem("anchor", msg))
            return state
        state.records, state.last_checkpoint = state.records + 1, checkpoint
        state.roots[checkpoint] = record["root"]
        if record.get("audit"):
            state.audit_heads.append((int(record["audit"][0]), str(record["audit"][1])))
    return state


def anchor_checkpoint(
    checkpoint: Checkpoint,
    *,
    path: Path,
    private_key: Ed25519PrivateKey,
    tsa_url: str = "",
    audit_head: tuple[int, str] | None = None,
) -> dict:
    """Sign checkpoint `checkpoint` and append it to the anchor file; returns the record written.

    `audit_head` (the audit log's chain head, sealed just before) is signed along, anchoring the audit log too.
    """
    state = replay_anchors(path, private_key.public_key())
    if state.problems:
        raise AnchorError("; ".join(p.message for p in state.problems))
    if checkpoint.id <= state.last_checkpoint:
        raise AnchorError(f"checkpoint #{checkpoint.id} is not newer than the last anchored #{state.last_checkpoint}")
    session = db.session
    heads = session.execute(
        select(CheckpointHead.account_id, CheckpointHead.seq).where(CheckpointHead.checkpoint_id == checkpoint.id)
    ).all()
    chains: dict[str, list] = {}
    for account_id, seq in sorted(heads):
        since = state.heads.get(account_id, (0, ""))[0]
        if seq <= since:
            continue
        hashes = session.execute(
            select(Entry.hash)
            .where(Entry.account_id == account_id, Entry.seq > since, Entry.seq <= seq)
            .order_by(Entry.seq)
        ).scalars()
        chains[str(account_id)] = [since + 1, list(hashes)]
    record = {
        "v": RECORD_VERSION,
        "checkpoint": checkpoint.id,
        "created_at": checkpoint.created_at.isoformat(timespec="seconds") + "+00:00",
        "root": checkpoint.root_hash,
        "accounts": checkpoint.account_count,
        "entries": checkpoint.entry_count,
        "key": key_id(private_key.public_key()),
        "chains": chains,
    }
    if audit_head is not None and audit_head[0] > 0:
        record["audit"] = [audit_head[0], audit_head[1]]
    signature = private_key.sign(signed_bytes(record))
    record["sig"] = base64.b64encode(signature).decode()
    if tsa_url:
        try:
            record["tst"] = request_timestamp(tsa_url, signature)
        except TimestampError as exc:
            # The signed record still goes out; a missing time stamp is reported, not a reason to keep it in.
            record["tst_error"] = str(exc)
    _append_line(path, json.dumps(record, separators=(",", ":"), ensure_ascii=True))
    return record


def _append_line(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def verify_against_anchors(path: Path, public_key: Ed25519PublicKey, *, tsa_roots=None) -> tuple[int, list[Problem]]:
    """Compare the stored ledger with every signed anchor; returns (records read, problems found)."""
    state = replay_anchors(path, public_key, tsa_roots=tsa_roots)
    problems = list(state.problems)
    session = db.session
    owners = dict(session.execute(select(Account.id, Account.owner_key)).all())
    for account_id, listed in sorted(state.entries.items()):
        stored = {
            seq: (entry_id, stored_hash)
            for entry_id, seq, stored_hash in session.execute(
                select(Entry.id, Entry.seq, Entry.hash).where(Entry.account_id == account_id)
            )
        }
        label = f"account {account_id} ({owners.get(account_id, 'missing')})"
        for seq, anchored_hash, checkpoint in listed:
            found = stored.get(seq)
            if found is None:
                msg = f"{label}: seq {seq}, signed in anchor of checkpoint #{checkpoint}, was removed"
                problems.append(Problem("removed", msg, account_id=account_id, seq=seq))
                break
            if found[1] != anchored_hash:
                msg = (
                    f"{label}: entry id {found[0]} seq {seq} differs from its signed anchor "
                    f"(checkpoint #{checkpoint}): rewritten"
                )
                problems.append(Problem("changed", msg, account_id=account_id, entry_id=found[0], seq=seq))
                break
    stored_roots = dict(session.execute(select(Checkpoint.id, Checkpoint.root_hash)).all())
    for checkpoint, root in sorted(state.roots.items()):
        if stored_roots.get(checkpoint, root) != root:
            msg = f"checkpoint #{checkpoint} in the database differs from its signed anchor"
            problems.append(Problem("checkpoint", msg))
    return state.records, problems


def anchor_signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The anchor signing key: LEDGER_SIGNING_KEY_FILE, LEDGER_SIGNING_KEY, or (development only) derived."""
    if settings.ledger_signing_key_file:
        return private_key_from_pem(settings.ledger_signing_key_file)
    if settings.ledger_signing_key:
        return private_key_from_seed_b64(settings.ledger_signing_key)
    if settings.app_env == "production":
        raise AnchorError("no LEDGER_SIGNING_KEY_FILE or LEDGER_SIGNING_KEY: production does not sign with a dev key")
    return dev_private_key(settings.secret_key, "ledger anchors v1")
