"""The customer's ticket list: last update, unread staff replies and a search over their own tickets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select

from portal.extensions import db
from portal.models import AuthorKind, Message, Ticket

SEARCH_MAX = 100


@dataclass(frozen=True)
class TicketRow:
    ticket: Ticket
    last_update: datetime
    unread: bool  # a staff reply arrived after the customer last opened the ticket


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(text: str):
    """Subject, reference, first message or any reply the customer can see contains `text`."""
    pattern = _like(text)
    in_messages = exists().where(
        Message.ticket_id == Ticket.id,
        Message.internal.is_(False),
        Message.body.ilike(pattern, escape="\\"),
    )
    return or_(
        Ticket.subject.ilike(pattern, escape="\\"),
        Ticket.reference.ilike(pattern, escape="\\"),
        Ticket.body.ilike(pattern, escape="\\"),
        in_messages,
    )


def customer_tickets(customer_id: int, search: str = "") -> list[TicketRow]:
    """The customer's tickets, most recently updated first, matching `search` when given."""
    last_message = (
        select(func.max(Message.created_at))
        .where(Message.ticket_id == Ticket.id, Message.internal.is_(False))
        .scalar_subquery()
    )
    unread = exists().where(
        Message.ticket_id == Ticket.id,
        Message.internal.is_(False),
        Message.author_kind == AuthorKind.STAFF.value,
        or_(Ticket.customer_seen_at.is_(None), Message.created_at > Ticket.customer_seen_at),
    )
    query = select(Ticket, last_message, unread).where(Ticket.customer_id == customer_id)
    search = search.strip()[:SEARCH_MAX]
    if search:
        query = query.where(and_(_matches(search)))
    rows = [
        TicketRow(ticket, max(filter(None, (last, ticket.updated_at, ticket.created_at))), bool(new))
        for ticket, last, new in db.session.execute(query)
    ]
    return sorted(rows, key=lambda row: row.last_update, reverse=True)
