"""Database plumbing: SQLite pragmas and write transactions that really lock."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 15000


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, busy timeout, and BEGIN emitted by us so that writers can ask for IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control away from pysqlite, which would otherwise BEGIN DEFERRED on its own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def is_sqlite_connection(dbapi_connection) -> bool:
    return isinstance(dbapi_connection, sqlite3.Connection)


@contextmanager
def write_transaction() -> Iterator[Session]:
    """One committed unit of work that holds the write lock from its first statement.

    On SQLite this is BEGIN IMMEDIATE (SQLAlchemy's with_for_update() does nothing there); on PostgreSQL
    writers additionally lock their rows with SELECT ... FOR UPDATE in a fixed order.
    """
    session = begin_write()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def begin_write() -> Session:
    """The request's session with a write transaction begun (see `write_transaction`); the caller ends it."""
    session = db.session()  # the real Session behind the scoped proxy
    if session.get_bind().dialect.name == "sqlite":
        if session.in_transaction():
            # A read (e.g. loading the caller) already began a deferred transaction; end it so that BEGIN
            # IMMEDIATE takes the lock before anything this unit of work decides on is read.
            session.commit()
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    # On PostgreSQL a read transaction already begun simply goes on as the write: under READ COMMITTED each
    # statement sees the latest commits and writers lock their rows themselves, so ending it would only cost a
    # COMMIT, a pool checkout with its ping, and a BEGIN.
    return session
