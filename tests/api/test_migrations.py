"""Migrations build exactly the models' schema on both databases, and come all the way down again."""

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from backend import create_app
from backend.extensions import db
from tests.conftest import _create_postgres_database, _drop_postgres_database


@pytest.fixture
def empty_database_url(backend_name, tmp_path):
    if backend_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    url, name = _create_postgres_database()
    yield url
    _drop_postgres_database(name)


def _describe(change) -> str:
    """A short line per autogenerate difference: the operation and the table it concerns."""
    if isinstance(change, list):  # column modifications come as a list of tuples
        return ", ".join(_describe(c) for c in change)
    op, *rest = change
    names = [getattr(x, "name", None) or getattr(getattr(x, "table", None), "name", None) for x in rest]
    return f"{op} {' '.join(str(n) for n in names if n)}"


def test_upgrade_gives_the_models_schema_and_downgrade_reaches_base(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert not diff, "models and migrations disagree: " + "; ".join(_describe(d) for d in diff)
        flask_migrate.downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_migrated_audit_log_refuses_updates(empty_database_url):
    """The append-only guard is installed by the migration, not only by create_all."""
    from sqlalchemy import text

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with app.app_context():
        flask_migrate.upgrade()
        with db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO audit_log (created_at, action, entity_type) VALUES (CURRENT_TIMESTAMP, 'x', 'y')")
            )
        with pytest.raises(Exception, match="append-only"), db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_log SET action = 'changed'"))
        db.engine.dispose()
