"""Password hashes: argon2id for every new hash; werkzeug's scrypt/pbkdf2 hashes from before still verify
and are replaced at the owner's next successful login (`needs_rehash`).

The cost comes from PASSWORD_HASH_* in portal/config.py (argon2-cffi's defaults, RFC 9106's low-memory
profile). `spend_verify_time` lets a login for an unknown email take as long as one for a known email.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import has_app_context
from werkzeug.security import check_password_hash

ARGON2_PREFIX = "$argon2"
# argon2-cffi's defaults (RFC 9106 low-memory profile): time cost, memory in KiB, lanes.
DEFAULT_COST = (3, 65536, 4)


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher() -> PasswordHasher:
    """The hasher for the app's configured cost (argon2-cffi's defaults outside an app)."""
    if not has_app_context():
        return _hasher(*DEFAULT_COST)
    from portal.config import settings  # not at the top: portal.config takes DEFAULT_COST from here

    auth = settings().auth
    return _hasher(auth.hash_time_cost, auth.hash_memory_kib, auth.hash_parallelism)


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether `password` matches `stored` (argon2 or an older werkzeug hash); never raises."""
    if not stored.startswith(ARGON2_PREFIX):
        return check_password_hash(stored, password)  # False for any unknown format ("!closed:...")
    try:
        return hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):  # VerifyMismatchError is a VerificationError
        return False


def needs_rehash(stored: str) -> bool:
    """A werkzeug hash, or an argon2 hash made with another cost than the configured one."""
    if not stored.startswith(ARGON2_PREFIX):
        return not stored.startswith("!")  # a closed account's marker is no hash to upgrade
    try:
        return hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return False


@lru_cache(maxsize=8)
def _dummy_hash(h: PasswordHasher) -> str:
    return h.hash(secrets.token_urlsafe(16))


def spend_verify_time(password: str) -> None:
    """Verify `password` against a throwaway hash of the configured cost: a refusal for an email with no
    account (or one that cannot log in) then takes as long as a wrong password for a real one."""
    verify_password(_dummy_hash(hasher()), password)
