"""Redemption throughput and latency against gunicorn (2 workers) on PostgreSQL and SQLite.

For each database: create a fresh database, seed a village, a shop, villagers with points and enough pay codes,
start gunicorn with the repo's gunicorn.conf.py, then from 16 client threads over loopback run
  full:  POST /api/v1/redemptions (JWT, Idempotency-Key, pay code, ledger spend, stock, budget, receipt) for 20 s
  raw:   POST /bench-raw (lock an account row, update its balance, insert one row) for 20 s, same server
  floor: GET /api/v1/shops/{id} by the same shopkeeper (token checks and one read): what any signed-in request
         of the app costs before it does anything, to show how much of the gap is the framework's
and print requests/s, p50/p99, the CPU each request cost the app's workers and the database server (read from
the processes, so that they stay meaningful on a busy machine), and the ratio full/raw. Databases are dropped.

    .venv/bin/python bench/redeem.py [--seconds 20] [--connections 16] [--only postgresql|sqlite]
"""

import argparse
import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
VILLAGERS = 64


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def seed(url: str, codes: int) -> dict:
    """Schema, a shop with an unlimited 1-point item, villagers with points, pay codes and a keeper token."""
    from sqlalchemy import text

    from backend import clock, create_app
    from backend.database import write_transaction
    from backend.extensions import db
    from backend.models import PayCode, RewardItem, Shop, Town, User, Village, Villager
    from backend.services.auth.sessions import start_session
    from backend.services.ledger.postings import earn_points
    from backend.services.shops.pay_codes import new_token, token_hash

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
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
        users = [
            User(role="villager", openid=f"bench-{v.id}", villager_id=v.id, village_id=village.id) for v in villagers
        ]
        db.session.add_all(users)
        db.session.flush()
        tokens = [new_token() for _ in range(codes)]
        expires = clock.now() + timedelta(minutes=30)
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
        result = {"token": access, "shop_id": shop.id, "item_id": item.id, "codes": tokens}
        db.session.remove()
        db.engine.dispose()
    return result


def start_server(url: str, port: int, workdir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "APP_ENV": "development",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        "INSTANCE_PATH": str(workdir),
        "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}",
    }
    log = (workdir / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "raw_wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
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


def cpu_used(began: dict[int, float], ended: dict[int, float]) -> float:
    return sum(seconds - began.get(pid, 0.0) for pid, seconds in ended.items())


def load(port: int, seconds: float, connections: int, make_request, processes: dict | None = None) -> dict:
    """Closed-loop load: each thread sends one request after another for `seconds`."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(connections)
    stop_at = [0.0]

    def worker():
        mine, codes = [], {}
        barrier.wait()
        if stop_at[0] == 0.0:
            stop_at[0] = time.perf_counter() + seconds
        while time.perf_counter() < stop_at[0]:
            method, path, body, headers = make_request()
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            mine.append(time.perf_counter() - started)
            codes[response.status] = codes.get(response.status, 0) + 1
        with lock:
            latencies.extend(mine)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    processes = processes or {}
    server_began = {name: cpu_by_pid(find) for name, find in processes.items()}
    cpu_began = time.process_time()
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    client_cpu = (time.process_time() - cpu_began) / elapsed
    latencies.sort()
    ok = sum(count for code, count in statuses.items() if code < 300)
    server_cpu = {
        name: cpu_used(server_began[name], cpu_by_pid(find)) / max(len(latencies), 1) * 1000
        for name, find in processes.items()
    }
    return {
        "cpu_ms": server_cpu,
        "rps": ok / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "statuses": statuses,
        "client_cpu": client_cpu,
    }


def bench(kind: str, seconds: float, connections: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-"))
    url, drop = create_database(kind, workdir)
    try:
        seeded = seed(url, codes=int(seconds * 1200))
        codes = iter(seeded["codes"])
        code_lock = threading.Lock()
        auth = {"Authorization": f"Bearer {seeded['token']}", "Content-Type": "application/json"}

        def redemption():
            with code_lock:
                code = next(codes)
            body = {
                "pay_code": code,
                "shop_id": seeded["shop_id"],
                "items": [{"item_id": seeded["item_id"], "quantity": 1}],
            }
            return "POST", "/api/v1/redemptions", json.dumps(body), {**auth, "Idempotency-Key": str(uuid.uuid4())}

        def raw():
            return "POST", "/bench-raw", b"", {}

        def floor():
            return "GET", f"/api/v1/shops/{seeded['shop_id']}", None, auth

        port = free_port()
        server = start_server(url, port, workdir)
        try:
            load(port, 2, connections, raw)  # warm both workers and their pools
            processes = server_processes(server, kind)
            full = load(port, seconds, connections, redemption, processes)
            bare = load(port, seconds, connections, raw, processes)
            signed_in_read = load(port, seconds, connections, floor, processes)
        finally:
            server.terminate()
            server.wait(timeout=30)
        return {"full": full, "raw": bare, "floor": signed_in_read}
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", choices=["postgresql", "sqlite"])
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["postgresql", "sqlite"]
    print(f"gunicorn 2 sync workers, {args.connections} connections, {args.seconds:.0f} s per measurement")
    for kind in kinds:
        result = bench(kind, args.seconds, args.connections)
        full, raw = result["full"], result["raw"]
        for name, figures in (("full redemption", full), ("raw transaction", raw), ("signed-in read", result["floor"])):
            cpu = figures["cpu_ms"]
            db_cpu = f"db {cpu['db']:4.1f}" if kind == "postgresql" else "db in-app"
            print(
                f"{kind:10} {name:16} {figures['rps']:8.1f} req/s  p50 {figures['p50']:6.1f} ms  "
                f"p99 {figures['p99']:6.1f} ms  CPU/request: app {cpu['app']:5.1f} ms {db_cpu} ms  "
                f"load generator {figures['client_cpu']:4.0%} of a core  statuses {figures['statuses']}"
            )
        print(f"{kind:10} ratio full/raw {full['rps'] / raw['rps']:.2f}  (target >= 0.7; p99 target <= 30 ms)")


if __name__ == "__main__":
    main()
