"""`flask orders import FILE`: see portal/orders/importer.py."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

orders_cli = AppGroup("orders", help="Orders from the shop, for shops without an API integration.")


@orders_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_command(path: str) -> None:
    """Create or update the orders in PATH (.csv, or JSON lines); safe to run again on the same file."""
    from portal.orders.importer import import_file

    report = import_file(path)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    click.echo(
        f"orders: {report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.errors)} failed"
    )
    if report.errors:
        sys.exit(1)


def init_app(app: Flask) -> None:
    app.cli.add_command(orders_cli)
