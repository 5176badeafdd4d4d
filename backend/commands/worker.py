"""flask worker: the outbox delivery loop, started by `make run` beside gunicorn (see Procfile)."""

import signal
import threading

import click

from backend.services.outbox import run_worker
from backend.settings import current_settings


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (cron, tests).")
def worker_command(once: bool):
    """Deliver outbox messages (WeChat subscribe messages, webhooks) until stopped; SIGTERM finishes the current one."""
    stop = threading.Event()
    if not once:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        click.echo(f"outbox worker polling every {current_settings().outbox_poll_seconds} s")
    report = run_worker(once=once, stop=stop)
    click.echo(", ".join(f"{n} {outcome}" for outcome, n in sorted(report.outcomes.items())) or "nothing due")
