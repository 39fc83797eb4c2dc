"""Writing a tool's Decision into the database: effect rows, order status, payouts, ticket escalation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select, update

from portal.desk import routing, sla
from portal.extensions import db
from portal.mailer.order_mail import send_address_changed
from portal.models import (
    AddressChange,
    Cancellation,
    Order,
    OrderItem,
    OrderStatus,
    Refund,
    RefundItem,
    RefundStatus,
    Replacement,
    Ticket,
    TicketStatus,
)
from portal.services.payments import Payout, get_provider
from portal.support.tickets import response_due
from tools import Decision

EFFECT_MODELS = {
    "refund": Refund,
    "cancel": Cancellation,
    "replacement": Replacement,
    "change_address": AddressChange,
}
_REPLACEMENT_REASONS = {"wrong_item": "wrong"}  # the column's vocabulary: damaged | defective | wrong


def idempotency_key(ticket_id: int, tool: str, order_number: str, item_names: list[str] | None = None) -> str:
    """(ticket, action, order[, items]): the same request on the same ticket makes one effect only.

    Named items are part of the key so that two different partial refunds asked for in one ticket
    stay two requests; the same items named again are the same request.
    """
    key = f"ticket:{ticket_id}:{tool}:{order_number}"
    if item_names:
        names = ",".join(sorted({name.casefold() for name in item_names}))
        key += ":items:" + hashlib.sha256(names.encode()).hexdigest()[:16]
    return key


def find_effect(tool: str, key: str):
    """The effect row recorded under this key, if any."""
    model = EFFECT_MODELS.get(tool)
    if model is None:
        return None
    return db.session.scalars(select(model).where(model.idempotency_key == key)).first()


def record_refund(
    decision: Decision,
    order: Order,
    *,
    ticket_id,
    key: str,
    reason: str,
    now: datetime,
    requested_by_id: int | None = None,
) -> Refund:
    """A Refund row: issued at once (with its payout), or held for staff approval.

    `requested_by_id`: the staff member who asked for it (the agent's and customers' refunds: None)."""
    refund = Refund(
        idempotency_key=key,
        order_id=order.id,
        customer_id=order.customer_id,
        ticket_id=ticket_id,
        amount=decision.amount,
        currency=decision.currency,
        method=order.payment_method,
        status=RefundStatus.HELD.value,
        reason="; ".join(filter(None, [reason, *decision.reasons])) or None,
        items=list(decision.details.get("items", [])),
        created_at=now,
        requested_by_id=requested_by_id,
    )
    db.session.add(refund)
    db.session.flush()
    reserve_items(refund, decision.details.get("lines", []))  # held or issued: the units are taken now
    if decision.outcome == "done":
        issue_refund(refund, order, decision.new_order_status, now)
    return refund


class ItemsAlreadyRefunded(RuntimeError):
    """A refund line asked for more units than are left (the tool decided on stale rows)."""


def reserve_items(refund: Refund, lines: list[dict[str, int]]) -> None:
    """Count the refund's units against their order lines; the conditional UPDATE (and the check
    constraint behind it) makes it impossible to take a unit twice."""
    for line in lines:
        taken = db.session.execute(
            update(OrderItem)
            .where(OrderItem.id == line["item_id"], OrderItem.order_id == refund.order_id)
            .where(OrderItem.refunded_quantity + line["quantity"] <= OrderItem.quantity)
            .values(refunded_quantity=OrderItem.refunded_quantity + line["quantity"])
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            raise ItemsAlreadyRefunded(f"order item {line['item_id']}: not {line['quantity']} unit(s) left")
        db.session.add(
            RefundItem(refund_id=refund.id, order_item_id=line["item_id"], quantity=line["quantity"])
        )


def release_items(refund: Refund) -> None:
    """Give a rejected refund's units back to their order lines (its RefundItem rows stay as history)."""
    for line in refund.lines:
        db.session.execute(
            update(OrderItem)
            .where(OrderItem.id == line.order_item_id)
            .values(refunded_quantity=OrderItem.refunded_quantity - line.quantity)
            .execution_options(synchronize_session=False)
        )


def issue_refund(refund: Refund, order: Order, new_order_status: str | None, now: datetime) -> None:
    """Pay the refund out through the payment provider and update the order."""
    refund.status = RefundStatus.ISSUED.value
    refund.issued_at = now
    refund.payment_reference = _payout(
        order, "refund", refund.amount, refund.currency, refund.idempotency_key
    )
    if new_order_status:
        order.status = new_order_status


def record_cancellation(
    decision: Decision, order: Order, *, ticket_id, key: str, now: datetime
) -> Cancellation:
    """A Cancellation row, the full amount paid back, and the order marked cancelled."""
    cancellation = Cancellation(
        idempotency_key=key,
        order_id=order.id,
        customer_id=order.customer_id,
        ticket_id=ticket_id,
        amount=decision.amount,
        currency=decision.currency,
        method=order.payment_method,
        created_at=now,
    )
    cancellation.payment_reference = _payout(order, "cancellation", decision.amount, decision.currency, key)
    order.status = OrderStatus.CANCELLED.value
    order.cancelled_at = now
    db.session.add(cancellation)
    return cancellation


def record_address_change(
    decision: Decision, order: Order, *, ticket_id, key: str, now: datetime
) -> AddressChange:
    """An AddressChange row (old and new address) and the order's new delivery address."""
    change = AddressChange(
        idempotency_key=key,
        order_id=order.id,
        customer_id=order.customer_id,
        ticket_id=ticket_id,
        old_address=order.delivery_address,
        new_address=decision.details["address"],
        created_at=now,
    )
    order.delivery_address = change.new_address
    db.session.add(change)
    db.session.flush()  # the email's dedupe key is the change's id
    send_address_changed(change, order)  # the one place every address change passes: agent or portal
    return change


def record_replacement(
    decision: Decision, order: Order, *, ticket_id, key: str, now: datetime
) -> Replacement:
    """A Replacement row with a shipment reference for the warehouse."""
    problem = decision.details.get("problem", "")
    replacement = Replacement(
        idempotency_key=key,
        order_id=order.id,
        customer_id=order.customer_id,
        ticket_id=ticket_id,
        reason=_REPLACEMENT_REASONS.get(problem, problem),
        items=list(decision.details.get("items", [])),
        shipment_reference=f"RP-{secrets.token_hex(5).upper()}",
        created_at=now,
    )
    db.session.add(replacement)
    return replacement


def mark_escalated(ticket_id: int | None, reason: str, now: datetime) -> None:
    """Hand the ticket to a person (once): status, reason, time and the first-response deadline."""
    ticket = db.session.get(Ticket, ticket_id) if ticket_id else None
    if ticket is None or ticket.status == TicketStatus.ESCALATED.value:
        return
    ticket.status = TicketStatus.ESCALATED.value
    ticket.escalation_reason = reason[:200]
    ticket.escalated_at = now
    if ticket.sla_due_at is None:
        ticket.sla_due_at = response_due(now, ticket.priority)
    sla.start_resolution_clock(ticket, now)
    routing.route(ticket)  # the team's queue, and a member if one is free


def _payout(order: Order, kind: str, amount, currency: str, key: str) -> str:
    payout = Payout(
        order.customer_id, order.id, kind, order.payment_method, amount, currency, f"payout:{key}"
    )
    return get_provider().refund(payout)
