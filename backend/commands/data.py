"""`flask data purge`: what the retention rules say is no longer needed (README, "Personal data and retention")."""

import click
from flask.cli import AppGroup

data_cli = AppGroup("data", help="Personal data: retention.")


@data_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would go, change nothing.")
def data_purge(dry_run):
    """Anonymise villagers who left RETENTION_MOVED_OUT_YEARS ago; delete rejected claims' files after
    RETENTION_REJECTED_MONTHS. Ledger entries keep their amounts and hashes; the audit log is kept."""
    from backend.services.people.retention import purge_expired_data

    report = purge_expired_data(dry_run=dry_run)
    verb = "would purge" if dry_run else "purged"
    click.echo(
        f"{verb}: {report.villagers} villagers anonymised, {report.files} files of "
        f"{report.rejected_claims} rejected or anonymised claims deleted"
    )
