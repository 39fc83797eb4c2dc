"""Account operations shared by the sign-up page and the `flask users` commands."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db, login_manager
from portal.models import Role, User


class AccountError(ValueError):
    """A user-facing reason an account could not be created."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def create_user(email: str, name: str, password: str, role: Role = Role.CUSTOMER) -> User:
    """Add a new user to the session; the caller commits."""
    if find_user_by_email(email) is not None:
        raise AccountError("An account with this email already exists.")
    user = User(email=normalize_email(email), name=name.strip(), role=role.value)
    user.set_password(password)
    db.session.add(user)
    return user


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Flask-Login's session lookup; inactive users are refused by Flask-Login itself."""
    return db.session.get(User, int(user_id))
