"""Login throttling: wrong passwords are counted per account, per client address, and per both together.

Only refused logins (401) use up attempts. The per-account count keys on the normalised email typed,
whether or not it has an account, so the 429 tells nobody which emails are customers. Breaking the
per-account (or per-account-and-address) limit emails the owner once per LOGIN_NOTICE_MINUTES; a
password reset clears the per-account count, so the owner is never locked out by someone else's guesses.
"""

from __future__ import annotations

import logging

from flask import current_app, request
from flask_limiter.util import get_remote_address
from limits import parse_many

from portal.auth.accounts import find_user_by_email, normalize_email
from portal.config import settings
from portal.extensions import db, limiter

log = logging.getLogger(__name__)
LOGIN_SCOPE = "login-account"  # shared by name, so a password reset can clear it


def typed_email() -> str:
    return normalize_email(request.form.get("email", ""))[:254]


def address_and_account() -> str:
    """Guessing at one account from an address never locks another person's account on that address."""
    return f"login:{get_remote_address()}:{typed_email()}"


def account() -> str:
    return f"login-account:{typed_email()}"


def address() -> str:
    return f"login-address:{get_remote_address()}"


def login_failed(response) -> bool:
    # Only wrong passwords use up attempts; signing in (and out and in again) never throttles anyone.
    return response.status_code == 401


def address_and_account_limit() -> str:
    return settings().rate_limits.login


def account_limit() -> str:
    return settings().rate_limits.login_account


def address_limit() -> str:
    return settings().rate_limits.login_address


def notify_owner(_limit) -> None:
    """on_breach: tell the account's owner (at most once per notice window; no account, no email)."""
    from portal.mailer.account_mail import send_failed_logins_notice

    user = find_user_by_email(typed_email())
    if user is None or not user.active:
        return
    if send_failed_logins_notice(user):
        db.session.commit()
        log.warning("login throttled for user %s; notice queued", user.id)


def clear_account_failures(email: str) -> None:
    """Forget the wrong passwords counted for this account (after its owner chose a new password)."""
    key = f"login-account:{normalize_email(email)}"
    # The identifiers flask-limiter counted under: [RATELIMIT_KEY_PREFIX,] key, scope.
    prefix = [p] if (p := current_app.config.get("RATELIMIT_KEY_PREFIX")) else []
    try:
        for item in parse_many(account_limit()):
            limiter.limiter.clear(item, *prefix, key, LOGIN_SCOPE)
    except Exception:  # a limiter storage outage must not fail the password reset itself
        log.exception("could not clear the login failures of a reset account")
