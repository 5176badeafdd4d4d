"""flask credit recompute: monthly credit snapshots of a village, a town or everything, set-based."""

from datetime import date

import click
from flask.cli import AppGroup

from backend import clock
from backend.services.credit.snapshots import recompute_snapshots, villages_in

credit_cli = AppGroup("credit", help="Credit scores (村信用分).")


@credit_cli.command("recompute")
@click.option("--village", "village_code", help="One village, by code (e.g. QT01).")
@click.option("--town", "town_code", help="Every village of one town, by code (e.g. QT).")
@click.option("--all", "everything", is_flag=True, help="Every village.")
@click.option("--month", help="YYYY-MM; the current month by default.")
def recompute(village_code: str | None, town_code: str | None, everything: bool, month: str | None):
    """Recompute the month's snapshot of every villager in scope (re-running replaces the month's rows)."""
    if sum(bool(x) for x in (village_code, town_code, everything)) != 1:
        raise click.UsageError("give exactly one of --village, --town or --all")
    try:
        day = date.fromisoformat(f"{month}-01") if month else clock.today()
    except ValueError:
        raise click.BadParameter("use YYYY-MM, e.g. 2026-03", param_hint="--month") from None
    village_ids = villages_in(village_code=village_code, town_code=town_code)
    if not village_ids:
        raise click.ClickException(f"no village matches {village_code or town_code}")
    with click.progressbar(length=len(village_ids), label="Recomputing") as bar:
        report = recompute_snapshots(village_ids=village_ids, month=day, progress=bar.update)
    click.echo(
        f"{report['month']} (as of {report['as_of']}): {report['snapshots']} snapshots in {report['villages']} villages"
    )
