"""`flask mail fetch` (poll the IMAP mailbox once) and `flask mail receive` (one message from a file or
standard input, for an MTA that delivers to a command)."""

from __future__ import annotations

import imaplib

import click

from portal.inbound.imap import MailboxNotConfigured, fetch_mailbox
from portal.inbound.process import receive
from portal.mailer.cli import mail_cli


@mail_cli.command("fetch")
@click.option("--limit", type=int, default=None, help="At most this many messages (default INBOUND_BATCH).")
def fetch_command(limit: int | None) -> None:
    """Take in the messages waiting in the support mailbox (workers also do it every INBOUND_POLL_SECONDS)."""
    try:
        report = fetch_mailbox(limit)
    except MailboxNotConfigured as exc:
        raise click.ClickException(str(exc)) from exc
    except (imaplib.IMAP4.error, OSError) as exc:
        raise click.ClickException(f"IMAP: {exc}") from exc
    click.echo(report.summary())


@mail_cli.command("receive")
@click.argument("source", type=click.File("rb"), default="-")
def receive_command(source) -> None:
    """Take in one message (RFC 5322) from SOURCE, a file or - for standard input."""
    result = receive(source.read())  # click opens "-" as binary standard input
    click.echo(" ".join(part for part in (result.outcome, result.ticket_reference, result.reason) if part))
