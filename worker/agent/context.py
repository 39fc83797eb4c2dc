"""What the agent knows about a ticket: loaded from the database in one short read, then plain data.

`load_ticket` runs inside a transaction the caller ends before any model call; everything after it
(`redactor`, `build_context`) works on the detached `TicketSnapshot`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuthorKind, Message, Ticket
from portal.services.snapshots import customer_order_snapshots, normalize_order_number
from tools import OrderSnapshot, PolicyLimits
from worker.agent.backends.base import AgentContext, Citation, Turn
from worker.agent.nlu import Triage, extract_order_numbers
from worker.agent.redact import redact
from worker.agent.redaction.vault import AddressVault

_PUBLIC_AUTHORS = (AuthorKind.CUSTOMER.value, AuthorKind.AGENT.value, AuthorKind.STAFF.value)


@dataclass(frozen=True)
class StoredMessage:
    """One public message of the ticket, as written (not redacted yet)."""

    author: str
    body: str
    outcome: dict[str, Any] | None = None


@dataclass(frozen=True)
class TicketSnapshot:
    """The ticket, its conversation and the customer's orders, detached from the session."""

    ticket_id: int
    reference: str
    customer_id: int
    customer_name: str
    customer_email: str
    subject: str
    status: str
    customer_turns: int
    created_at: datetime
    sla_due_at: datetime | None
    first_response_at: datetime | None
    ticket_order: str | None
    messages: tuple[StoredMessage, ...]
    orders: tuple[OrderSnapshot, ...]

    def customer_messages(self) -> list[str]:
        """The bodies of the customer's own messages, oldest first."""
        return [m.body for m in self.messages if m.author == AuthorKind.CUSTOMER.value]


def load_ticket(ticket_id: int) -> TicketSnapshot:
    """Read the ticket, its public messages and the customer's own orders (plain data)."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        raise LookupError(f"ticket {ticket_id} not found")
    messages = db.session.scalars(
        select(Message)
        .where(Message.ticket_id == ticket_id, Message.internal.is_(False))
        .where(Message.author_kind.in_(_PUBLIC_AUTHORS))
        .order_by(Message.id)
    )
    return TicketSnapshot(
        ticket_id=ticket.id,
        reference=ticket.reference,
        customer_id=ticket.customer_id,
        customer_name=ticket.customer.name,
        customer_email=ticket.customer.email,
        subject=ticket.subject,
        status=ticket.status,
        customer_turns=ticket.customer_turns,
        created_at=ticket.created_at,
        sla_due_at=ticket.sla_due_at,
        first_response_at=ticket.first_response_at,
        ticket_order=ticket.order.number if ticket.order is not None else None,
        messages=tuple(StoredMessage(m.author_kind, m.body, m.outcome) for m in messages),
        orders=customer_order_snapshots(ticket.customer_id),
    )


class Redactor:
    """Redacts one ticket's texts: the customer's own name and e-mail too, and never their item names.

    `vault` holds the addresses it replaced, for the toolbox and the reply (redaction/vault.py).
    """

    def __init__(self, snapshot: TicketSnapshot):
        self.names = _name_variants(snapshot.customer_name)
        self.email = snapshot.customer_email
        self.items = sorted({item.name for order in snapshot.orders for item in order.items if item.name})
        self.vault = AddressVault()

    def __call__(self, text: str) -> str:
        if self.email:
            text = text.replace(self.email, "[EMAIL]")
        return redact(text, names=self.names, items=self.items, vault=self.vault)


def redactor(snapshot: TicketSnapshot) -> Redactor:
    """A redaction function for this ticket (see Redactor)."""
    return Redactor(snapshot)


def _name_variants(name: str) -> list[str]:
    parts = [p for p in name.replace(",", " ").split() if len(p) > 1]
    return [name.strip(), *parts] if name.strip() else []


def triage_text(snapshot: TicketSnapshot) -> str:
    """The customer's words the decision rests on (raw; redact before use).

    After the agent asked a question (clarify), the answer alone ("A1002") means little: the
    request it answers is read together with it.
    """
    customer = snapshot.customer_messages()
    if not customer:
        return snapshot.subject
    last_agent = next((m for m in reversed(snapshot.messages) if m.author != AuthorKind.CUSTOMER.value), None)
    if last_agent is not None and (last_agent.outcome or {}).get("action") == "clarify" and len(customer) > 1:
        return customer[-2] + "\n" + customer[-1]
    return customer[-1]


def mentioned_orders(text: str) -> tuple[str, ...]:
    """Order numbers written in the text, newest mention first when the text joins two messages."""
    lines = text.split("\n")
    found: list[str] = []
    for line in reversed(lines):
        found += [n for n in map(normalize_order_number, extract_order_numbers(line)) if n not in found]
    return tuple(found)


def conversation(snapshot: TicketSnapshot, clean: Callable[[str], str]) -> tuple[Turn, ...]:
    """The public conversation, redacted, oldest first."""
    return tuple(Turn(m.author, clean(m.body)) for m in snapshot.messages)


def build_context(
    snapshot: TicketSnapshot,
    *,
    text: str,
    clean: Callable[[str], str],
    triage: Triage,
    passages: Sequence[Citation],
    limits: PolicyLimits,
    now: datetime,
) -> AgentContext:
    """The backend's view of the ticket: redacted text, own orders, passages and triage."""
    return AgentContext(
        ticket_id=snapshot.ticket_id,
        reference=snapshot.reference,
        subject=clean(snapshot.subject),
        text=text,
        conversation=conversation(snapshot, clean),
        customer_turns=snapshot.customer_turns,
        ticket_order=snapshot.ticket_order,
        mentioned_orders=mentioned_orders(text),
        orders=snapshot.orders,
        passages=tuple(passages),
        triage=triage,
        limits=limits,
        now=now,
    )
