"""The demo town served by gunicorn in a scratch folder, for the fuzz, soak and crash scripts.

`DemoTown(kind)` creates a fresh database (a SQLite file, or a PostgreSQL database on BENCH_PG_URL), migrates it,
loads the demo town, and starts gunicorn with the repo's gunicorn.conf.py on a free loopback port. `kill_workers`
and `kill_master` send SIGKILL; `start` brings the server back on the same database and port. Everything is
dropped on `close`.
"""

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
STAFF = {"committee": "qt01-cw1", "committee2": "qt01-cw2", "town_admin": "qt-town", "shopkeeper": "qt01-shop1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DemoTown:
    def __init__(self, kind: str, *, workers: int = 2, env: dict | None = None, workdir: Path | None = None):
        self.kind = kind
        self.workers = workers
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix=f"village-{kind}-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.pg_name = None
        if kind == "sqlite":
            self.database_url = f"sqlite:///{self.workdir / 'village.db'}"
        else:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            self.pg_name = f"village_bench_{uuid.uuid4().hex[:10]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.pg_name}"'))
            admin.dispose()
            self.database_url = make_url(PG_ADMIN).set(database=self.pg_name).render_as_string(hide_password=False)
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
            "DATABASE_URL": self.database_url,
            "INSTANCE_PATH": str(self.workdir),
            "FLASK_APP": "wsgi.py",
            "LOG_LEVEL": "WARNING",
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None
        self.flask("db", "upgrade")
        self.flask("demo", "load")

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "flask"), *args], cwd=ROOT, env=self.env, check=check, capture_output=True, text=True
        )

    def start(self, deadline_s: float = 60) -> None:
        log = (self.workdir / "gunicorn.log").open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        give_up = time.monotonic() + deadline_s
        while time.monotonic() < give_up:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start serving: {self.log_tail()}")

    def log_tail(self) -> str:
        return (self.workdir / "gunicorn.log").read_text(errors="replace")[-3000:]

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        try:
            return [child.pid for child in psutil.Process(self.process.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def kill_workers(self) -> int:
        """SIGKILL every worker; the master starts new ones. Returns how many were killed."""
        pids = self.worker_pids()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        return len(pids)

    def kill_master(self) -> None:
        """SIGKILL the master and its workers at once, as a power cut would; `start` brings it back."""
        pids = [*self.worker_pids(), self.process.pid]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()
        for pid in pids:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.TimeoutExpired):
                psutil.Process(pid).wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill_master()
        self.process = None

    def close(self) -> None:
        self.stop()
        if self.pg_name:
            from sqlalchemy import create_engine, text

            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
            admin.dispose()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()


def request(base: str, method: str, path: str, body=None, token: str | None = None, headers=None, timeout=30):
    """One JSON request over a fresh connection: (status, parsed body or None)."""
    conn = http.client.HTTPConnection(base.removeprefix("http://"), timeout=timeout)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(data) if data else None
    except ValueError:
        return response.status, None


def tokens(base: str) -> dict[str, str]:
    """An access token per role of the demo town: a bound villager and each kind of staff."""
    found = {}
    status, answer = request(base, "POST", "/api/v1/auth/wechat-login", {"code": "demo:qt01-0001"})
    assert status == 200, answer
    found["villager"] = answer["access_token"]
    for role, username in STAFF.items():
        status, answer = request(base, "POST", "/api/v1/auth/login", {"username": username, "password": "demo1234"})
        assert status == 200, answer
        found[role] = answer["access_token"]
    return found
