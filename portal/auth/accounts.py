"""Account operations shared by the sign-up, password and settings pages and the `flask users` commands."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.auth import passwords
from portal.database.sqlite import write_transaction
from portal.extensions import db, login_manager
from portal.models import Role, User

EMAIL_TAKEN = "An account with this email already exists."


class AccountError(ValueError):
    """A user-facing reason an account could not be created."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def create_user(email: str, name: str, password: str, role: Role = Role.CUSTOMER) -> User:
    """Add a new user to the session; the caller commits."""
    if find_user_by_email(email) is not None:
        raise AccountError(EMAIL_TAKEN)
    user = User(email=normalize_email(email), name=name.strip(), role=role.value)
    user.set_password(password)
    db.session.add(user)
    return user


@contextmanager
def new_account_transaction() -> Iterator[None]:
    """Create accounts in a transaction of their own: of two requests for one email, one wins, the other
    gets AccountError (not a 500), as happens when the sign-up button is clicked twice.
    """
    try:
        with write_transaction():  # SQLite: the write lock before the "is this email taken?" check
            yield
    except IntegrityError as exc:  # Postgres: the other request committed the same email first
        raise AccountError(EMAIL_TAKEN) from exc


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Flask-Login's session and remember-me lookup; inactive users are refused by Flask-Login itself.

    The session holds "id:token" (User.get_id). A token that is not the user's current one belongs to a
    session that logout, a password change, deactivation or "Log out everywhere" has ended.
    """
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token or int(user_id) > 2**31 - 1:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, else None; a password is verified against a hash
    in every case, so the answer takes as long whether or not the email has an account.

    A correct password stored in an older format (or cost) is hashed again (the caller commits).
    """
    user = find_user_by_email(email)
    if user is None or not user.active:
        passwords.spend_verify_time(password)
        return None
    if not user.check_password(password):
        return None
    if passwords.needs_rehash(user.password_hash):
        user.set_password(password)
    return user


def set_active(user: User, active: bool) -> None:
    """Deactivate or reactivate; either way every earlier session stays ended (the caller commits)."""
    user.active = active
    user.end_sessions()


def change_password(user: User, password: str) -> None:
    """Set a new password and end every session of the user (the caller commits)."""
    user.set_password(password)
    user.end_sessions()


def email_taken(email: str, by_other_than: User) -> bool:
    """Whether `email` already belongs to an account other than `by_other_than`."""
    owner = find_user_by_email(email)
    return owner is not None and owner.id != by_other_than.id
