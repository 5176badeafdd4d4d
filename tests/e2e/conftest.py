"""A real gunicorn serving the demo town, on SQLite and (when configured) PostgreSQL."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import PG_URL, _create_postgres_database, _drop_postgres_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, deadline_s: float = 60) -> None:
    """Poll /healthz until it answers (a readiness check, not a timing assertion)."""
    give_up = time.monotonic() + deadline_s
    while time.monotonic() < give_up:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}: {process.stderr.read()[-2000:]}")
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start serving in time")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"] if PG_URL else ["sqlite"])
def demo_server(request, tmp_path_factory):
    """`make run` in miniature: migrate, load the demo town, serve with two gunicorn workers."""
    root = tmp_path_factory.mktemp("server")
    pg_name = None
    if request.param == "sqlite":
        database_url = f"sqlite:///{root / 'village.db'}"
    else:
        database_url, pg_name = _create_postgres_database()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(root),
        "FLASK_APP": "wsgi.py",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run([BIN / "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    loaded = subprocess.run(
        [BIN / "flask", "demo", "load"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    port = free_port()
    process = subprocess.Popen(
        [BIN / "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env={
            **env,
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
            "PROMETHEUS_MULTIPROC_DIR": str(root / "metrics"),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, process)
        yield {"url": url, "demo_output": loaded.stdout, "backend": request.param}
    finally:
        process.terminate()
        process.wait(timeout=20)
        if pg_name:
            _drop_postgres_database(pg_name)
