"""`flask ledger verify|checkpoint` and `flask points expire|purge-keys`: the operators' ledger tools."""

from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from backend import clock

ledger_cli = AppGroup("ledger", help="The points ledger: tamper checks and checkpoints.")
points_cli = AppGroup("points", help="Points housekeeping.")


@ledger_cli.command("verify")
@click.option(
    "--anchors",
    "anchors",
    type=click.Path(dir_okay=False, exists=True),
    help="Also check the ledger against this file of signed checkpoints (kept outside the database).",
)
@click.option(
    "--public-key",
    "public_key_path",
    type=click.Path(dir_okay=False, exists=True),
    help="PEM public key the anchors were signed with (default: the configured signing key's).",
)
@click.option("--tsa-roots", type=click.Path(dir_okay=False, exists=True), help="PEM roots to check time stamps.")
def ledger_verify(anchors, public_key_path, tsa_roots):
    """Check every account's hash chain, balances, transfers and the last checkpoint; exit 1 on tampering."""
    from backend.services.ledger.integrity import verify_ledger
    from backend.settings import current_settings

    report = verify_ledger()
    if anchors:
        from backend.adapters.signing import public_key_from_pem
        from backend.adapters.timestamps import load_roots
        from backend.services.ledger.anchors import anchor_signing_key, verify_against_anchors

        key = (
            public_key_from_pem(public_key_path)
            if public_key_path
            else anchor_signing_key(current_settings()).public_key()
        )
        roots_path = tsa_roots or current_settings().ledger_tsa_roots
        records, problems = verify_against_anchors(
            Path(anchors), key, tsa_roots=load_roots(roots_path) if roots_path else None
        )
        report.problems.extend(problems)
        click.echo(f"anchors: {records} signed checkpoints read from {anchors}", err=not report.ok)
    for line in report.lines():
        click.echo(line, err=not report.ok)
    if not report.ok:
        raise SystemExit(1)


@ledger_cli.command("checkpoint")
def ledger_checkpoint():
    """Record a Merkle root over every account's head and append it, signed, to LEDGER_ANCHOR_FILE; the audit
    log's chain is sealed first and its head signed along."""
    from backend.services.audit_chain import audit_head, seal_audit_log
    from backend.services.ledger.anchors import AnchorError, anchor_checkpoint, anchor_signing_key
    from backend.services.ledger.integrity import create_checkpoint
    from backend.settings import current_settings

    sealed = seal_audit_log()
    checkpoint = create_checkpoint()
    click.echo(
        f"checkpoint #{checkpoint.id}: root {checkpoint.root_hash} over {checkpoint.account_count} accounts, "
        f"{checkpoint.entry_count} entries"
    )
    settings = current_settings()
    if not settings.ledger_anchor_file:
        click.echo("not anchored: LEDGER_ANCHOR_FILE is empty", err=True)
        return
    try:
        record = anchor_checkpoint(
            checkpoint,
            path=Path(settings.ledger_anchor_file),
            private_key=anchor_signing_key(settings),
            tsa_url=settings.ledger_tsa_url,
            audit_head=audit_head(),
        )
    except AnchorError as exc:
        raise click.ClickException(f"checkpoint #{checkpoint.id} not anchored: {exc}") from None
    stamped = " and time-stamped" if record.get("tst") else ""
    click.echo(f"audit log: {sealed} entries sealed, head at seal {record.get('audit', [0])[0]}")
    click.echo(f"anchored{stamped} in {settings.ledger_anchor_file} (key {record['key']})")
    if record.get("tst_error"):
        click.echo(f"time stamp missing: {record['tst_error']}", err=True)


@ledger_cli.command("new-key")
@click.argument("path", type=click.Path(dir_okay=False))
def ledger_new_key(path):
    """Create an Ed25519 anchor signing key at PATH (mode 0600) and print its public half."""
    from backend.adapters.signing import key_id, public_pem, write_new_private_key

    try:
        key = write_new_private_key(path)
    except FileExistsError:
        raise click.ClickException(f"{path} exists; a signing key is never overwritten") from None
    click.echo(f"key {key_id(key.public_key())} written to {path}; set LEDGER_SIGNING_KEY_FILE={path}")
    click.echo(public_pem(key.public_key()), nl=False)


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
