"""The bench's server: the real app, the minimal raw transaction (/bench-raw) and the floor probe (/floor).

Served by the same gunicorn (repo gunicorn.conf.py, 2 workers) as the app, so that both numbers share the server,
the workers and the database: lock one account row, update its balance, insert one row, commit.
"""

import os
import random

from floor_wsgi import app as floor_app
from sqlalchemy import create_engine, text
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from backend.database import configure_sqlite
from wsgi import app as village_app

ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "64"))
_engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
if _engine.dialect.name == "sqlite":
    configure_sqlite(_engine)
_LOCK = "SELECT balance FROM bench_accounts WHERE id = :id" + (  # noqa: S608 - a constant suffix
    " FOR UPDATE" if _engine.dialect.name != "sqlite" else ""
)


def raw_transaction(environ, start_response):
    account = random.randrange(1, ACCOUNTS + 1)
    with _engine.connect() as conn:
        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            conn.execute(text(_LOCK), {"id": account}).scalar_one()
            conn.execute(text("UPDATE bench_accounts SET balance = balance - 1 WHERE id = :id"), {"id": account})
            conn.execute(
                text("INSERT INTO bench_rows (account_id, amount, created_at) VALUES (:id, -1, CURRENT_TIMESTAMP)"),
                {"id": account},
            )
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "11")])
    return [b'{"ok":true}']


app = DispatcherMiddleware(village_app, {"/bench-raw": raw_transaction, "/floor": floor_app})
