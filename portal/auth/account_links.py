"""Signed account links sent by email: password reset, email-address confirmation and verification.

All are itsdangerous tokens (the app's SECRET_KEY, one salt each) valid for LINK_MAX_AGE (verification:
VERIFY_MAX_AGE, since a new customer may read the welcome mail the next day). They are
single-use without any table: a reset token carries a fingerprint of the password hash, so it dies once
the password changes; an email-change token carries the address it replaces, so it dies once the change is
made (or another one is); a verification token carries the address it verifies, so it dies once the
address changes.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from functools import wraps

from flask import current_app, make_response
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from portal.extensions import db
from portal.models import User

LINK_MAX_AGE = timedelta(hours=1)  # policies/accounts.md promises 1 hour
RESET_SALT = "supportops.password-reset.v1"
EMAIL_SALT = "supportops.email-change.v1"
VERIFY_MAX_AGE = timedelta(hours=24)
VERIFY_SALT = "supportops.email-verify.v1"


class AccountLinkError(ValueError):
    """The link is malformed, tampered with, expired or already used."""


def clock() -> float:
    """Seconds since the epoch; tests replace it to move time forward."""
    return time.time()


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(clock())


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt, signer=_ClockSigner)


def _fingerprint(value: str) -> str:
    # The token is signed, not encrypted: it must not carry the password hash itself.
    return hashlib.sha256(value.encode()).hexdigest()[:20]


def _load(salt: str, token: str, max_age: timedelta = LINK_MAX_AGE) -> dict:
    try:
        payload = _serializer(salt).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        raise AccountLinkError("This link has expired.") from exc
    except BadSignature as exc:
        raise AccountLinkError("This link is not valid.") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise AccountLinkError("This link is not valid.")
    return payload


def _user(payload: dict) -> User:
    user = db.session.get(User, payload["u"])
    if user is None or not user.active:
        raise AccountLinkError("This link is not valid.")
    return user


def reset_token(user: User) -> str:
    """A password-reset token for `user`'s current password."""
    return _serializer(RESET_SALT).dumps({"u": user.id, "p": _fingerprint(user.password_hash)})


def user_for_reset(token: str) -> User:
    """The user whose password the token may reset; AccountLinkError once used (password changed)."""
    payload = _load(RESET_SALT, token)
    user = _user(payload)
    if payload.get("p") != _fingerprint(user.password_hash):
        raise AccountLinkError("This link was already used.")
    return user


def email_change_token(user: User, new_email: str) -> str:
    """A token that moves `user` from their current address to `new_email`."""
    return _serializer(EMAIL_SALT).dumps({"u": user.id, "o": _fingerprint(user.email), "e": new_email})


def read_email_change(token: str) -> tuple[User, str]:
    """(user, new address); AccountLinkError once the address has changed since the link was made."""
    payload = _load(EMAIL_SALT, token)
    user = _user(payload)
    if payload.get("o") != _fingerprint(user.email) or not isinstance(payload.get("e"), str):
        raise AccountLinkError("This link was already used.")
    return user, payload["e"]


def verification_token(user: User) -> str:
    """A token proving that whoever opens it reads mail at `user`'s current address."""
    return _serializer(VERIFY_SALT).dumps({"u": user.id, "e": _fingerprint(user.email)})


def user_for_verification(token: str) -> User:
    """The user whose address the token verifies; AccountLinkError once the address has changed."""
    payload = _load(VERIFY_SALT, token, VERIFY_MAX_AGE)
    user = _user(payload)
    if payload.get("e") != _fingerprint(user.email):
        raise AccountLinkError("This link was sent to an address this account no longer uses.")
    return user


def token_in_url(view):
    """For pages whose URL holds a token: keep it out of caches and Referer headers."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper
