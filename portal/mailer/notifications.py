"""Notification events -> email outbox rows, written in the caller's transaction.

`notify(event, ticket, **context)` only adds rows to the session; the send jobs are enqueued after the
transaction commits (never for a rolled-back one), and only jobs send (worker/email_jobs.py).

Events, who gets them, and the context each reads (anything else is ignored):

  event             customer mail        staff alert   context
  ticket_received   update               -             -
  agent_answered    update               -             message= (Message) or summary= (str)
  action_done       always sent          -             action= refund|cancellation|replacement, amount=,
                                                       currency=, reference=, order_number=, items=, method=;
                                                       or refund= / cancellation= / replacement= rows; without
                                                       a reference, the ticket's latest such row supplies it
  action_held       always sent          yes           action=, amount=, currency=, reason=; or refund=
  escalated         update               yes (1)       reason= (default ticket.escalation_reason), by=,
                                                       staff_name= (who took over)
  staff_replied     update               -             message= (Message) or body=, staff= (User)
  resolved          update (2)           -             message= (closing note, optional), by=
  customer_replied  -                    yes           message=

  "update" mails are skipped for customers who turned email updates off (User.email_updates);
  (1) not when by="staff": a person's own desk action alerts nobody;
  (2) not when by="customer": they resolved it themselves. It carries the one-click satisfaction links.
Staff alerts go to the assignee, or to every active staff member and admin when unassigned, and are
merged into one digest per person when several arrive within MAIL_STAFF_DIGEST_SECONDS.

Webhooks: ticket_received, escalated, resolved and action_done are also fanned out to the registered
webhook endpoints (portal.webhooks: ticket.created, ticket.escalated, ticket.resolved, action.done),
whoever the emails skip.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import inspect, select

from portal import webhooks
from portal.config import settings
from portal.extensions import db
from portal.mailer import outbox
from portal.mailer.messages import ESSENTIAL_EVENTS, customer_message, staff_alert
from portal.models import EmailOutbox, Role, Ticket, User, utcnow

log = logging.getLogger(__name__)

CUSTOMER_EVENTS = frozenset(
    {
        "ticket_received",
        "agent_answered",
        "action_done",
        "action_held",
        "escalated",
        "staff_replied",
        "resolved",
    }
)
STAFF_EVENTS = frozenset({"escalated", "action_held", "customer_replied"})
EVENTS = CUSTOMER_EVENTS | STAFF_EVENTS
_PENDING_KEY = "email_after_commit"


def notify(event: str, ticket: Ticket, **context: Any) -> None:
    """Record the notifications for `event` on `ticket` (sent later by the email worker)."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    rows = []
    if event in CUSTOMER_EVENTS and _customer_wants(event, ticket, context):
        rows.append(_customer_row(event, ticket, context))
    if event in STAFF_EVENTS and context.get("by") != "staff":  # staff's own desk actions alert nobody
        rows.extend(_staff_rows(event, ticket, context))
    rows = [row for row in rows if row is not None]
    for row in rows:
        db.session.add(row)
        _send_after_commit(row)
    log.info("notify %s ticket=%s rows=%d", event, ticket.reference, len(rows))
    webhooks.from_notification(event, ticket, context, _source(event, ticket, context))


def _customer_wants(event: str, ticket: Ticket, context: dict[str, Any]) -> bool:
    customer = ticket.customer
    if customer is None or not customer.active:
        return False
    if event == "resolved" and context.get("by") == "customer":
        return False
    return event in ESSENTIAL_EVENTS or bool(customer.email_updates)


def _customer_row(event: str, ticket: Ticket, context: dict[str, Any]) -> EmailOutbox | None:
    key = f"{event}:{ticket.id}:{_source(event, ticket, context)}"
    if outbox.is_known(key):
        return None
    draft, headers = customer_message(event, ticket, context)
    return EmailOutbox(
        dedupe_key=key,
        event=event,
        to_address=ticket.customer.email,
        user_id=ticket.customer_id,
        ticket_id=ticket.id,
        subject=draft.subject,
        text_body=draft.text,
        html_body=draft.html,
        headers=headers,
    )


def _staff_rows(event: str, ticket: Ticket, context: dict[str, Any]) -> list[EmailOutbox | None]:
    source = _source(event, ticket, context)
    send_after = utcnow() + timedelta(seconds=settings().mail.staff_digest_seconds)
    people = staff_recipients(ticket)
    draft = staff_alert(event, ticket, context) if people else None
    rows = []
    for person in people:
        key = f"{outbox.STAFF_PREFIX}{event}:{ticket.id}:{person.id}:{source}"
        if outbox.is_known(key):
            continue
        rows.append(
            EmailOutbox(
                dedupe_key=key,
                event=f"{outbox.STAFF_PREFIX}{event}",
                to_address=person.email,
                user_id=person.id,
                ticket_id=ticket.id,
                subject=draft.subject,
                text_body=draft.text,
                html_body=draft.html,
                headers={},
                send_after=send_after,
            )
        )
    return rows


def staff_recipients(ticket: Ticket) -> list[User]:
    """The assignee when there is an active one, else every active staff member and admin."""
    assignee = _current_assignee(ticket)
    if assignee is not None and assignee.active and assignee.is_staff:
        return [assignee]
    query = select(User).where(User.active.is_(True), User.role.in_([Role.STAFF.value, Role.ADMIN.value]))
    with db.session.no_autoflush:
        return list(db.session.scalars(query.order_by(User.id)))


def _current_assignee(ticket: Ticket) -> User | None:
    # Callers set either the relationship or the id, and may not have flushed: believe the newest one.
    changed = inspect(ticket).attrs.assignee.history.added
    if changed:
        return changed[0]
    return db.session.get(User, ticket.assignee_id) if ticket.assignee_id is not None else None


def _source(event: str, ticket: Ticket, context: dict[str, Any]) -> str:
    """What makes this notification unique, so recording the same event twice yields one row."""
    message = context.get("message")
    if message is not None and getattr(message, "id", None) is not None:
        return f"m{message.id}"
    for name in ("refund", "cancellation", "replacement"):
        row = context.get(name)
        if row is not None and getattr(row, "id", None) is not None:
            return f"{name}{row.id}"
    if context.get("reference"):
        return f"r{context['reference']}"
    moment = {"ticket_received": ticket.created_at, "resolved": ticket.resolved_at}.get(event)
    if event in ("escalated", "action_held"):
        moment = ticket.escalated_at
    return f"t{moment.timestamp():.6f}" if moment else f"n{secrets.token_hex(8)}"  # nothing to dedupe on


# --- after commit ----------------------------------------------------------------------------------------


def add_outbox_row(row: EmailOutbox) -> None:
    """Add a message that is not about a ticket (account emails); its send job is enqueued after commit."""
    db.session.add(row)
    _send_after_commit(row)


def _send_after_commit(row: EmailOutbox) -> None:
    session = db.session()
    # Staff rows are sent per person; remember whom now, the row's attributes expire at commit.
    staff_user = row.user_id if row.event.startswith(outbox.STAFF_PREFIX) else None
    session.info.setdefault(_PENDING_KEY, []).append((row, staff_user))
    if not sa_event.contains(session, "after_commit", _enqueue_pending):
        sa_event.listen(session, "after_commit", _enqueue_pending)
        sa_event.listen(session, "after_soft_rollback", _drop_pending)


def _enqueue_pending(session) -> None:
    # after_commit also fires when a savepoint (begin_nested) is released; a job enqueued then could run
    # before the outer COMMIT and find no row. Wait for the outermost transaction.
    if session.in_nested_transaction():
        return
    customer_ids, staff_ids = [], set()
    for row, staff_user in session.info.pop(_PENDING_KEY, []):
        state = inspect(row)
        if not state.persistent:  # rolled back with a savepoint: there is nothing to send
            continue
        if staff_user is not None:
            staff_ids.add(staff_user)
        else:
            customer_ids.append(state.identity[0])  # no SQL: the key is known once flushed
    if customer_ids or staff_ids:
        delay = settings().mail.staff_digest_seconds
        outbox.enqueue_sends(customer_ids, sorted(staff_ids), delay=delay)


def _drop_pending(session, previous_transaction) -> None:
    if not session.in_transaction():  # the outermost transaction rolled back: the rows are gone
        session.info.pop(_PENDING_KEY, None)
