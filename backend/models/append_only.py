"""Database-level guards that make a table append-only (UPDATE and DELETE refused).

The application never updates these rows; the guard stops a careless script. It does not stop someone who
can drop triggers: the ledger's hash chain is what reveals that.
"""

from sqlalchemy import DDL, Table, event


def append_only_statements(table_name: str, dialect: str) -> list[str]:
    """The DDL that installs the guard on one table, for migrations and create_all alike."""
    if dialect == "postgresql":
        return [
            (
                "CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql"
            ),
            (
                f"CREATE TRIGGER {table_name}_append_only BEFORE UPDATE OR DELETE ON {table_name} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
            ),
        ]
    if dialect == "sqlite":
        return [
            (
                f"CREATE TRIGGER {table_name}_no_{verb.lower()} BEFORE {verb} ON {table_name} "
                f"BEGIN SELECT RAISE(ABORT, 'table {table_name} is append-only'); END"
            )
            for verb in ("UPDATE", "DELETE")
        ]
    return []


def drop_append_only_statements(table_name: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table_name}_append_only ON {table_name}"]
    if dialect == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table_name}_no_update",
            f"DROP TRIGGER IF EXISTS {table_name}_no_delete",
        ]
    return []


def make_append_only(table: Table) -> None:
    """Install the guard whenever metadata.create_all creates the table (tests, fresh databases)."""
    for dialect in ("postgresql", "sqlite"):
        for statement in append_only_statements(table.name, dialect):
            # DDL() applies %-formatting of its own; the trigger text has a literal % for RAISE.
            ddl = DDL(statement.replace("%", "%%")).execute_if(dialect=dialect)
            event.listen(table, "after_create", ddl)
