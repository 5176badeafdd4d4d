"""`flask uploads purge`: forget photos and voice files that no submission claimed."""

from datetime import timedelta

import click
from flask.cli import AppGroup

from backend.settings import current_settings

uploads_cli = AppGroup("uploads", help="Uploaded photos and voice files.")


@uploads_cli.command("purge")
@click.option("--days", type=click.IntRange(min=1), help="Age in days (default: UNCLAIMED_UPLOAD_DAYS, 7).")
def uploads_purge(days):
    """Delete uploads that no submission claimed within DAYS days, with their stored files."""
    from backend.services.earning.uploads import purge_unclaimed_uploads

    days = days or current_settings().unclaimed_upload_days
    click.echo(f"purged {purge_unclaimed_uploads(older_than=timedelta(days=days))} unclaimed uploads")
