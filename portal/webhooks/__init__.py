"""Webhooks: admins register URLs per event; each event becomes an outbox row per subscribed endpoint.

`emit(event, ticket, **data)` only adds rows to the session (the caller's transaction, so an event that
rolls back is never announced); a `deliver_webhook` job per row is enqueued after commit and signs and
POSTs it (worker/webhook_jobs.py). `notify` fans its ticket events out here (NOTIFY_EVENTS), and the
satisfaction verdicts call `emit` where they are recorded.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.models import Ticket, WebhookDelivery, WebhookEndpoint, utcnow

log = logging.getLogger(__name__)

EVENTS = ("ticket.created", "ticket.escalated", "ticket.resolved", "ticket.satisfaction", "action.done")
# portal.mailer.notifications event -> webhook event
NOTIFY_EVENTS = {
    "ticket_received": "ticket.created",
    "escalated": "ticket.escalated",
    "resolved": "ticket.resolved",
    "action_done": "action.done",
}


def emit(event: str, ticket: Ticket, source: str, **data: Any) -> int:
    """Queue `event` about `ticket` for every active endpoint that wants it; how many rows were added.

    `source` makes the event unique (the same cause recorded twice yields one delivery per endpoint).
    """
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = _subscribers(event)
    if not endpoints:
        return 0
    from portal.jobs import queue
    from portal.support.tickets import enqueue_after_commit  # here: it imports notifications, then us

    payload = _payload(event, ticket, data)
    added = 0
    for endpoint in endpoints:
        key = f"{event}:{endpoint.id}:{ticket.id}:{source}"[:160]
        if _is_known(key):
            continue
        delivery_id = secrets.token_hex(16)  # known now: the job is registered before any flush
        body = json.dumps({"id": delivery_id, **payload}, separators=(",", ":"), default=str)
        row = WebhookDelivery(
            id=delivery_id,
            endpoint_id=endpoint.id,
            dedupe_key=key,
            event=event,
            ticket_id=ticket.id,
            body=body,
        )
        db.session.add(row)
        enqueue_after_commit(queue.DELIVER_WEBHOOK, row.id, queue_name=queue.WEBHOOK_QUEUE)
        added += 1
    log.info("webhook %s ticket=%s deliveries=%d", event, ticket.reference, added)
    return added


def _subscribers(event: str) -> list[WebhookEndpoint]:
    with db.session.no_autoflush:
        active = db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)))
        return [endpoint for endpoint in active if event in (endpoint.events or [])]


def _is_known(key: str) -> bool:
    if any(isinstance(o, WebhookDelivery) and o.dedupe_key == key for o in db.session.new):
        return True
    with db.session.no_autoflush:
        return (
            db.session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.dedupe_key == key)) is not None
        )


def _payload(event: str, ticket: Ticket, data: dict[str, Any]) -> dict[str, Any]:
    # Each delivery adds its own "id": receivers use it to drop a delivery they already handled.
    return {
        "event": event,
        "created_at": utcnow().isoformat(),
        "data": {"ticket": ticket_summary(ticket), **data},
    }


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    """What every webhook says about its ticket (no message bodies: fetch them with the API)."""
    return {
        "reference": ticket.reference,
        "status": ticket.status,
        "priority": ticket.priority,
        "subject": ticket.subject,
        "customer_email": ticket.customer.email if ticket.customer else None,
        "order_number": ticket.order.number if ticket.order else None,
        "escalation_reason": ticket.escalation_reason,
        "satisfaction": ticket.satisfaction,
    }


_PLAIN_CONTEXT = ("action", "amount", "currency", "reference", "order_number", "by", "reason")


def from_notification(event: str, ticket: Ticket, context: dict[str, Any], source: str) -> None:
    """notify()'s fan-out: the webhook twin of a notification event, if it has one."""
    webhook_event = NOTIFY_EVENTS.get(event)
    if webhook_event is None:
        return
    emit(webhook_event, ticket, source, **_context_data(context))


def _context_data(context: dict[str, Any]) -> dict[str, Any]:
    """Plain values from notify's context (rows become their kind, amount and reference)."""
    data = {key: context[key] for key in _PLAIN_CONTEXT if context.get(key) is not None}
    for kind in ("refund", "cancellation", "replacement"):
        row = context.get(kind)
        if row is not None:
            data.setdefault("action", kind)
            data.setdefault("amount", getattr(row, "amount", None))
            data.setdefault("currency", getattr(row, "currency", None))
            reference = getattr(row, "payment_reference", None) or getattr(row, "shipment_reference", None)
            data.setdefault("reference", reference)
    return {k: v for k, v in data.items() if v is not None}
