"""The email outbox: rows written with their event, claimed by exactly one send job, then sent or failed.

State machine (docs/email.md):  pending --claim--> sending --> sent
                                   ^                 |  transient error, retries left
                                   +-----------------+
                                                     `--> failed (last retry, or a permanent SMTP error)
The claim is one conditional UPDATE (`WHERE status = 'pending'`), so a retried or duplicated job finds
nothing to do once another has the row. While a row is `sending`, `send_after` is its lease: a worker
that died mid-send leaves a row that `requeue_stale` hands back once the lease has run out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, or_, select, update

from portal.config import settings
from portal.extensions import db
from portal.jobs import queue
from portal.models import EmailOutbox, OutboxStatus, utcnow

STAFF_PREFIX = "alert:"  # staff alerts ("alert:escalated" ...) are sent as per-person digests
ERROR_MAX = 2000


@dataclass(frozen=True)
class Envelope:
    """What a send job needs once the database session is closed."""

    id: int
    to_address: str
    subject: str
    text_body: str
    html_body: str | None
    headers: dict[str, str]
    attempts: int


_ENVELOPE_COLUMNS = (
    EmailOutbox.id,
    EmailOutbox.to_address,
    EmailOutbox.subject,
    EmailOutbox.text_body,
    EmailOutbox.html_body,
    EmailOutbox.headers,
    EmailOutbox.attempts,
)


def is_known(dedupe_key: str) -> bool:
    """Whether a row with this key exists (in the database or waiting in this session)."""
    if any(isinstance(o, EmailOutbox) and o.dedupe_key == dedupe_key for o in db.session.new):
        return True
    with db.session.no_autoflush:
        return (
            db.session.scalar(select(EmailOutbox.id).where(EmailOutbox.dedupe_key == dedupe_key)) is not None
        )


def _lease() -> timedelta:
    # Longer than the job timeout (MAIL_TIMEOUT * 6), so only a dead worker's claim ever expires.
    return timedelta(seconds=settings().mail.timeout * 12)


def _claim(*conditions) -> list[Envelope]:
    statement = (
        update(EmailOutbox)
        .where(EmailOutbox.status == OutboxStatus.PENDING.value, *conditions)
        .values(
            status=OutboxStatus.SENDING.value,
            attempts=EmailOutbox.attempts + 1,
            send_after=utcnow() + _lease(),
        )
        .returning(*_ENVELOPE_COLUMNS)
        .execution_options(synchronize_session=False)
    )
    rows = db.session.execute(statement).all()
    db.session.commit()
    return [Envelope(*row) for row in sorted(rows, key=lambda r: r.id)]


def claim(outbox_id: int) -> Envelope | None:
    """Take one pending row for sending (commits); None when another job has it or it is done."""
    claimed = _claim(
        EmailOutbox.id == outbox_id, ~EmailOutbox.event.startswith(STAFF_PREFIX, autoescape=True)
    )
    return claimed[0] if claimed else None


def claim_staff_alerts(user_id: int) -> list[Envelope]:
    """Take every pending staff alert for one person, to be merged into one digest (commits)."""
    return _claim(EmailOutbox.user_id == user_id, EmailOutbox.event.startswith(STAFF_PREFIX, autoescape=True))


def _set(ids: Iterable[int], only_status: str, **values) -> int:
    statement = (
        update(EmailOutbox)
        .where(EmailOutbox.id.in_(list(ids)), EmailOutbox.status == only_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    count = db.session.execute(statement).rowcount
    db.session.commit()
    return count


def mark_sent(ids: Iterable[int]) -> int:
    """The SMTP server accepted the message."""
    return _set(
        ids, OutboxStatus.SENDING.value, status=OutboxStatus.SENT.value, sent_at=utcnow(), last_error=None
    )


def release(ids: Iterable[int], error: str, retry_in: float = 0) -> int:
    """A transient failure: back to pending for the job's next retry."""
    return _set(
        ids,
        OutboxStatus.SENDING.value,
        status=OutboxStatus.PENDING.value,
        last_error=error[:ERROR_MAX],
        send_after=utcnow() + timedelta(seconds=retry_in),
    )


def mark_failed(ids: Iterable[int], error: str) -> int:
    """No retry left (or a permanent refusal): kept as failed and listed for admins."""
    return _set(
        ids, OutboxStatus.SENDING.value, status=OutboxStatus.FAILED.value, last_error=error[:ERROR_MAX]
    )


def enqueue_sends(outbox_ids: Iterable[int] = (), staff_ids: Iterable[int] = (), delay: float = 0) -> None:
    """Enqueue the send jobs (call after commit): one per customer row, one digest per staff member."""
    for outbox_id in outbox_ids:
        queue.enqueue(queue.SEND_EMAIL, outbox_id, queue=queue.EMAIL_QUEUE)
    for user_id in staff_ids:
        queue.enqueue(queue.SEND_STAFF_DIGEST, user_id, queue=queue.EMAIL_QUEUE, delay=delay)


def requeue_stale(older_than: timedelta) -> tuple[list[int], list[int]]:
    """Rows whose job was lost: pending past `older_than`, or `sending` past the lease (commits).

    Returns (customer row ids, staff user ids) for `enqueue_sends`. A `sending` row whose lease ran out
    belonged to a worker that died; it may or may not have reached the SMTP server, and we send it again
    rather than lose it (docs/email.md, "the one window").
    """
    now = utcnow()
    stale_pending = and_(
        EmailOutbox.status == OutboxStatus.PENDING.value,
        func.coalesce(EmailOutbox.send_after, EmailOutbox.created_at) < now - older_than,
    )
    dead_claim = and_(EmailOutbox.status == OutboxStatus.SENDING.value, EmailOutbox.send_after < now)
    rows = db.session.execute(
        select(EmailOutbox.id, EmailOutbox.event, EmailOutbox.user_id).where(or_(stale_pending, dead_claim))
    ).all()
    _set([r.id for r in rows], OutboxStatus.SENDING.value, status=OutboxStatus.PENDING.value)
    return _split(rows)


def retry_failed(outbox_ids: Iterable[int] | None = None) -> tuple[list[int], list[int]]:
    """Put failed rows (all, or the given ones) back to pending (commits); ids for `enqueue_sends`."""
    query = select(EmailOutbox.id, EmailOutbox.event, EmailOutbox.user_id).where(
        EmailOutbox.status == OutboxStatus.FAILED.value
    )
    if outbox_ids is not None:
        query = query.where(EmailOutbox.id.in_(list(outbox_ids)))
    rows = db.session.execute(query).all()
    _set([r.id for r in rows], OutboxStatus.FAILED.value, status=OutboxStatus.PENDING.value, send_after=None)
    return _split(rows)


def _split(rows) -> tuple[list[int], list[int]]:
    customer = [r.id for r in rows if not r.event.startswith(STAFF_PREFIX)]
    staff = sorted({r.user_id for r in rows if r.event.startswith(STAFF_PREFIX) and r.user_id is not None})
    return customer, staff


def status_counts() -> dict[str, int]:
    """How many rows are in each state (for the admin page and `flask mail status`)."""
    rows = db.session.execute(select(EmailOutbox.status, func.count()).group_by(EmailOutbox.status)).all()
    return {status: count for status, count in rows}


def failed_rows(limit: int = 200) -> list[EmailOutbox]:
    """The newest failed messages, for admins."""
    query = (
        select(EmailOutbox)
        .where(EmailOutbox.status == OutboxStatus.FAILED.value)
        .order_by(EmailOutbox.created_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
