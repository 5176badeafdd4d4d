"""`flask audit seal|verify`: the audit log's hash chain (等保: the log itself is tamper-evident)."""

from pathlib import Path

import click
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="The audit log: its hash chain and its verification.")


@audit_cli.command("seal")
def audit_seal():
    """Chain the entries written since the last seal (`flask ledger checkpoint` seals too, and anchors the head)."""
    from backend.services.audit_chain import audit_head, seal_audit_log

    count = seal_audit_log()
    seq, digest = audit_head()
    click.echo(f"sealed {count} audit entries; head at seal {seq} ({digest[:16]})")


@audit_cli.command("verify")
@click.option(
    "--anchors",
    type=click.Path(dir_okay=False, exists=True),
    help="The ledger's anchor file: also check the chain against every head signed there.",
)
@click.option("--public-key", "public_key_path", type=click.Path(dir_okay=False, exists=True))
def audit_verify(anchors, public_key_path):
    """Walk the chain; exit 1 naming the first entry changed, removed or inserted, or a disagreeing anchor."""
    from backend.services.audit_chain import verify_audit_log

    heads = []
    if anchors:
        from backend.adapters.signing import public_key_from_pem
        from backend.services.ledger.anchors import anchor_signing_key, replay_anchors
        from backend.settings import current_settings

        key = (
            public_key_from_pem(public_key_path)
            if public_key_path
            else anchor_signing_key(current_settings()).public_key()
        )
        state = replay_anchors(Path(anchors), key)
        if state.problems:
            raise click.ClickException("; ".join(p.message for p in state.problems))
        heads = state.audit_heads
        click.echo(f"anchors: {len(heads)} signed audit heads read from {anchors}")
    report = verify_audit_log(anchored_heads=heads)
    for line in report.lines():
        click.echo(line, err=not report.ok)
    if not report.ok:
        raise SystemExit(1)
