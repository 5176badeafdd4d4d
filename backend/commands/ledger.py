"""`flask ledger verify|checkpoint` and `flask points expire|purge-keys`: the operators' ledger tools."""

from datetime import date

import click
from flask.cli import AppGroup

from backend import clock

ledger_cli = AppGroup("ledger", help="The points ledger: tamper checks and checkpoints.")
points_cli = AppGroup("points", help="Points housekeeping.")


@ledger_cli.command("verify")
def ledger_verify():
    """Check every account's hash chain, balances, transfers and the last checkpoint; exit 1 on tampering."""
    from backend.services.ledger.integrity import verify_ledger

    report = verify_ledger()
    for line in report.lines():
        click.echo(line, err=not report.ok)
    if not report.ok:
        raise SystemExit(1)


@ledger_cli.command("checkpoint")
def ledger_checkpoint():
    """Record a Merkle root over every account's head (run it periodically, e.g. nightly)."""
    from backend.services.ledger.integrity import create_checkpoint

    checkpoint = create_checkpoint()
    click.echo(
        f"checkpoint #{checkpoint.id}: root {checkpoint.root_hash} over {checkpoint.account_count} accounts, "
        f"{checkpoint.entry_count} entries"
    )


@points_cli.command("expire")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Village date (default: today).")
@click.option("--village", "village_code", help="Only this village (code, e.g. QT01).")
def points_expire(as_of, village_code):
    """Move points whose last day is before AS_OF to the village's expiry account; a rerun moves nothing more."""
    from sqlalchemy import select

    from backend.extensions import db
    from backend.models import Village
    from backend.services.ledger.operations import expire_points

    village_id = None
    if village_code:
        village_id = db.session.execute(select(Village.id).where(Village.code == village_code.upper())).scalar()
        if village_id is None:
            raise click.ClickException(f"no village with code {village_code}")
    day: date = as_of.date() if as_of else clock.today()
    report = expire_points(as_of=day, village_id=village_id)
    click.echo(f"expired {report.points} points on {report.accounts} accounts as of {day.isoformat()}")


@points_cli.command("purge-keys")
def points_purge_keys():
    """Forget Idempotency-Key answers older than IDEMPOTENCY_KEY_HOURS (run it daily, e.g. from cron)."""
    from backend.services.idempotency import purge_expired_keys

    click.echo(f"purged {purge_expired_keys()} idempotency keys")
