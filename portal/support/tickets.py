"""The ticket lifecycle shared by the portal pages, the staff desk, the agent job and the CLI.

Functions add to the session and never commit; callers commit. Jobs are registered with
`enqueue_after_commit` and enqueued only once the transaction has committed (never for a rolled-back
one), so the job always finds its rows.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import event

from portal.desk import sla
from portal.extensions import db
from portal.jobs import queue
from portal.mailer.notifications import notify
from portal.models import (
    AgentRun,
    AuthorKind,
    Message,
    Order,
    RunStatus,
    Ticket,
    TicketStatus,
    User,
    utcnow,
)

log = logging.getLogger(__name__)

SUBJECT_MAX = 200
BODY_MAX = 5000


def response_due(now: datetime, priority: str | None = None) -> datetime:
    """The first-response deadline for a ticket that starts waiting now (portal.desk.sla: the priority's
    target in working time; SLA_HOURS around the clock by default)."""
    return sla.first_response_due(now, priority)


class TicketError(ValueError):
    """A user-facing reason a ticket or reply was not accepted."""


def clean_text(value: str | None, *, field: str, maximum: int) -> str:
    """Trim surrounding space and enforce presence and length; the text itself is kept exactly."""
    text = (value or "").strip()
    if not text:
        raise TicketError(f"Please write a {field}.")
    if len(text) > maximum:
        raise TicketError(f"The {field} is too long ({len(text)} characters; at most {maximum}).")
    return text


def open_ticket(
    customer: User, subject: str, body: str, order: Order | None = None, form_token: str | None = None
) -> Ticket:
    """Create a ticket with its first message and queue the agent; the caller commits.

    `form_token`: the portal form's one-time token, which finds this ticket again on a double submit."""
    if order is not None and order.customer_id != customer.id:
        raise TicketError("That order is not one of yours.")
    body = mask_cards(clean_text(body, field="message", maximum=BODY_MAX))
    subject = mask_cards(clean_text(subject, field="subject", maximum=SUBJECT_MAX))
    now = utcnow()
    ticket = Ticket(
        customer=customer,
        order=order,
        subject=subject,
        body=body,
        status=TicketStatus.NEW.value,
        created_at=now,
        sla_due_at=response_due(now),
        form_token=form_token,
    )
    ticket.messages.append(Message(author_kind=AuthorKind.CUSTOMER.value, author_id=customer.id, body=body))
    db.session.add(ticket)
    db.session.flush()
    request_agent_run(ticket, trigger="created")
    notify("ticket_received", ticket)
    return ticket


def add_customer_reply(ticket: Ticket, body: str) -> Message:
    """Add the customer's reply: it re-runs the agent, or goes to staff once a person owns the ticket."""
    body = mask_cards(clean_text(body, field="reply", maximum=BODY_MAX))
    message = Message(author_kind=AuthorKind.CUSTOMER.value, author_id=ticket.customer_id, body=body)
    ticket.messages.append(message)
    ticket.customer_turns += 1
    ticket.resolved_at = None
    sla.resume(ticket, utcnow())  # the resolution clock runs again
    if (
        ticket.assignee_id is not None
        or ticket.human_involved
        or ticket.status == TicketStatus.ESCALATED.value
    ):
        ticket.status = TicketStatus.ESCALATED.value
        notify("customer_replied", ticket, message=message)
    else:
        request_agent_run(ticket, trigger="reply")
    return message


def request_agent_run(ticket: Ticket, trigger: str) -> AgentRun:
    """Record a queued agent run and enqueue `process_ticket` once the transaction commits."""
    run = AgentRun(ticket=ticket, status=RunStatus.QUEUED.value, trigger=trigger)
    ticket.status = TicketStatus.NEW.value
    db.session.add(run)
    db.session.flush()
    enqueue_after_commit(queue.PROCESS_TICKET, ticket.id)
    return run


def request_draft(ticket: Ticket) -> None:
    """Ask the agent for a draft reply once the escalation commits (staff send or discard it)."""
    enqueue_after_commit(queue.DRAFT_REPLY, ticket.id)


def enqueue_after_commit(path: str, *args, queue_name: str = queue.AGENT_QUEUE) -> None:
    """Enqueue a job when the current transaction commits (never for a rolled-back one)."""
    session = db.session()
    pending = session.info.setdefault("enqueue_after_commit", [])
    pending.append((path, args, queue_name))
    if not event.contains(session, "after_commit", _flush_after_outer_commit):
        event.listen(session, "after_commit", _flush_after_outer_commit)
        event.listen(session, "after_soft_rollback", _drop_after_outer_rollback)


# SQLAlchemy fires after_commit when a savepoint (begin_nested) is released and after_rollback when one
# rolls back: only the outermost transaction decides whether the jobs' rows exist.
def _flush_after_outer_commit(session) -> None:
    if not session.in_nested_transaction():
        _flush_enqueues(session)


def _drop_after_outer_rollback(session, _previous_transaction) -> None:
    # A savepoint's rollback keeps the outer transaction's jobs (a job from inside it finds its rows gone
    # and does nothing: jobs take ids and check state).
    if not session.in_transaction():
        _drop_enqueues(session)


def _flush_enqueues(session) -> None:
    # The rows are committed: nothing here may turn that into an error page. A Redis outage is handled
    # inside queue.enqueue (the job is kept, portal.jobs.deferred); anything else is logged and left to the
    # stale-run sweep (worker.reaper), which finds a queued run whose job never came.
    pending = session.info.pop("enqueue_after_commit", [])
    for path, args, queue_name in pending:
        try:
            queue.enqueue(path, *args, queue=queue_name)
        except Exception:
            log.exception("job %s%r not enqueued after commit; left to the stale-run sweep", path, args)


def _drop_enqueues(session) -> None:
    session.info.pop("enqueue_after_commit", None)


def mask_cards(text: str) -> str:
    """A full card number is never stored: mask it at intake (the rest of the text is kept exactly)."""
    from portal.support.pii import mask_card_numbers

    return mask_card_numbers(text)


def resolve_by_integration(ticket: Ticket, integration: str) -> bool:
    """An API client (the shop, a CRM) closes the ticket; logged as the system with the key's name.

    The customer gets the usual "resolved" email with its satisfaction links. False when already resolved.
    """
    from portal.models import ActionDecision
    from portal.services.audit import Actor, log_action

    if ticket.status == TicketStatus.RESOLVED.value:
        return False
    ticket.status, ticket.resolved_at = TicketStatus.RESOLVED.value, utcnow()
    notify("resolved", ticket, by="api")
    log_action(
        Actor.system(f"api:{integration}"[:120]),
        "api.resolve",
        ActionDecision.NOTE.value,
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
    )
    return True
