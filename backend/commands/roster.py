"""`flask roster import`: a village roster sheet from the shell, all rows or none."""

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from backend.errors import AppError
from backend.extensions import db
from backend.models import Village
from backend.services.access import Caller

roster_cli = AppGroup("roster", help="Village rosters.")

# The shell acts as the platform admin; the audit log records actor_role "admin" with no user.
SYSTEM = Caller(user_id=0, role="admin")


@roster_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--village", "village_code", required=True, help="Village code, e.g. QT01.")
@click.option("--dry-run", is_flag=True, help="Check every row and import nothing.")
def roster_import(file: Path, village_code: str, dry_run: bool):
    """Import a roster sheet (.xlsx or .csv): all rows or none."""
    from backend.adapters.roster_sheet import parse_roster
    from backend.services.people.roster import import_roster

    village = db.session.execute(select(Village).where(Village.code == village_code.upper())).scalar_one_or_none()
    if village is None:
        raise click.ClickException(f"no village with code {village_code}")
    with file.open("rb") as stream:
        parsed = parse_roster(stream, file.name)
    with click.progressbar(length=len(parsed.rows), label="Importing") as bar:
        try:
            report = import_roster(
                caller=SYSTEM,
                village=village,
                parsed=parsed,
                dry_run=dry_run,
                progress=lambda _n: bar.update(1),
            )
        except AppError as exc:
            for line in exc.errors.get("rows", []):
                click.echo(line, err=True)
            raise click.ClickException(exc.message % exc.params) from exc
    for error in report.errors:
        click.echo(f"row {error['row']} {error['column'] or ''}: {error['reason']}", err=True)
    click.echo(
        f"{'dry run: ' if dry_run else ''}{report.valid_rows} valid rows, {len(report.errors)} problems; "
        f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}"
    )
    if report.errors:
        raise SystemExit(1)
