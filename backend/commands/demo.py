"""`flask demo load`: the demo town of DESIGN.md."""

import click
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demo town.")


@demo_cli.command("load")
def demo_load():
    """Load the demo town of DESIGN.md into an empty database, and print the demo logins."""
    from backend.demo import DEMO_LOGINS, load_demo_town

    if load_demo_town(echo=click.echo):
        click.echo("Loaded the demo town 桥头镇 (QT).")
    else:
        click.echo("The database already has data; the demo town was not loaded.")
    click.echo(DEMO_LOGINS)
