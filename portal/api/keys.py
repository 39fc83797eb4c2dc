"""API keys: `so_<prefix>_<secret>`, shown once; the database keeps the prefix and a SHA-256 of the token.

The secret has 256 bits of entropy, so a plain SHA-256 (not a slow password hash) is enough: nobody can
guess a token from its hash, and checking a key costs one indexed lookup and one hash per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import g, request
from sqlalchemy import select, update

from portal.api.errors import ApiError
from portal.extensions import db
from portal.models import ApiKey, User, utcnow

SCOPES = ("read", "write", "orders")
SCOPE_WORDS = {
    "read": "read customers, orders, tickets and audit trails",
    "write": "open tickets, reply as the customer, escalate, resolve",
    "orders": "upsert customers and orders (the shop's data)",
}
TOKEN_PREFIX = "so_"  # noqa: S105 - the public start of every token, not a secret


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(name: str, scopes: list[str], created_by: User | None) -> tuple[ApiKey, str]:
    """Add a new key to the session; returns it with its token (the only time the token exists)."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise ValueError(f"scopes must be some of {', '.join(SCOPES)}")
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        name=name.strip()[:80],
        prefix=prefix,
        token_hash=_hash(token),
        scopes=[scope for scope in SCOPES if scope in scopes],
        created_by_id=created_by.id if created_by else None,
    )
    db.session.add(key)
    return key, token


def revoke(key: ApiKey) -> bool:
    """Revoke the key at once (the next request with it gets 401); False when it already was."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    return True


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def token_prefix(token: str | None) -> str | None:
    """The lookup part of a well-formed token, without touching the database."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    prefix, sep, secret = token[len(TOKEN_PREFIX) :].partition("_")
    return prefix if sep and secret and len(prefix) == 8 else None


def authenticate() -> ApiKey:
    """The active key of this request (kept in g.api_key); ApiError 401 otherwise."""
    token = bearer_token()
    prefix = token_prefix(token)
    key = db.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix)) if prefix else None
    if key is None or not hmac.compare_digest(key.token_hash, _hash(token)):
        raise ApiError(401, "unauthorized", "A valid API key is required (Authorization: Bearer <key>).")
    if key.revoked_at is not None:
        raise ApiError(401, "key_revoked", "This API key has been revoked.")
    g.api_key_id, g.api_key_scopes, g.api_key_name = key.id, list(key.scopes), key.name
    _touch(key)
    return key


def _touch(key: ApiKey) -> None:
    # At most once a minute per key: no write per request for a busy integration.
    now = utcnow()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        db.session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
        db.session.commit()


def require_scope(scope: str) -> None:
    if scope not in getattr(g, "api_key_scopes", ()):
        raise ApiError(403, "insufficient_scope", f"This API key lacks the '{scope}' scope.")


def rate_limit_key() -> str:
    """Flask-Limiter's key: the API key's prefix (each key has its own budget), else the client address."""
    prefix = token_prefix(bearer_token())
    return f"api-key:{prefix}" if prefix else f"api-ip:{request.remote_addr or '-'}"
