"""`flask ledger verify` throughput against hashing the same bytes with hashlib alone, on both databases.

Builds a ledger of `--transfers` two-leg transfers over `--accounts` shop and issuing accounts of one village
(valid hash chains, written in bulk), then times `verify_ledger()` (what `flask ledger verify` runs: read every
account and entry, recompute each entry's canonical form and sha256, follow the chains, check balances, legs and
the last checkpoint) against sha256 over the very bytes each entry's hash covers, prepared in memory beforehand.
Medians of `--repeat` runs of each; ratio = verify throughput / hashlib throughput (target >= 0.5).

    .venv/bin/python bench/verify.py [--transfers 100000] [--backends sqlite,postgresql] [--json FILE]
"""

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from redeem import create_database

from backend import create_app
from backend.extensions import db
from backend.models import Town, Village
from backend.models.ledger import GENESIS_HASH, Account, Entry, Transfer
from backend.services.ledger.integrity import canonical_entry, create_checkpoint, verify_ledger


def build(transfers: int, accounts: int) -> list[bytes]:
    """Write the ledger; returns the bytes each entry's hash is taken over, in verification order."""
    town = Town(code="VT", name="校验镇")
    db.session.add(town)
    db.session.flush()
    village = Village(town_id=town.id, code="VT01", name="校验村")
    db.session.add(village)
    db.session.flush()
    rows = [
        {"village_id": village.id, "kind": "shop", "owner_key": f"shop:{n}:village:{village.id}", "shop_id": n}
        for n in range(accounts)
    ]
    db.session.execute(Account.__table__.insert(), rows)
    ids = [
        a for (a,) in db.session.execute(Account.__table__.select().with_only_columns(Account.id).order_by(Account.id))
    ]
    heads = {a: [0, 0, GENESIS_HASH] for a in ids}  # balance, seq, hash
    moment = datetime(2026, 1, 1)
    transfer_rows, entry_rows = [], []
    for n in range(transfers):
        when = moment + timedelta(seconds=n)
        source, target = ids[n % len(ids)], ids[(n * 7 + 1) % len(ids)]
        if source == target:
            target = ids[(ids.index(source) + 1) % len(ids)]
        amount = 1 + n % 50
        transfer_rows.append(
            {
                "id": n + 1,
                "village_id": village.id,
                "kind": "adjust",
                "idempotency_key": f"verify:{n}",
                "amount": amount,
                "reason": "校验用调整",
                "source_type": "bench",
                "created_at": when,
            }
        )
        for account, delta in ((source, -amount), (target, amount)):
            head = heads[account]
            entry = {
                "village_id": village.id,
                "account_id": account,
                "transfer_id": n + 1,
                "seq": head[1] + 1,
                "amount": delta,
                "balance_after": head[0] + delta,
                "expires_on": None,
                "rule_code": None,
                "rule_version": None,
                "reason": "校验用调整",
                "source_type": "bench",
                "source_id": None,
                "actor_id": None,
                "created_at": when,
                "prev_hash": head[2],
            }
            entry["hash"] = hashlib.sha256(entry["prev_hash"].encode() + b"\n" + canonical_entry(entry)).hexdigest()
            head[:] = [entry["balance_after"], entry["seq"], entry["hash"]]
            entry_rows.append(entry)
    for start in range(0, len(transfer_rows), 20_000):
        db.session.execute(Transfer.__table__.insert(), transfer_rows[start : start + 20_000])
    for start in range(0, len(entry_rows), 20_000):
        db.session.execute(Entry.__table__.insert(), entry_rows[start : start + 20_000])
    db.session.execute(
        Account.__table__.update()
        .where(Account.id == db.bindparam("pk"))
        .values(balance=db.bindparam("b"), last_seq=db.bindparam("s"), head_hash=db.bindparam("h")),
        [{"pk": a, "b": b, "s": s, "h": h} for a, (b, s, h) in heads.items()],
    )
    db.session.commit()
    create_checkpoint()
    entry_rows.sort(key=lambda e: (e["account_id"], e["seq"]))
    return [e["prev_hash"].encode() + b"\n" + canonical_entry(e) for e in entry_rows]


def run(kind: str, args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = create_database(kind, Path(tmp))
        try:
            app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
            with app.app_context():
                db.create_all()
                blobs = build(args.transfers, args.accounts)
                verifies, hashes = [], []
                for _ in range(args.repeat):
                    db.session.remove()
                    started = time.perf_counter()
                    report = verify_ledger()
                    verifies.append(time.perf_counter() - started)
                    assert report.ok and report.entries == len(blobs), report.lines()
                    started = time.perf_counter()
                    for blob in blobs:
                        hashlib.sha256(blob).hexdigest()
                    hashes.append(time.perf_counter() - started)
                db.session.remove()
                db.engine.dispose()
        finally:
            drop()
    verify, hashed = statistics.median(verifies), statistics.median(hashes)
    result = {
        "entries": len(blobs),
        "verify_s": verify,
        "hashlib_s": hashed,
        "verify_per_s": len(blobs) / verify,
        "hashlib_per_s": len(blobs) / hashed,
        "ratio": hashed / verify,
        "runs": [round(v, 3) for v in verifies],
    }
    print(
        f"[{kind}] ledger verify: {len(blobs):,} entries in {verify:.2f} s = {result['verify_per_s']:,.0f}/s; "
        f"hashlib over the same bytes {hashed:.3f} s = {result['hashlib_per_s']:,.0f}/s; ratio {result['ratio']:.2f} "
        "(target >= 0.5)",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--json")
    args = parser.parse_args()
    figures = {kind: run(kind, args) for kind in args.backends.split(",")}
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
