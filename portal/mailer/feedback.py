"""Signed one-click satisfaction links: they work without logging in, expire, and count once.

A token carries the ticket id, the verdict and the moment the ticket was resolved. It is accepted once per
resolution: recording is a conditional UPDATE that only succeeds while no feedback newer than that moment
exists, so a second click (or two clicks racing) reads "already recorded".
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import or_, update

from portal.config import settings
from portal.extensions import db
from portal.models import Ticket, utcnow

SALT = "supportops.satisfaction.v1"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
VERDICTS = ("satisfied", "unsatisfied")


class FeedbackLinkError(ValueError):
    """The link is malformed, tampered with or expired (`expired` says which)."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def clock() -> float:
    """Seconds since the epoch; tests replace it to move time forward."""
    return time.time()


class _ClockSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(clock())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT, signer=_ClockSigner)


def make_token(ticket: Ticket, verdict: str) -> str:
    """A signed token recording `verdict` for `ticket`'s current resolution."""
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}")
    resolved_at = ticket.resolved_at or utcnow()
    # Whole microseconds, not a float timestamp: the comparison in record_feedback must be exact.
    return _serializer().dumps({"t": ticket.id, "v": verdict, "r": (resolved_at - EPOCH) // MICROSECOND})


def read_token(token: str) -> dict:
    """The token's payload; FeedbackLinkError when it is invalid or older than MAIL_FEEDBACK_MAX_AGE_DAYS."""
    max_age = int(timedelta(days=settings().mail.feedback_max_age_days).total_seconds())
    try:
        payload = _serializer().loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise FeedbackLinkError("This link has expired.", expired=True) from exc
    except BadSignature as exc:
        raise FeedbackLinkError("This link is not valid.") from exc
    if not isinstance(payload, dict) or payload.get("v") not in VERDICTS:
        raise FeedbackLinkError("This link is not valid.")
    return payload


def record_feedback(payload: dict) -> bool:
    """Store the verdict unless feedback for this resolution is already recorded; the caller commits."""
    resolved_at = EPOCH + int(payload["r"]) * MICROSECOND
    result = db.session.execute(
        update(Ticket)
        .where(Ticket.id == int(payload["t"]))
        .where(or_(Ticket.satisfaction_at.is_(None), Ticket.satisfaction_at < resolved_at))
        .values(satisfaction=payload["v"], satisfaction_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
