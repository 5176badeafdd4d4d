"""Fixtures: an app per database backend, a fresh database per test, and a scan for leaked personal numbers.

Every test that uses `app` (or `client`) runs on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is set.
With CI=true a missing or unreachable PostgreSQL fails the run instead of skipping.
"""

import json
import logging
import os
import shutil
import sqlite3
import uuid
import zipfile
from dataclasses import replace
from io import BytesIO

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend import create_app
from backend.api.ratelimit import limiter
from backend.extensions import db
from backend.settings import EXTENSION_KEY
from tests.factories.clock import Clock
from tests.pii_scan import find_unmasked_numbers

CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def pytest_configure(config):
    if CI and not PG_URL:
        raise pytest.UsageError("CI=true but TEST_DATABASE_URL is not set: the PostgreSQL run is required")


class _Captured:
    """Response bodies and log lines of the current test, for the masking scan."""

    def __init__(self):
        self.bodies: list[str] = []
        self.lines: list[str] = []


captured = _Captured()


class _CaptureHandler(logging.Handler):
    def emit(self, record):
        try:
            captured.lines.append(self.format(record))
        except Exception:
            captured.lines.append(str(record.msg))


def response_text(response) -> str:
    data = response.get_data()
    if response.mimetype and "spreadsheetml" in response.mimetype:
        with zipfile.ZipFile(BytesIO(data)) as book:
            return "\n".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    if response.mimetype == "application/zip":  # a villager's export: its JSON and README, never its photos
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return "\n".join(archive.read(n).decode() for n in archive.namelist() if n.endswith((".json", ".txt")))
    if response.mimetype and response.mimetype.startswith("image/"):
        return ""
    return data.decode("utf-8", "replace")


class IsolatedClient(FlaskClient):
    """Each request in an app context of its own, hence its own database session, as in production.

    Without this Flask reuses the test's open app context, and a rollback inside a request would expire the
    objects the test made.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _create_postgres_database() -> tuple[str, str]:
    url = make_url(PG_URL)
    name = f"village_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if CI:
            raise
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc}")
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(name: str) -> None:
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend_name(request):
    return request.param


@pytest.fixture(scope="session")
def _app(backend_name, tmp_path_factory):
    """One app per backend per test session, with its own database."""
    root = tmp_path_factory.mktemp(backend_name)
    pg_name = None
    if backend_name == "sqlite":
        url = f"sqlite:///{root / 'test.db'}"
    else:
        url, pg_name = _create_postgres_database()
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "DEMO_MODE": True,
            "UPLOAD_FOLDER": str(root / "uploads"),
            "RATELIMIT_STORAGE_URI": "memory://",
            "LEDGER_ANCHOR_FILE": "",
            "WECHAT_APP_ID": "wx-test-app",
            "WECHAT_APP_SECRET": "test-secret",
            "WECHAT_API_BASE": "http://127.0.0.1:9/unset",
        }
    )

    @app.after_request
    def _capture(response):
        if not response.direct_passthrough:
            captured.bodies.append(response_text(response))
        return response

    app.test_client_class = IsolatedClient
    handler = _CaptureHandler()
    ours = next(h for h in logging.getLogger().handlers if getattr(h, "_village_json", False))
    handler.setFormatter(ours.formatter)
    logging.getLogger().addHandler(handler)
    with app.app_context():
        db.create_all()
        if backend_name == "sqlite":
            db.engine.dispose()
            template = root / "template.db"
            shutil.copyfile(root / "test.db", template)
            app.config["_SQLITE_TEMPLATE"] = (str(template), str(root / "test.db"))
    yield app
    logging.getLogger().removeHandler(handler)
    with app.app_context():
        db.engine.dispose()
    if pg_name:
        _drop_postgres_database(pg_name)


def reset_database(app) -> None:
    """Empty every table: copy the pristine SQLite file back, or TRUNCATE on PostgreSQL."""
    db.session.remove()
    if "_SQLITE_TEMPLATE" in app.config:
        db.engine.dispose()
        template, live = app.config["_SQLITE_TEMPLATE"]
        # SQLite's backup API writes the pristine pages through the WAL, safe while other handles exist.
        with sqlite3.connect(template) as source, sqlite3.connect(live, timeout=15) as target:
            source.backup(target)
        source.close()
        target.close()
    else:
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(_app):
    """The app with a fresh, empty database and an app context pushed; config changes are undone after."""
    saved_config = dict(_app.config)
    with _app.app_context():
        reset_database(_app)
        limiter.reset()
        _app.extensions.pop("wechat_clients", None)
        captured.bodies.clear()
        captured.lines.clear()
        yield _app
        db.session.remove()
    _app.config.clear()
    _app.config.update(saved_config)
    leaks = find_unmasked_numbers(captured.bodies + captured.lines)
    assert not leaks, f"unmasked ID or phone numbers in responses or logs: {leaks[:5]}"


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def use_settings(monkeypatch, app, **changes) -> None:
    """Change some of the app's settings (backend/settings.py) for the rest of one test."""
    current = app.extensions[EXTENSION_KEY]
    monkeypatch.setitem(app.extensions, EXTENSION_KEY, replace(current, **changes))


@pytest.fixture
def frozen(monkeypatch) -> Clock:
    """Time stands at START (2026-03-10 10:00 in the village) until a test moves it."""
    return Clock(monkeypatch)


def body(response) -> dict:
    return json.loads(response.get_data())
