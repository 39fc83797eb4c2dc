"""Webhook signatures: HMAC-SHA256 over "timestamp.body" with the endpoint's secret (docs/api.md).

Header: `X-SupportOps-Signature: t=<unix seconds>,v1=<hex digest>`. The timestamp is the moment of
sending, so a receiver can refuse old (replayed) deliveries; each retry is signed afresh.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "X-SupportOps-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    """A fresh endpoint secret (shown to the admin once at creation, kept for signing)."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of b"<timestamp>.<body>" under `secret`."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of X-SupportOps-Signature for `body` sent now (or at `timestamp`)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return f"t={moment},v1={signature(secret, moment, body)}"


def verify(secret: str, body: bytes, header: str, tolerance: int = DEFAULT_TOLERANCE_SECONDS) -> bool:
    """Whether `header` signs `body` with `secret` and is no older than `tolerance` seconds."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        moment = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(time.time() - moment) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, moment, body), parts.get("v1", ""))
