"""Redemption and signed-in read against gunicorn, next to the raw transaction and the floor probe, on both databases.

For each database: a fresh database with a village (credit rules published), a shop with an unlimited 1-point
item, villagers with points (half of them with 500 credit entries each) and pay codes; gunicorn with the repo's
gunicorn.conf.py (2 sync workers) serving, on one port, the app, the raw transaction (/bench-raw, raw_wsgi.py)
and the floor probe (/floor, floor_wsgi.py). Then, `--repeat` times in turn (medians reported), closed-loop with
wrk at `--connections` for `--seconds` each:
  raw         lock an account row, update its balance, insert one row
  floor read  the probe's signed-in read;     app read    GET /api/v1/shops/{id}
  floor sale  the probe's redemption;         app sale    POST /api/v1/redemptions (villagers without entries)
  app sale 500 entries                        the same for villagers with 500 credit entries each
and once, open-loop: redemptions arriving at `--rate`/s (Poisson) for `--open-seconds`. Each figure comes with the
CPU per request of the app's workers (and of PostgreSQL), read from the processes. Afterwards: the workers' RSS,
and `ledger verify` (must be clean). The statements of one product redemption and of the probe's are recorded
in-process and compared.

    .venv/bin/python bench/redeem.py [--seconds 8] [--repeat 3] [--only postgresql|sqlite] [--json FILE]
"""

import argparse
import contextlib
import http.client
import importlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import load  # noqa: E402 - after the path is set

PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
VILLAGERS = 64  # the first half without credit entries, the second half with ENTRIES_EACH each
ENTRIES_EACH = 500
JWT_SECRET = "bench-" + "x" * 40


def create_database(kind: str, workdir: Path) -> tuple[str, callable]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", lambda: None
    name = f"bench_redeem_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False), drop


def bench_app(url: str):
    from backend import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING", "JWT_SECRET_KEY": JWT_SECRET})


def seed(url: str, codes: int) -> dict:
    """Schema, shop and item, villagers with points, credit rules and entries, pay codes and a keeper's token."""
    from sqlalchemy import text

    from backend import clock
    from backend.database import write_transaction
    from backend.extensions import db
    from backend.models import CreditEntry, PayCode, RewardItem, RuleSet, Shop, Town, User, Village, Villager
    from backend.rules import load_demo_rule_set
    from backend.services.auth.sessions import start_session
    from backend.services.ledger.postings import earn_points
    from backend.services.shops.pay_codes import new_token, token_hash

    app = bench_app(url)
    with app.app_context():
        db.create_all()
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE bench_accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)"))
            conn.execute(
                text(
                    "CREATE TABLE bench_rows (id "
                    + ("SERIAL" if db.engine.dialect.name == "postgresql" else "INTEGER")
                    + " PRIMARY KEY, account_id INTEGER NOT NULL, amount INTEGER NOT NULL, created_at TIMESTAMP)"
                )
            )
            conn.execute(
                text("INSERT INTO bench_accounts (id, balance) VALUES (:id, 1000000)"),
                [{"id": i} for i in range(1, VILLAGERS + 1)],
            )
        town = Town(code="BT", name="压测镇")
        db.session.add(town)
        db.session.flush()
        village = Village(town_id=town.id, code="BT01", name="压测村")
        db.session.add(village)
        db.session.flush()
        document = load_demo_rule_set("credit_qt")
        document["effective_from"] = "2020-01-01"
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
        shop = Shop(town_id=town.id, village_id=village.id, name="压测超市", status="active")
        db.session.add(shop)
        db.session.flush()
        item = RewardItem(shop_id=shop.id, village_id=village.id, name="肥皂", price_points=1, stock=None)
        keeper = User(
            role="shopkeeper", username="bench-keeper", town_id=town.id, village_id=village.id, shop_id=shop.id
        )
        villagers = [
            Villager(
                village_id=village.id,
                name=f"村民{n}",
                sex="男",
                id_number_cipher=b"x",
                id_number_index=f"bench-{n}",
                id_number_masked="330282********0000",
            )
            for n in range(VILLAGERS)
        ]
        db.session.add_all([item, keeper, *villagers])
        db.session.commit()
        for villager in villagers:
            with write_transaction() as session:
                earn_points(
                    session,
                    villager_id=villager.id,
                    village_id=village.id,
                    amount=100_000,
                    expires_on=clock.today() + timedelta(days=365),
                    rule_code="BENCH",
                    rule_version=1,
                    reason="压测",
                    source_type="bench",
                    source_id=None,
                    idempotency_key=f"bench:{villager.id}",
                )
        # Honours and minor violations spread over the last two years: what a long-standing villager carries.
        rng = random.Random(15)
        today = clock.today()
        entries = []
        for villager in villagers[VILLAGERS // 2 :]:
            for _ in range(ENTRIES_EACH):
                code = rng.choice(("R02", "R03", "H31", "H32", "H33"))
                occurred = today - timedelta(days=rng.randrange(30, 700))
                entries.append(
                    {
                        "village_id": village.id,
                        "villager_id": villager.id,
                        "kind": "rule",
                        "origin": "violation" if code[0] == "R" else "honour",
                        "rule_code": code,
                        "rule_version": 1,
                        "occurred_on": occurred,
                        "counts_from": occurred + timedelta(days=7),
                        "quantity": 1.0,
                        "status": "counted",
                        "facts": {"event.hours": 3} if code == "H31" else {},
                        "evidence_file_ids": [],
                    }
                )
        db.session.execute(CreditEntry.__table__.insert(), entries)
        users = [
            User(role="villager", openid=f"bench-{v.id}", villager_id=v.id, village_id=village.id) for v in villagers
        ]
        db.session.add_all(users)
        db.session.flush()
        tokens = [new_token() for _ in range(codes)]
        expires = clock.now() + timedelta(hours=2)
        db.session.execute(
            PayCode.__table__.insert(),
            [
                {
                    "village_id": village.id,
                    "villager_id": users[i % VILLAGERS].villager_id,
                    "user_id": users[i % VILLAGERS].id,
                    "token_hash": token_hash(token),
                    "created_at": clock.now(),
                    "expires_at": expires,
                }
                for i, token in enumerate(tokens)
            ],
        )
        access = start_session(keeper).access_token
        db.session.commit()
        half = VILLAGERS // 2
        result = {
            "token": access,
            "shop_id": shop.id,
            "item_id": item.id,
            # Codes of villagers without entries, and of villagers with 500 each.
            "plain": [t for i, t in enumerate(tokens) if i % VILLAGERS < half],
            "heavy": [t for i, t in enumerate(tokens) if i % VILLAGERS >= half],
        }
        db.session.remove()
        db.engine.dispose()
    return result


class Codes:
    """Unused pay codes of one kind of villager, handed out once each."""

    def __init__(self, codes: list[str]):
        self.codes = codes
        self.next = 0

    def take(self, count: int) -> list[str]:
        taken = self.codes[self.next : self.next + count]
        self.next += len(taken)
        return taken

    def one(self) -> str:
        return self.take(1)[0]


def trace_statements(url: str, seeded: dict, codes: Codes, heavy: Codes) -> dict:
    """`verb table` of each statement of one product redemption and of one probe redemption, in order."""
    from sqlalchemy import event

    from backend.extensions import db

    os.environ["DATABASE_URL"], os.environ["JWT_SECRET_KEY"] = url, JWT_SECRET
    import floor_wsgi

    floor_wsgi = importlib.reload(floor_wsgi)  # its engine, for this run's database

    app = bench_app(url)
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.split()[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            seen.append(floor_wsgi.statement_name(statement))

    auth = {"Authorization": f"Bearer {seeded['token']}"}

    def body(code=None):
        return {
            "pay_code": code or codes.one(),
            "shop_id": seeded["shop_id"],
            "items": [{"item_id": seeded["item_id"], "quantity": 1}],
        }

    traces = {}
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    # Requests outside any app context, so that each gets its own (and its own `g`), as under gunicorn.
    client = app.test_client()
    # First one sale per villager: it keeps their credit state, as the services that write credit entries would
    # have (the seed bulk-inserts the entries past them); then one in the steady state, traced.
    for code in [*codes.take(VILLAGERS // 2), *heavy.take(VILLAGERS // 2), None]:
        seen.clear()
        response = client.post(
            "/api/v1/redemptions", json=body(code), headers={**auth, "Idempotency-Key": uuid.uuid4().hex}
        )
        assert response.status_code == 201, response.get_data(as_text=True)
    traces["app"] = list(seen)
    engine.dispose()
    event.listen(floor_wsgi._engine, "before_cursor_execute", record)
    client = floor_wsgi.app.test_client()
    seen.clear()
    response = client.post("/redemptions", json=body(), headers={**auth, "Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.get_data(as_text=True)
    traces["floor"] = list(seen)
    event.remove(floor_wsgi._engine, "before_cursor_execute", record)
    floor_wsgi._engine.dispose()
    return traces


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, workdir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JWT_SECRET_KEY": JWT_SECRET,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "APP_ENV": "development",
        "LOG_LEVEL": "INFO",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        "INSTANCE_PATH": str(workdir),
        "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}",
    }
    log = (workdir / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "raw_wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,  # one JSON line per request: kept out of the figures' way
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    tail = (workdir / "gunicorn.log").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"gunicorn did not start:\n{tail}")


def cpu_by_pid(find) -> dict[int, float]:
    """CPU seconds so far of each process `find()` lists (a process that ends in between is simply not counted)."""
    found = {}
    for process in find():
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            found[process.pid] = times.user + times.system
    return found


def server_processes(server: subprocess.Popen, kind: str) -> dict:
    """How to find the gunicorn workers and, on PostgreSQL, the database server's processes (backends included)."""

    def workers():
        return psutil.Process(server.pid).children()

    def database():
        return [p for p in psutil.process_iter(["name", "username"]) if p.info["username"] == "postgres"]

    return {"app": workers, "db": database} if kind == "postgresql" else {"app": workers}


def measured(processes: dict, run) -> dict:
    """`run()`'s figures plus the CPU per request (ms) each group of server processes spent meanwhile."""
    began = {name: cpu_by_pid(find) for name, find in processes.items()}
    figures = run()
    requests = figures.get("requests") or figures.get("sent") or 1
    for name, find in processes.items():
        ended = cpu_by_pid(find)
        spent = sum(seconds - began[name].get(pid, 0.0) for pid, seconds in ended.items())
        figures[f"cpu_{name}"] = spent / requests * 1000
    return figures


def bench(kind: str, args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-"))
    url, drop = create_database(kind, workdir)
    try:
        seeded = seed(url, codes=args.codes)
        plain, heavy = Codes(seeded["plain"]), Codes(seeded["heavy"])
        traces = trace_statements(url, seeded, plain, heavy)
        port = free_port()
        server = start_server(url, port, workdir)
        try:
            results = run_loads(kind, args, server, port, seeded, plain, heavy, workdir)
            results["rss_mb"] = [p.memory_info().rss / 2**20 for p in psutil.Process(server.pid).children()]
        finally:
            server.terminate()
            server.wait(timeout=30)
        results["traces"] = traces
        results["verify"] = verify(url)
        return results
    finally:
        drop()


def run_loads(kind, args, server, port, seeded, plain: Codes, heavy: Codes, workdir: Path) -> dict:
    processes = server_processes(server, kind)
    token, shop = seeded["token"], str(seeded["shop_id"])
    common = {"BENCH_AUTH": token, "BENCH_SHOP": shop, "BENCH_ITEM": str(seeded["item_id"])}

    def closed(method, path, codes: Codes | None = None, seconds=args.seconds):
        env = dict(common)
        if codes is not None:
            file = workdir / f"codes-{uuid.uuid4().hex[:6]}.txt"
            file.write_text("\n".join(codes.take(args.codes_per_run)) + "\n")
            env["BENCH_CODES"] = str(file)
        return lambda: load.closed_loop(
            port, method=method, path=path, seconds=seconds, connections=args.connections, env=env
        )

    runs = {
        "raw": lambda: closed("POST", "/bench-raw"),
        "floor_read": lambda: closed("GET", f"/floor/shops/{shop}"),
        "app_read": lambda: closed("GET", f"/api/v1/shops/{shop}"),
        "floor_sale": lambda: closed("POST", "/floor/redemptions", plain),
        "app_sale": lambda: closed("POST", "/api/v1/redemptions", plain),
        "app_sale_500": lambda: closed("POST", "/api/v1/redemptions", heavy),
    }
    closed("POST", "/bench-raw", seconds=2)()  # warm both workers and their pools
    closed("POST", "/api/v1/redemptions", plain, seconds=2)()
    closed("POST", "/floor/redemptions", plain, seconds=2)()
    samples: dict[str, list[dict]] = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, make in runs.items():
            samples[name].append(measured(processes, make()))
            print(f"  [{kind}] {name:13} {brief(samples[name][-1])}", flush=True)
    results = {name: median_of(runs_) for name, runs_ in samples.items()}

    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def arrival():
        body = {
            "pay_code": plain.one(),
            "shop_id": seeded["shop_id"],
            "items": [{"item_id": seeded["item_id"], "quantity": 1}],
        }
        return "POST", "/api/v1/redemptions", json.dumps(body).encode(), {**auth, "Idempotency-Key": uuid.uuid4().hex}

    results["open_loop"] = measured(
        processes, lambda: load.open_loop(port, rate=args.rate, seconds=args.open_seconds, make_request=arrival)
    )
    print(f"  [{kind}] open loop     {brief(results['open_loop'])}", flush=True)
    return results


def median_of(samples: list[dict]) -> dict:
    keys = [k for k, v in samples[0].items() if isinstance(v, (int, float))]
    merged = {k: statistics.median(s[k] for s in samples) for k in keys}
    merged["runs"] = [round(s["rps"], 1) for s in samples]
    return merged


def brief(f: dict) -> str:
    rate = f.get("rps", f.get("rate", 0))
    parts = [f"{rate:7.1f} req/s", f"p50 {f['p50']:6.1f} ms", f"p99 {f['p99']:6.1f} ms"]
    if "p999" in f:
        parts.append(f"p99.9 {f['p999']:6.1f} ms")
    parts.append(f"app CPU {f['cpu_app']:5.2f} ms/req")
    if "cpu_db" in f:
        parts.append(f"db {f['cpu_db']:4.2f}")
    parts.append(f"errors {f['errors']}")
    parts.append(f"load generator {f['client_cpu']:.0%} of a core")
    return "  ".join(parts)


def verify(url: str) -> str:
    from backend.extensions import db
    from backend.services.ledger.integrity import verify_ledger

    app = bench_app(url)
    with app.app_context():
        report = verify_ledger()
        db.session.remove()
        db.engine.dispose()
    return report.lines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8, help="each closed-loop run")
    parser.add_argument("--repeat", type=int, default=3, help="closed-loop runs of each kind (medians reported)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, default=100, help="open-loop arrivals per second")
    parser.add_argument("--open-seconds", type=float, default=60)
    parser.add_argument("--only", choices=["postgresql", "sqlite"])
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    if not load.wrk_available():
        sys.exit("wrk is not installed: scripts/ensure-wrk.sh (make bench runs it)")
    # Enough codes for every run at up to ~1,000 sales/s, plus the open loop.
    args.codes_per_run = int(args.seconds * 1000) + 1000
    args.codes = 2 * (args.codes_per_run * (2 * args.repeat + 3) + int(args.rate * args.open_seconds * 1.2) + 100)
    kinds = [args.only] if args.only else ["postgresql", "sqlite"]
    figures = {}
    for kind in kinds:
        print(
            f"[{kind}] seeding and starting gunicorn (2 sync workers); wrk {args.connections} connections", flush=True
        )
        figures[kind] = bench(kind, args)
        print(f"[{kind}] ledger after the bench: {figures[kind]['verify']}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    main()
