"""Every `flask` command of the project, one module per group, registered here."""

from flask import Flask


def register_commands(app: Flask) -> None:
    from backend.commands.audit import audit_cli
    from backend.commands.credit import credit_cli
    from backend.commands.data import data_cli
    from backend.commands.demo import demo_cli
    from backend.commands.engagement import engagement_cli
    from backend.commands.ledger import ledger_cli, points_cli
    from backend.commands.roster import roster_cli
    from backend.commands.uploads import uploads_cli
    from backend.commands.worker import worker_command

    for group in (
        demo_cli,
        roster_cli,
        uploads_cli,
        ledger_cli,
        points_cli,
        credit_cli,
        data_cli,
        audit_cli,
        engagement_cli,
    ):
        app.cli.add_command(group)
    app.cli.add_command(worker_command)
