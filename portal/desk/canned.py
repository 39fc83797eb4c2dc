"""Canned replies: saved text with {placeholders}, personal (one staff member's) or shared (admins edit).

Placeholders are filled by name from a fixed set, never with str.format (no attribute or index access
from a template someone typed). A name outside the set is refused when the reply is saved; a value the
ticket does not have (no order) is left visible as {order_number}, so the person sending sees the gap.
"""

from __future__ import annotations

import re

from sqlalchemy import or_, select

from portal.extensions import db
from portal.models import CannedReply, Ticket, User

PLACEHOLDERS = {
    "customer_name": "the customer's full name",
    "customer_first_name": "the customer's first name",
    "customer_email": "the customer's email address",
    "order_number": "the ticket's order number",
    "ticket_reference": "the ticket reference (T-…)",
    "ticket_subject": "the ticket's subject",
    "staff_name": "your name",
}
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]*)\}")
TITLE_MAX = 120
BODY_MAX = 5000
PICKER_LIMIT = 20


class CannedError(ValueError):
    """A user-facing reason a canned reply was not saved."""


def unknown_placeholders(body: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(body) if name not in PLACEHOLDERS})


def check_body(body: str) -> None:
    """Refuse a body that uses a placeholder we cannot fill (a typo would reach a customer)."""
    unknown = unknown_placeholders(body)
    if unknown:
        names = ", ".join("{" + name + "}" for name in unknown)
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise CannedError(f"Unknown placeholder {names}. Use one of: {known}.")


def values_for(ticket: Ticket, staff: User) -> dict[str, str]:
    """What each placeholder means on this ticket; a missing value is simply absent."""
    customer = ticket.customer
    values = {
        "customer_name": customer.name,
        "customer_first_name": customer.name.split()[0] if customer.name.split() else "",
        "customer_email": customer.email,
        "order_number": ticket.order.number if ticket.order else "",
        "ticket_reference": ticket.reference,
        "ticket_subject": ticket.subject,
        "staff_name": staff.name,
    }
    return {key: value for key, value in values.items() if value}


def render(body: str, values: dict[str, str]) -> str:
    """Fill the placeholders; unknown or empty ones stay as written."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), body)


def visible_to(staff: User, query: str = "", limit: int | None = None) -> list[CannedReply]:
    """The staff member's own replies and the shared ones, own first, by title; filtered by `query`."""
    statement = select(CannedReply).where(
        or_(CannedReply.owner_id == staff.id, CannedReply.owner_id.is_(None))
    )
    query = " ".join(query.split())[:100]
    if query:
        like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(CannedReply.title.ilike(like, escape="\\"), CannedReply.body.ilike(like, escape="\\"))
        )
    statement = statement.order_by(CannedReply.owner_id.is_(None), CannedReply.title, CannedReply.id)
    return list(db.session.scalars(statement.limit(limit)))


def owned_by(owner_id: int | None) -> list[CannedReply]:
    """One owner's replies (None: the shared ones), by title."""
    condition = CannedReply.owner_id.is_(None) if owner_id is None else CannedReply.owner_id == owner_id
    return list(db.session.scalars(select(CannedReply).where(condition).order_by(CannedReply.title)))


def get_owned(reply_id: int, owner_id: int | None) -> CannedReply | None:
    """The reply if it belongs to that owner (None: shared); someone else's is not found."""
    reply = db.session.get(CannedReply, reply_id)
    if reply is None or reply.owner_id != owner_id:
        return None
    return reply


def save(reply: CannedReply | None, title: str, body: str, owner_id: int | None) -> CannedReply:
    """Create or update a reply (the caller commits); raises CannedError for a bad placeholder."""
    check_body(body)
    if reply is None:
        reply = CannedReply(owner_id=owner_id)
        db.session.add(reply)
    reply.title, reply.body = title.strip(), body.strip()
    return reply
