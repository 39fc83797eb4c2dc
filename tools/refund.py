"""The refund tool: money back for a delivered order, within the window and the per-customer limit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from tools import messages
from tools._rules import (
    closed_order_refusal,
    days_since,
    item_list,
    order_not_found,
    owned,
    pick_items,
)
from tools.types import (
    CustomerHistory,
    Decision,
    ItemSnapshot,
    OrderSnapshot,
    PolicyLimits,
    Refusal,
    ToolResult,
    format_money,
    money,
)

POLICY = "refunds"

MODEL_ARGS = {
    "type": "object",
    "properties": {
        "order_number": {
            "type": "string",
            "description": "The order number the customer wants refunded, e.g. A1001.",
        },
        "item_names": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Only for a partial refund: the names of the items to refund. "
            "Omit to refund the whole order.",
        },
        "reason": {
            "type": "string",
            "description": "The customer's reason in a few words, e.g. 'arrived broken'.",
        },
    },
    "required": ["order_number"],
}


def refund(
    order: OrderSnapshot | None,
    *,
    customer_id: int,
    order_number: str,
    history: CustomerHistory,
    limits: PolicyLimits,
    now: datetime,
    item_names: Sequence[str] = (),
    reason: str = "",
    staff_approved: bool = False,
    limit_at: datetime | None = None,
) -> ToolResult:
    """Refund a delivered order (or some of its items) to the customer's original payment method.

    Use this when the customer asks for their money back for an order that has arrived. Give the
    order number; to refund only some items, list their names in item_names, otherwise the whole
    order is refunded (after earlier item refunds: what is left). An item already refunded, or held for
    review, is never refunded twice. Put the customer's reason in reason. Rules: only delivered orders, within
    {refund_window_days} days of delivery; at most {refunds_per_period} refunds per customer in any
    {refund_period_days} days; refunds above {approval_threshold} wait for a staff review. The
    result says whether the refund was issued, held for review or refused, with a message you can
    pass on to the customer. Do not use it for orders that have not shipped yet: cancel those.

    Implementation: the service layer supplies the order snapshot (None when the customer owns no
    such order), the customer from the ticket, the refund history, limits and now. staff_approved
    skips only the approval threshold (a staff member approved a held refund). limit_at is the moment
    the refund took its place in the limit (a held refund being approved: when it was held); the limit
    counts the refunds in the period before that moment, so refunds made after it never block it.
    """
    if not owned(order, customer_id):
        return order_not_found("refund", order_number, POLICY)
    refusal = _eligibility(order, limits, now)
    if refusal is None:
        amount, refusal = _amount(order, item_names)
    if refusal is None:
        refusal = _refund_limit(order, history, limits, now, limit_at)
    if refusal is not None:
        return refusal
    names = [item.name for item in pick_items(order, item_names)[0]]
    lines = refund_lines(order, item_names)
    if amount > limits.approval_threshold and not staff_approved:
        return _held(order, amount, limits, names, lines)
    return _issued(order, amount, names, lines)


def _eligibility(order: OrderSnapshot, limits: PolicyLimits, now: datetime) -> Refusal | None:
    closed = closed_order_refusal("refund", order, POLICY, "refund")
    if closed is not None:
        return closed
    if order.status == "pending":
        text = (
            f"Order {order.number} hasn't shipped yet, so there is nothing to refund. "
            f"I can cancel it instead, and the full {format_money(order.total, order.currency)} "
            f"would go back to {order.payment_words}."
        )
        return Refusal("refund", "not_shipped", text, POLICY, order.number)
    if order.status != "delivered" or order.delivered_at is None:
        text = (
            f"Order {order.number} is still on its way, so it can't be refunded yet. Once it arrives, "
            f"you can ask for a refund within {limits.refund_window_days} days of delivery."
        )
        return Refusal("refund", "not_delivered", text, POLICY, order.number)
    return _window(order, limits, now)


def _window(order: OrderSnapshot, limits: PolicyLimits, now: datetime) -> Refusal | None:
    age = days_since(order.delivered_at, now)
    if age <= limits.refund_window_days:
        return None
    text = (
        f"Order {order.number} was delivered {age} days ago, which is outside our "
        f"{limits.refund_window_days}-day refund window, so I can't refund it."
    )
    return Refusal("refund", "refund_window_expired", text, POLICY, order.number)


def _amount(order: OrderSnapshot, item_names: Sequence[str]) -> tuple[Decimal, Refusal | None]:
    remaining = order.refundable
    if remaining <= 0:
        return remaining, _nothing_left(order)
    if not item_names:
        return remaining, None
    items, unknown = pick_items(order, item_names)
    if unknown:
        text = (
            f"I couldn't find {', '.join(unknown)} in order {order.number}. "
            f"The order contains: {item_list(order)}."
        )
        return Decimal("0.00"), Refusal("refund", "item_not_found", text, POLICY, order.number)
    taken = [item for item in items if item.refundable_quantity == 0]
    if taken:
        return Decimal("0.00"), _items_taken(order, taken)
    amount = money(sum((item.unit_price * item.refundable_quantity for item in items), Decimal(0)))
    if amount > remaining:
        text = (
            f"Those items come to {format_money(amount, order.currency)}, but only "
            f"{format_money(remaining, order.currency)} of order {order.number} is left to refund, "
            "because part of it was refunded already."
        )
        return amount, Refusal("refund", "exceeds_remaining", text, POLICY, order.number)
    return amount, None


def _nothing_left(order: OrderSnapshot) -> Refusal:
    if order.held_total > 0:
        text = (
            f"A refund for order {order.number} is already waiting for review by our team, and it covers "
            "everything left to refund on this order, so I can't start another one."
        )
        return Refusal("refund", "refund_pending_review", text, POLICY, order.number)
    text = f"Order {order.number} has already been fully refunded."
    return Refusal("refund", "already_refunded", text, POLICY, order.number)


def _items_taken(order: OrderSnapshot, items: Sequence[ItemSnapshot]) -> Refusal:
    names = messages.and_list([item.name for item in items])
    verb = "has" if len(items) == 1 else "have"
    text = (
        f"The {names} from order {order.number} {verb} already been refunded, or a refund for "
        f"{'it' if len(items) == 1 else 'them'} is waiting for review by our team, so I can't refund "
        f"{'it' if len(items) == 1 else 'them'} again."
    )
    return Refusal("refund", "item_already_refunded", text, POLICY, order.number)


def refund_lines(order: OrderSnapshot, item_names: Sequence[str]) -> list[dict[str, int]]:
    """The order lines and units a refund takes: the named items, or every line with units left."""
    items = pick_items(order, item_names)[0] if item_names else order.items
    return [
        {"item_id": item.id, "quantity": item.refundable_quantity}
        for item in items
        if item.id is not None and item.refundable_quantity > 0
    ]


def _refund_limit(
    order: OrderSnapshot,
    history: CustomerHistory,
    limits: PolicyLimits,
    now: datetime,
    limit_at: datetime | None,
) -> Refusal | None:
    # A new request counts every place taken so far (even one stamped a moment after `now` by a request
    # that got the customer's lock first); a held refund being approved only those taken before it.
    since = (limit_at or now) - timedelta(days=limits.refund_period_days)
    if history.refunds_since(since, until=limit_at) < limits.refunds_per_period:
        return None
    text = (
        f"You've already received {limits.refunds_per_period} refunds in the last "
        f"{limits.refund_period_days} days, "
        f"which is the most I can issue automatically, so I can't refund order {order.number} myself. "
        f"I've passed your request to our support team; a person will get back to you within "
        f"{_hours(limits)} hours."
    )
    return Refusal("refund", "refund_limit_reached", text, POLICY, order.number, escalate=True)


def _held(
    order: OrderSnapshot,
    amount: Decimal,
    limits: PolicyLimits,
    item_names: Sequence[str],
    lines: list[dict[str, int]],
) -> Decision:
    threshold = format_money(limits.approval_threshold, order.currency)
    reason = f"amount {format_money(amount, order.currency)} is above the {threshold} approval threshold"
    partial = item_names if amount != order.refundable else ()
    text = messages.refund_held(
        order.number, amount, order.currency, limits.approval_threshold, limits.sla_hours, partial
    )
    return Decision(
        "refund",
        "held",
        text,
        POLICY,
        order.number,
        amount,
        order.currency,
        effects=("refund",),
        reasons=(reason,),
        escalate=True,
        details={"items": list(item_names), "lines": lines},
    )


def _issued(
    order: OrderSnapshot, amount: Decimal, item_names: Sequence[str], lines: list[dict[str, int]]
) -> Decision:
    full = amount == order.refundable and order.held_total == 0  # a held refund may still be rejected
    partial = item_names if not full else ()
    text = messages.refund_issued(order.number, amount, order.currency, order.payment_method, partial)
    return Decision(
        "refund",
        "done",
        text,
        POLICY,
        order.number,
        amount,
        order.currency,
        new_order_status="refunded" if full else None,
        effects=("refund",),
        details={"items": list(item_names), "method": order.payment_method, "lines": lines},
    )


def _hours(limits: PolicyLimits) -> str:
    return f"{limits.sla_hours:g}"
