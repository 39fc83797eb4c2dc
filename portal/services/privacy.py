"""A customer's personal data: export it (GDPR access/portability) and close the account (erasure).

Export gathers everything we hold about one customer into plain JSON-ready data. Closing anonymises the
personal data but keeps the rows accounting and audit need (orders, refunds, cancellations, replacements,
ledger entries, the action log): money moved, and the record of who did what, must stay explainable.
The caller owns the transaction (use customer_transaction so no agent action runs half-way through).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import (
    ActionDecision,
    ActionLog,
    AddressChange,
    AgentRun,
    AuthorKind,
    Cancellation,
    Draft,
    EmailOutbox,
    Message,
    Order,
    OutboxStatus,
    Refund,
    Replacement,
    Ticket,
    User,
    utcnow,
)
from portal.services.audit import Actor, log_action

EXPORT_FORMAT = "supportops.customer-export.v1"
CLOSED_NAME = "Closed account"
REMOVED = "[removed]"


class PrivacyError(ValueError):
    """A user-facing reason the request cannot be carried out."""


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- export ---------------------------------------------------------------------------------------------


def export_customer_data(user: User) -> dict[str, Any]:
    """Everything we hold about `user`, as JSON-ready data (money as strings, times as ISO 8601 UTC)."""
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _when(utcnow()),
        "profile": _profile(user),
        "orders": [_order(order) for order in _orders(user.id)],
        "refunds": [_refund(row) for row in _rows(Refund, user.id)],
        "cancellations": [_cancellation(row) for row in _rows(Cancellation, user.id)],
        "replacements": [_replacement(row) for row in _rows(Replacement, user.id)],
        "tickets": [_ticket(ticket) for ticket in _tickets(user.id)],
        "action_log": [_log_entry(row) for row in _rows(ActionLog, user.id)],
    }


def _profile(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "created_at": _when(user.created_at),
        "last_login_at": _when(user.last_login_at),
        "email_verified_at": _when(user.email_verified_at),
        "closed_at": _when(user.closed_at),
        "preferences": {"email_updates": bool(user.email_updates)},
    }


def _rows(model, customer_id: int) -> list:
    return db.session.scalars(select(model).where(model.customer_id == customer_id).order_by(model.id)).all()


def _orders(customer_id: int) -> list[Order]:
    return db.session.scalars(
        select(Order)
        .where(Order.customer_id == customer_id)
        .options(selectinload(Order.items))
        .order_by(Order.placed_at)
    ).all()


def _order(order: Order) -> dict[str, Any]:
    changes = db.session.scalars(
        select(AddressChange).where(AddressChange.order_id == order.id).order_by(AddressChange.id)
    ).all()
    return {
        "number": order.number,
        "status": order.status,
        "placed_at": _when(order.placed_at),
        "shipped_at": _when(order.shipped_at),
        "delivered_at": _when(order.delivered_at),
        "cancelled_at": _when(order.cancelled_at),
        "total": _money(order.total),
        "currency": order.currency,
        "payment_method": order.payment_method,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "delivery_address": order.delivery_address,
        "items": [
            {"sku": i.sku, "name": i.name, "quantity": i.quantity, "unit_price": _money(i.unit_price)}
            for i in order.items
        ],
        "address_changes": [
            {"old_address": c.old_address, "new_address": c.new_address, "created_at": _when(c.created_at)}
            for c in changes
        ],
    }


def _refund(row: Refund) -> dict[str, Any]:
    return {
        "order_number": row.order.number,
        "amount": _money(row.amount),
        "currency": row.currency,
        "method": row.method,
        "status": row.status,
        "reason": row.reason,
        "items": row.items,
        "payment_reference": row.payment_reference,
        "created_at": _when(row.created_at),
        "issued_at": _when(row.issued_at),
        "decided_at": _when(row.decided_at),
    }


def _cancellation(row: Cancellation) -> dict[str, Any]:
    return {
        "order_number": row.order.number,
        "amount": _money(row.amount),
        "currency": row.currency,
        "method": row.method,
        "payment_reference": row.payment_reference,
        "created_at": _when(row.created_at),
    }


def _replacement(row: Replacement) -> dict[str, Any]:
    return {
        "order_number": row.order.number,
        "reason": row.reason,
        "items": row.items,
        "shipment_reference": row.shipment_reference,
        "created_at": _when(row.created_at),
    }


def _tickets(customer_id: int) -> list[Ticket]:
    return db.session.scalars(
        select(Ticket)
        .where(Ticket.customer_id == customer_id)
        .options(selectinload(Ticket.messages), selectinload(Ticket.order))
        .order_by(Ticket.created_at, Ticket.id)
    ).all()


def _ticket(ticket: Ticket) -> dict[str, Any]:
    return {
        "reference": ticket.reference,
        "order_number": ticket.order.number if ticket.order else None,
        "subject": ticket.subject,
        "status": ticket.status,
        "language": ticket.language,
        "created_at": _when(ticket.created_at),
        "resolved_at": _when(ticket.resolved_at),
        "satisfaction": ticket.satisfaction,
        # Internal notes are staff working material about the case, never shown to the customer.
        "messages": [_message(m) for m in ticket.messages if not m.internal],
    }


def _message(message: Message) -> dict[str, Any]:
    return {
        "author": message.author_kind,
        "body": message.body,
        "created_at": _when(message.created_at),
        "policies_cited": [c.get("heading") for c in message.citations or [] if isinstance(c, dict)],
    }


def _log_entry(row: ActionLog) -> dict[str, Any]:
    return {
        "created_at": _when(row.created_at),
        "actor_kind": row.actor_kind,
        "actor_name": row.actor_name,
        "action": row.tool,
        "decision": row.decision,
        "reason_code": row.reason_code,
        "order_number": row.order_number,
        "amount": _money(row.amount),
        "currency": row.currency,
        "arguments": row.arguments,
        "detail": row.detail,
    }


def log_export(user: User, actor: Actor) -> None:
    """Record who downloaded the customer's data (the caller commits)."""
    log_action(actor, "privacy.export", ActionDecision.DONE.value, customer_id=user.id, detail=_by(actor))


# --- closing --------------------------------------------------------------------------------------------


def closed_email(user_id: int) -> str:
    """A unique address that can never receive mail (.invalid is reserved, RFC 2606)."""
    return f"closed-{user_id}@invalid"


def close_account(user: User, actor: Actor) -> None:
    """Anonymise `user`'s personal data, end their sessions and log who closed it (the caller commits)."""
    if user.is_staff:
        raise PrivacyError("Only customer accounts are closed here; deactivate staff accounts instead.")
    if user.closed_at is not None:
        raise PrivacyError("This account is already closed.")
    # Logged first and without the name or address: the log outlives the personal data by design.
    log_action(actor, "account.close", ActionDecision.DONE.value, customer_id=user.id, detail=_by(actor))
    _anonymise_profile(user)
    _remove_addresses(user.id)
    _remove_customer_text(user.id)
    _retire_outbox(user.id)
    db.session.flush()


def _by(actor: Actor) -> str:
    return "by the customer" if actor.kind == "customer" else f"by {actor.kind} {actor.name} on request"


def _anonymise_profile(user: User) -> None:
    user.name = CLOSED_NAME
    user.email = closed_email(user.id)
    # Not a werkzeug hash format: check_password_hash is always False for it.
    user.password_hash = "!closed:" + secrets.token_hex(16)
    user.active = False
    user.email_updates = False
    user.email_verified_at = None
    user.closed_at = utcnow()
    user.end_sessions()


def _remove_addresses(customer_id: int) -> None:
    orders = select(Order.id).where(Order.customer_id == customer_id).scalar_subquery()
    db.session.execute(
        update(Order)
        .where(Order.customer_id == customer_id, Order.delivery_address.is_not(None))
        .values(delivery_address=REMOVED)
    )
    db.session.execute(
        update(AddressChange)
        .where(AddressChange.order_id.in_(orders))
        .values(old_address=REMOVED, new_address=REMOVED)
    )


def _remove_customer_text(customer_id: int) -> None:
    tickets = select(Ticket.id).where(Ticket.customer_id == customer_id).scalar_subquery()
    db.session.execute(
        update(Ticket).where(Ticket.customer_id == customer_id).values(subject=REMOVED, body=REMOVED)
    )
    db.session.execute(
        update(Message)
        .where(Message.ticket_id.in_(tickets), Message.author_kind == AuthorKind.CUSTOMER.value)
        .values(body=REMOVED)
    )
    # Agent traces hold (redacted) copies of what the customer wrote.
    db.session.execute(update(AgentRun).where(AgentRun.ticket_id.in_(tickets)).values(trace=[]))
    # The assistant's drafts greet the customer by name and may repeat what they wrote.
    db.session.execute(update(Draft).where(Draft.ticket_id.in_(tickets)).values(body=REMOVED))


def _retire_outbox(user_id: int) -> None:
    """Mail to the old address holds personal data; what is not sent yet must never be.

    Unsent rows (pending, or failed and so retryable by an admin) are deleted: a send job enqueued for one
    finds nothing to claim. Sent rows stay as a record that mail went out, without its content.
    """
    unsent = (OutboxStatus.PENDING.value, OutboxStatus.FAILED.value)
    db.session.execute(
        delete(EmailOutbox).where(EmailOutbox.user_id == user_id, EmailOutbox.status.in_(unsent))
    )
    db.session.execute(
        update(EmailOutbox)
        .where(EmailOutbox.user_id == user_id)
        .values(to_address=closed_email(user_id), subject=REMOVED, text_body=REMOVED, html_body=None)
    )
