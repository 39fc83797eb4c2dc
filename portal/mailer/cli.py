"""`flask mail ...`: see the outbox, resend what failed, and recover messages whose job was lost."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from portal.config import settings
from portal.mailer import outbox

mail_cli = AppGroup("mail", help="The email outbox.")


@mail_cli.command("status")
def status_command() -> None:
    """Count outbox rows by state."""
    counts = outbox.status_counts()
    for state in ("pending", "sending", "sent", "failed"):
        click.echo(f"{state:<8} {counts.get(state, 0)}")


@mail_cli.command("retry-failed")
def retry_failed_command() -> None:
    """Put every failed message back in the queue (after fixing the SMTP settings, say)."""
    customer_ids, staff_ids = outbox.retry_failed()
    outbox.enqueue_sends(customer_ids, staff_ids)
    click.echo(f"requeued {len(customer_ids)} message(s) and {len(staff_ids)} staff digest(s)")


@mail_cli.command("requeue-stale")
@click.option("--minutes", type=int, default=None, help="Age of a pending row (default MAIL_STALE_MINUTES).")
def requeue_stale_command(minutes: int | None) -> None:
    """Enqueue again pending rows older than N minutes and dead claims (workers also do it every minute)."""
    minutes = minutes if minutes is not None else settings().mail.stale_minutes
    customer_ids, staff_ids = outbox.requeue_stale(timedelta(minutes=minutes))
    outbox.enqueue_sends(customer_ids, staff_ids)
    click.echo(f"requeued {len(customer_ids)} message(s) and {len(staff_ids)} staff digest(s)")
