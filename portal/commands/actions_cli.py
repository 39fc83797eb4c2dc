"""`flask actions export --since YYYY-MM-DD [--output FILE]`: the action log as JSON lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from portal.extensions import db
from portal.models import ActionLog

actions_cli = AppGroup("actions", help="The audit log of every action the agent and staff attempted.")

EXPORT_FIELDS = (
    "id",
    "created_at",
    "actor_kind",
    "actor_id",
    "actor_name",
    "ticket_id",
    "customer_id",
    "order_number",
    "tool",
    "arguments",
    "decision",
    "reason_code",
    "amount",
    "currency",
    "detail",
)


def log_record(row: ActionLog) -> dict[str, Any]:
    """One action-log row as JSON-ready data (amounts as strings, times in ISO 8601 UTC)."""
    record = {name: getattr(row, name) for name in EXPORT_FIELDS}
    record["created_at"] = row.created_at.isoformat()
    record["amount"] = None if row.amount is None else str(row.amount)
    return record


@actions_cli.command("export")
@click.option(
    "--since",
    "since",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="First day to export (UTC), e.g. 2025-01-31.",
)
@click.option(
    "--output", type=click.File("w", encoding="utf-8"), default="-", help="File to write (default stdout)."
)
def export_command(since: datetime, output) -> None:
    """Write the action log since a date as JSON lines, oldest first."""
    start = since.replace(tzinfo=UTC)
    query = select(ActionLog).where(ActionLog.created_at >= start).order_by(ActionLog.id)
    count = 0
    for row in db.session.scalars(query.execution_options(yield_per=500)):
        output.write(json.dumps(log_record(row), ensure_ascii=False) + "\n")
        count += 1
    if output.name != "<stdout>":
        click.echo(f"exported {count} action-log rows to {output.name}", err=True)


def init_app(app: Flask) -> None:
    app.cli.add_command(actions_cli)
