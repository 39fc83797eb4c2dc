"""The webhook outbox's states, as the email outbox's: pending --claim--> sending --> sent | failed.

The claim is one conditional UPDATE, so a duplicated or retried job sends a delivery at most once per
attempt; `lease_until` marks a claim whose worker died. The workers' periodic check (`requeue_stale`,
worker/reaper.py) hands such claims back, and deliveries whose first job never ran; so does the admin's
retry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, or_, select, update

from portal.config import settings
from portal.extensions import db
from portal.models import OutboxStatus, WebhookDelivery, WebhookEndpoint, utcnow

ERROR_MAX = 2000


@dataclass(frozen=True)
class Parcel:
    """What a send job needs once the database session is closed."""

    id: str
    event: str
    url: str
    secret: str
    body: str
    attempts: int


def claim(delivery_id: str) -> Parcel | None:
    """Take one pending delivery for sending (commits); None when another job has it or it is done."""
    lease = timedelta(seconds=settings().webhooks.timeout * 6)
    claimed = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == OutboxStatus.PENDING.value)
        .values(
            status=OutboxStatus.SENDING.value,
            attempts=WebhookDelivery.attempts + 1,
            lease_until=utcnow() + lease,
        )
        .returning(
            WebhookDelivery.endpoint_id, WebhookDelivery.event, WebhookDelivery.body, WebhookDelivery.attempts
        )
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        db.session.commit()
        return None
    endpoint = db.session.get(WebhookEndpoint, claimed.endpoint_id)
    parcel = Parcel(delivery_id, claimed.event, endpoint.url, endpoint.secret, claimed.body, claimed.attempts)
    db.session.commit()
    return parcel


def _finish(delivery_id: str, **values) -> None:
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == OutboxStatus.SENDING.value)
        .values(lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def mark_sent(delivery_id: str, status_code: int) -> None:
    """The receiver answered 2xx."""
    _finish(
        delivery_id,
        status=OutboxStatus.SENT.value,
        last_status_code=status_code,
        last_error=None,
        delivered_at=utcnow(),
    )


def release(delivery_id: str, error: str, status_code: int | None) -> None:
    """A failed attempt with retries left: back to pending for the job's next try."""
    _finish(
        delivery_id,
        status=OutboxStatus.PENDING.value,
        last_status_code=status_code,
        last_error=error[:ERROR_MAX],
    )


def mark_failed(delivery_id: str, error: str, status_code: int | None) -> None:
    """No retry left: kept as failed, listed for admins, retryable from the admin page."""
    _finish(
        delivery_id,
        status=OutboxStatus.FAILED.value,
        last_status_code=status_code,
        last_error=error[:ERROR_MAX],
    )


def retry(delivery_ids: Iterable[str] | None = None) -> list[str]:
    """Failed deliveries (all, or the given ones) and dead claims back to pending (commits); their ids."""
    wanted = or_(WebhookDelivery.status == OutboxStatus.FAILED.value, _dead_claim(utcnow()))
    if delivery_ids is not None:
        wanted = and_(wanted, WebhookDelivery.id.in_(list(delivery_ids)))
    return _back_to_pending(wanted, lease_until=None)


def requeue_stale(never_tried_for: timedelta) -> list[str]:
    """Deliveries whose job was lost, back to pending (commits); their ids, for `enqueue`.

    Lost: `sending` past its lease (the worker died mid-send: the receiver may get it twice, with the
    same delivery id to deduplicate on), or `pending` with no attempt `never_tried_for` after it was
    written (its job never ran, e.g. Redis lost its queue). A pending row that was tried already is
    waiting for RQ's scheduled retry and is left alone.
    """
    now = utcnow()
    never_tried = and_(
        WebhookDelivery.status == OutboxStatus.PENDING.value,
        WebhookDelivery.attempts == 0,
        WebhookDelivery.created_at < now - never_tried_for,
        # Handed back already: not again before its job had the same time to run.
        or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
    )
    return _back_to_pending(or_(_dead_claim(now), never_tried), lease_until=now + never_tried_for)


def _dead_claim(now):
    """A claim whose worker died: still `sending` after its lease ran out."""
    return and_(WebhookDelivery.status == OutboxStatus.SENDING.value, WebhookDelivery.lease_until < now)


def _back_to_pending(condition, lease_until) -> list[str]:
    """The deliveries matching `condition` set pending with this `lease_until` (commits); their ids."""
    ids = list(db.session.scalars(select(WebhookDelivery.id).where(condition)))
    if ids:
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids), condition)  # still matching: unchanged since the read
            .values(status=OutboxStatus.PENDING.value, lease_until=lease_until)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return ids


def enqueue(delivery_ids: Iterable[str]) -> None:
    """Enqueue a send job per delivery (call after commit)."""
    from portal.jobs import queue

    for delivery_id in delivery_ids:
        queue.enqueue(queue.DELIVER_WEBHOOK, delivery_id, queue=queue.WEBHOOK_QUEUE)


def status_counts() -> dict[str, int]:
    """How many deliveries are in each state (for the admin page)."""
    rows = db.session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status))
    return {status: count for status, count in rows}


def recent(limit: int = 100) -> list[WebhookDelivery]:
    """The newest deliveries, for admins."""
    query = select(WebhookDelivery).order_by(WebhookDelivery.created_at.desc()).limit(limit)
    return list(db.session.scalars(query))
