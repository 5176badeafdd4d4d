"""The embedded database is configured as DESIGN.md says, and write transactions really lock."""

import sqlite3

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from backend.database import write_transaction
from backend.extensions import db
from backend.models import Village
from tests.factories import make_village


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(app, backend_name):
    if backend_name != "sqlite":
        pytest.skip("SQLite pragmas")
    pragmas = {
        name: db.session.execute(text(f"PRAGMA {name}")).scalar()
        for name in ("journal_mode", "foreign_keys", "busy_timeout")
    }
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 15000}


def test_a_write_transaction_holds_the_write_lock_from_its_start(app, backend_name):
    village = make_village()
    with write_transaction() as session:
        session.execute(select(Village).where(Village.id == village.id).with_for_update()).scalar_one()
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        if backend_name == "sqlite":
            # Another writer that will not wait is refused at once: the lock was taken at BEGIN IMMEDIATE.
            other = sqlite3.connect(url.database, timeout=0, isolation_level=None)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
        else:
            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(conninfo, autocommit=True) as other:
                other.execute("SET lock_timeout = '50ms'")
                with pytest.raises(psycopg.errors.LockNotAvailable):
                    other.execute("SELECT id FROM villages WHERE id = %s FOR UPDATE", (village.id,))


def test_foreign_keys_are_enforced(app):
    from sqlalchemy.exc import IntegrityError

    from backend.models import Household

    with pytest.raises(IntegrityError), write_transaction() as session:
        session.add(Household(village_id=987654, code="X"))
