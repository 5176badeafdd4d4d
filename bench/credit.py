"""Credit recompute and simulation at scale, on fresh SQLite and PostgreSQL databases (created and dropped here).

    .venv/bin/python bench/credit.py                       # 100,000 villagers, 1,000,000 events, both databases
    .venv/bin/python bench/credit.py --villagers 10000 --events 100000 --backends sqlite

Prints, per database: load time, `recompute` (the service `flask credit recompute` runs) in villagers/s, one SQL
GROUP BY over the same events, their ratio (target <= 2x; the medians of `--repeat` runs of each, default 3), and
a draft simulated over a 3,000-person village (target <= 1 s).
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from backend import create_app
from backend.extensions import db
from backend.models import RuleSet, Town, Village, Villager
from backend.rules import load_demo_rule_set
from backend.services.access import Caller
from backend.services.credit.simulation import simulate_credit_draft
from backend.services.credit.snapshots import recompute_snapshots

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SIM_VILLAGERS = 3000
SIM_EVENTS_EACH = 10
TODAY = date.today()
RULES = [("R02", 4), ("R03", 2), ("R01", 1), ("R11", 1), ("H31", 6), ("H32", 6), ("H33", 2), ("H42", 2), ("R41", 1)]
CODES = [code for code, weight in RULES for _ in range(weight)]
ADMIN = Caller(user_id=0, role="admin")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villagers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--village-size", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3, help="runs of recompute and of GROUP BY (medians compared)")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    figures = {backend: run(backend, args) for backend in args.backends.split(",")}
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


def run(backend: str, args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = fresh_database(backend, args.pg_url, Path(tmp))
        try:
            app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
            with app.app_context():
                figures = bench(backend, args)
                db.session.remove()
                db.engine.dispose()
        finally:
            drop()
    return figures


def fresh_database(backend: str, pg_url: str, tmp: Path):
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    name = f"bench_credit_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(pg_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(pg_url).set(database=name).render_as_string(hide_password=False), drop


def bench(backend: str, args) -> dict:
    db.create_all()
    rng = random.Random(7)
    started = time.perf_counter()
    villages = make_villages(args.villagers, args.village_size)
    people = make_villagers(villages)
    load_events(backend, rng, people, args.events)
    print(f"[{backend}] loaded {args.villagers:,} villagers, {args.events:,} events in {elapsed(started):.1f} s")

    scope = [village_id for village_id, _ in villages]
    # Each side runs `--repeat` times in turn and the medians are compared: the first run of either pays for a
    # colder page cache, and the machine's other load moves single runs by 20-30%.
    recomputes, group_bys = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        report = recompute_snapshots(village_ids=scope, month=TODAY)
        recomputes.append(elapsed(started))
        assert report["snapshots"] == args.villagers, report
        started = time.perf_counter()
        groups = db.session.execute(select_sum()).all()
        group_bys.append(elapsed(started))
        db.session.rollback()
    recompute, group_by = statistics.median(recomputes), statistics.median(group_bys)
    print(f"[{backend}] runs: recompute {fmt(recomputes)} s, GROUP BY {fmt(group_bys)} s; medians below")
    print(
        f"[{backend}] recompute: {recompute:.2f} s = {args.villagers / recompute:,.0f} villagers/s; "
        f"GROUP BY sum over the same events: {group_by:.2f} s ({len(groups):,} groups); "
        f"ratio {recompute / group_by:.1f}x (target <= 2x)"
    )

    sim_village = make_villages(SIM_VILLAGERS, SIM_VILLAGERS, prefix="SIM")
    load_events(backend, rng, make_villagers(sim_village), SIM_VILLAGERS * SIM_EVENTS_EACH)
    draft = make_draft(sim_village[0][0])
    started = time.perf_counter()
    result = simulate_credit_draft(caller=ADMIN, rule_set=draft)
    simulate = elapsed(started)
    print(
        f"[{backend}] simulate a draft over {len(result['people']):,} villagers: {simulate:.2f} s (target <= 1 s); "
        f"{result['summary']['level_changed']} level changes"
    )
    return {
        "villagers": args.villagers,
        "events": args.events,
        "recompute_s": recompute,
        "group_by_s": group_by,
        "ratio": recompute / group_by,
        "recompute_runs": recomputes,
        "group_by_runs": group_bys,
        "simulate_s": simulate,
    }


def fmt(seconds: list[float]) -> str:
    return " / ".join(f"{s:.2f}" for s in seconds)


def select_sum():
    return text("SELECT villager_id, COUNT(*), SUM(quantity) FROM credit_entries GROUP BY villager_id")


def elapsed(started: float) -> float:
    return time.perf_counter() - started


def make_villages(villagers: int, size: int, prefix: str = "B") -> list[tuple[int, int]]:
    town = Town(code=f"{prefix}T", name="基准镇")
    db.session.add(town)
    db.session.flush()
    document = load_demo_rule_set("credit_qt")
    document["effective_from"] = "2020-01-01"
    made = []
    for n in range((villagers + size - 1) // size):
        village = Village(town_id=town.id, code=f"{prefix}{n:05d}", name=f"基准村{n}")
        db.session.add(village)
        db.session.flush()
        db.session.add(
            RuleSet(
                village_id=village.id,
                kind="credit",
                version=1,
                status="published",
                effective_from=date(2020, 1, 1),
                document=document,
            )
        )
        made.append((village.id, min(size, villagers - n * size)))
    db.session.commit()
    return made


def make_villagers(villages) -> list[tuple[int, int]]:
    """Villagers for each (village id, count); returns (villager id, village id) pairs."""
    now = datetime.now()
    rows = []
    for village_id, count in villages:
        for n in range(count):
            rows.append(
                {
                    "village_id": village_id,
                    "name": f"村民{n}",
                    "sex": "男",
                    "birth_date": date(1950, 1, 1) + timedelta(days=n % 20000),
                    "is_head": n % 3 == 0,
                    "group_name": f"第{n % 5 + 1}村民小组",
                    "id_number_cipher": b"-",
                    "id_number_index": f"bench-{village_id}-{n}",
                    "id_number_masked": "330282********0000",
                    "status": "active",
                    "frozen": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    db.session.execute(insert(Villager), rows)
    db.session.commit()
    ids = [village_id for village_id, _ in villages]
    stmt = select(Villager.id, Villager.village_id).where(Villager.village_id.in_(ids))
    return [tuple(row) for row in db.session.execute(stmt)]


def event_rows(rng: random.Random, people, count: int):
    now = datetime.now()
    for _ in range(count):
        villager_id, village_id = people[rng.randrange(len(people))]
        occurred = TODAY - timedelta(days=rng.randrange(0, 600))
        code = rng.choice(CODES)
        facts = {"event.hours": rng.choice((2, 3, 4))} if code == "H31" else {}
        yield (
            village_id,
            villager_id,
            "rule",
            "violation" if code[0] == "R" else "honour",
            code,
            1,
            occurred,
            occurred + timedelta(days=7),
            1.0,
            "counted",
            facts,
            [],
            now,
            now,
        )


COLUMNS = (
    "village_id, villager_id, kind, origin, rule_code, rule_version, occurred_on, counts_from, quantity, status, "
    "facts, evidence_file_ids, created_at, updated_at"
)


def load_events(backend: str, rng: random.Random, people, count: int) -> None:
    rows = event_rows(rng, people, count)
    if backend == "postgresql":
        raw = db.session.connection().connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY credit_entries ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([*row[:10], json.dumps(row[10]), "[]", row[12], row[13]])
        db.session.commit()
        return
    conn = db.session.connection().connection.driver_connection
    statement = f"INSERT INTO credit_entries ({COLUMNS}) VALUES ({', '.join('?' * 14)})"  # noqa: S608 - constants
    batch = []
    for row in rows:
        batch.append(
            (
                *row[:6],
                row[6].isoformat(),
                row[7].isoformat(),
                *row[8:10],
                json.dumps(row[10]),
                "[]",
                row[12].isoformat(sep=" "),
                row[13].isoformat(sep=" "),
            )
        )
        if len(batch) == 50_000:
            conn.executemany(statement, batch)
            batch = []
    if batch:
        conn.executemany(statement, batch)
    db.session.commit()


def make_draft(village_id: int) -> RuleSet:
    document = load_demo_rule_set("credit_qt")
    rule = next(r for r in document["rules"] if r["code"] == "R03")
    rule["effect"]["amount"], rule["cap"]["amount"] = -15, 30
    draft = RuleSet(village_id=village_id, kind="credit", version=2, status="draft", document=document)
    db.session.add(draft)
    db.session.commit()
    return draft


if __name__ == "__main__":
    main()
