"""What a customer can do to their own ticket besides replying: say it is solved, or ask for a person.

Functions add to the session; the view commits. Each writes an action-log row so the desk sees who did what.
The repeat checks tell a double click (the same form or text sent twice) from a new request.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, or_, select

from portal import webhooks
from portal.config import settings
from portal.desk import routing, sla
from portal.extensions import db
from portal.mailer.notifications import notify
from portal.models import ActionDecision, AuthorKind, Message, Order, Ticket, TicketStatus, User, utcnow
from portal.services.audit import Actor, log_action
from portal.support.tickets import mask_cards, request_draft, response_due

CUSTOMER_ESCALATION_REASON = "Customer asked for a person"
NOT_SATISFIED_REASON = "Customer not satisfied"
CAN_RATE = (TicketStatus.ANSWERED.value, TicketStatus.RESOLVED.value)
CAN_ESCALATE = (TicketStatus.ANSWERED.value, TicketStatus.RESOLVED.value)
# The same text sent again this soon is a double click (or a retried request), not a new message.
REPEAT_WINDOW = timedelta(minutes=2)


def earlier_ticket(
    customer: User,
    token: str | None,
    subject: str,
    body: str,
    order: Order | None,
    shown_at: datetime | None,
) -> Ticket | None:
    """The ticket this new-ticket form already opened, in one query: the one with the form's one-time
    token, else the identical ticket this customer opened since the form was shown (the same form sent
    twice). Only tickets from the last REPEAT_WINDOW count as identical, whatever `shown_at` claims (it
    comes from the client)."""
    now = utcnow()
    since = max(shown_at or now, now - REPEAT_WINDOW)
    identical = and_(
        Ticket.subject == mask_cards(subject.strip()),
        Ticket.body == mask_cards(body.strip()),
        Ticket.order_id.is_(None) if order is None else Ticket.order_id == order.id,
        Ticket.created_at >= since,
    )
    if not token:
        query = select(Ticket).where(Ticket.customer_id == customer.id, identical).order_by(Ticket.id.desc())
    else:
        same_form = Ticket.form_token == token
        query = (
            select(Ticket)
            .where(Ticket.customer_id == customer.id, or_(same_form, identical))
            .order_by(case((same_form, 0), else_=1), Ticket.id.desc())
        )
    return db.session.scalars(query.limit(1)).first()


def ticket_for_form_token(customer: User, token: str | None) -> Ticket | None:
    """The ticket this customer already opened with this one-time new-ticket form, if any."""
    if not token:
        return None
    query = select(Ticket).where(Ticket.customer_id == customer.id, Ticket.form_token == token)
    return db.session.scalars(query.limit(1)).first()


def is_repeat_message(ticket: Ticket, author_kind: str, author_id: int, body: str) -> bool:
    """Whether the ticket's latest message is this same text from the same person, sent moments ago."""
    last = db.session.scalars(
        select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id.desc()).limit(1)
    ).first()
    return (
        last is not None
        and (last.author_kind, last.author_id) == (author_kind, author_id)
        and last.body == mask_cards(body.strip())
        and last.created_at > utcnow() - REPEAT_WINDOW
    )


def can_mark_satisfied(ticket: Ticket) -> bool:
    # A reply reopens a ticket the customer was satisfied with; its next answer can be rated again.
    closed_happy = ticket.status == TicketStatus.RESOLVED.value and ticket.satisfaction == "satisfied"
    return ticket.status in CAN_RATE and not closed_happy


def can_escalate(ticket: Ticket) -> bool:
    return ticket.status in CAN_ESCALATE


def mark_satisfied(ticket: Ticket) -> bool:
    """Record that the customer is satisfied and close the ticket; False when there is nothing to rate."""
    if not can_mark_satisfied(ticket):
        return False
    now = utcnow()
    ticket.satisfaction, ticket.satisfaction_at = "satisfied", now
    satisfaction_received(ticket)
    if ticket.status != TicketStatus.RESOLVED.value:
        ticket.status, ticket.resolved_at = TicketStatus.RESOLVED.value, now
        notify("resolved", ticket, by="customer")
    _log(ticket, "ticket.satisfied", "customer said satisfied")
    return True


def escalate_to_person(ticket: Ticket, comment: str = "") -> bool:
    """Hand the ticket to staff at the customer's request; False when it is not the customer's turn."""
    if not can_escalate(ticket):
        return False
    if ticket.satisfaction is None:
        ticket.satisfaction, ticket.satisfaction_at = "unsatisfied", utcnow()
        satisfaction_received(ticket)
    hours = settings().policy.sla_hours
    _to_the_desk(ticket, comment, CUSTOMER_ESCALATION_REASON, _handover_text(hours), "ticket.escalate")
    return True


def reopen_not_satisfied(ticket: Ticket, comment: str = "") -> bool:
    """The customer is not satisfied: record it and reopen the ticket to the desk, with their comment.

    False when the ticket is not answered or resolved (it is still being worked on, or already with staff).
    """
    if not can_escalate(ticket):
        return False
    ticket.satisfaction, ticket.satisfaction_at = "unsatisfied", utcnow()
    satisfaction_received(ticket)
    hours = settings().policy.sla_hours
    _to_the_desk(ticket, comment, NOT_SATISFIED_REASON, _not_satisfied_text(hours), "ticket.not_satisfied")
    return True


def satisfaction_received(ticket: Ticket) -> None:
    """Announce the customer's verdict (ticket.satisfied / satisfaction_at just set) to webhooks."""
    source = f"s{ticket.satisfaction_at.timestamp():.6f}"
    webhooks.emit("ticket.satisfaction", ticket, source, satisfaction=ticket.satisfaction)


def _to_the_desk(ticket: Ticket, comment: str, reason: str, handover: str, tool: str) -> None:
    now = utcnow()
    comment = mask_cards(comment.strip())
    if comment:
        ticket.messages.append(
            Message(author_kind=AuthorKind.CUSTOMER.value, author_id=ticket.customer_id, body=comment)
        )
    ticket.messages.append(Message(author_kind=AuthorKind.SYSTEM.value, body=handover))
    ticket.status = TicketStatus.ESCALATED.value
    ticket.escalation_reason = reason
    ticket.escalated_at, ticket.resolved_at = now, None
    ticket.sla_due_at = response_due(now, ticket.priority)
    sla.start_resolution_clock(ticket, now)
    routing.route(ticket)  # before the alert: it goes to the member who got the ticket
    notify("escalated", ticket, by="customer")
    request_draft(ticket)
    _log(ticket, tool, comment[:500] or reason)


def _handover_text(hours: float) -> str:
    return f"You asked for a person. A member of our support team will reply within {hours:g} hours."


def _not_satisfied_text(hours: float) -> str:
    return (
        "You told us you are not satisfied, so this ticket is open again. "
        f"A member of our support team will reply within {hours:g} hours."
    )


def _log(ticket: Ticket, tool: str, detail: str) -> None:
    actor = Actor("customer", ticket.customer_id, ticket.customer.name)
    log_action(
        actor,
        tool,
        ActionDecision.NOTE.value,
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        detail=detail,
    )
