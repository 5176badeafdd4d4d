"""flask engagement close-month: freeze the monthly 积分公示 of every village (cron, on the 1st)."""

from datetime import date, timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import select

from backend import clock
from backend.extensions import db
from backend.models import Village
from backend.services.engagement.board import close_board_month
from backend.services.notifications.reminders import remind_expiring_points

engagement_cli = AppGroup("engagement", help="Boards and badges.")


@engagement_cli.command("close-month")
@click.option("--month", help="YYYY-MM; the month that just ended by default.")
def close_month(month: str | None):
    """Freeze each village's board of the month and notify its villagers (a rerun changes nothing)."""
    try:
        first = date.fromisoformat(f"{month}-01") if month else (clock.today().replace(day=1) - timedelta(days=1))
    except ValueError:
        raise click.BadParameter("use YYYY-MM, e.g. 2026-10", param_hint="--month") from None
    first = first.replace(day=1)
    if first >= clock.today().replace(day=1):
        raise click.BadParameter("only a month that has ended can be closed", param_hint="--month")
    closed = 0
    for village_id in db.session.execute(select(Village.id).order_by(Village.id)).scalars().all():
        closed += close_board_month(village_id=village_id, month=first) is not None
    click.echo(f"{first:%Y-%m}: {closed} boards frozen")


@engagement_cli.command("remind-expiring")
def remind_expiring():
    """Tell villagers 30 and 7 days before their points expire (each reminder once, whenever cron runs)."""
    click.echo(f"{remind_expiring_points()} reminders")
