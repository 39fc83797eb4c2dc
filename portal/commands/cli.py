"""Command-line tools: `flask users ...` and `flask demo seed`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from portal.auth.accounts import AccountError, create_user, find_user_by_email, set_active
from portal.config import settings
from portal.extensions import db
from portal.models import Role, User

users_cli = AppGroup("users", help="Manage staff, admin and customer accounts.")
demo_cli = AppGroup("demo", help="Demo data for trying the product (never seeded in production).")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default=Role.STAFF.value, show_default=True
)
@click.password_option()
def create_user_command(email: str, name: str, role: str, password: str) -> None:
    """Create a user (staff and admins come from here, never from sign-up)."""
    try:
        user = create_user(email, name, password, Role(role))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {user.role} {user.email}")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate_user_command(email: str) -> None:
    """Stop a user from logging in (their history is kept)."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user {email}")
    set_active(user, False)
    db.session.commit()
    click.echo(f"deactivated {user.email}")


@users_cli.command("list")
def list_users_command() -> None:
    """List users with their role and state."""
    for user in db.session.scalars(select(User).order_by(User.id)):
        click.echo(f"{user.id}\t{user.role}\t{'active' if user.active else 'inactive'}\t{user.email}")


@demo_cli.command("seed")
@click.option("--force", is_flag=True, help="Seed even outside development.")
def seed_command(force: bool) -> None:
    """Create the demo accounts and orders (idempotent)."""

    from portal.commands.demo import DEMO_LOGINS, seed_demo

    if settings().env_name != "development" and not force:
        raise click.ClickException("refusing to seed demo data outside development (use --force)")
    created = seed_demo()
    db.session.commit()
    click.echo(f"demo data ready ({created} new rows)")
    for email, password, role in DEMO_LOGINS:
        click.echo(f"  {role:<8} {email} / {password}")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
