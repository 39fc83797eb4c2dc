"""The refund status tool: what became of the refunds of one of the customer's orders. Read-only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tools._rules import order_not_found, owned
from tools.types import (
    Decision,
    OrderSnapshot,
    PolicyLimits,
    RefundSnapshot,
    ToolResult,
    business_days,
    format_money,
    method_words,
)

POLICY = "payments"

MODEL_ARGS = {
    "type": "object",
    "properties": {
        "order_number": {"type": "string", "description": "The order whose refund the customer asks about."},
    },
    "required": ["order_number"],
}


def refund_status(
    order: OrderSnapshot | None,
    *,
    customer_id: int,
    order_number: str,
    refunds: Sequence[RefundSnapshot] = (),
    limits: PolicyLimits,
    now: datetime,
) -> ToolResult:
    """Report the refunds of one of the customer's orders: issued (when, how much, to what, and how
    long the money takes to appear), waiting for approval, or not approved.

    Use this when the customer asks where a refund is, whether it was made or when the money
    arrives. Give the order number. It changes nothing and never starts a new refund: to ask for
    one, use the refund tool.

    Implementation: the service layer supplies the order snapshot (None when the customer owns no
    such order), the order's refunds, the customer from the ticket, limits and now.
    """
    if not owned(order, customer_id):
        return order_not_found("refund_status", order_number, POLICY)
    if not refunds and order.status == "cancelled":
        # cancelled before this ledger kept payouts: the order itself says the money went back
        low, high = limits.refund_days.get(order.payment_method, limits.refund_days["card"])
        text = (
            f"Order {order.number} was cancelled and {format_money(order.total, order.currency)} went back "
            f"to {method_words(order.payment_method)}."
        )
        if high:
            text += f" It usually takes {business_days(low, high)} to appear."
        return Decision("refund_status", "done", text, POLICY, order.number, details={"refunds": 0})
    if not refunds:
        text = f"There is no refund on order {order.number}."
        return Decision("refund_status", "done", text, POLICY, order.number, details={"refunds": 0})
    lines = [_describe(order, refund, limits) for refund in sorted(refunds, key=lambda r: r.created_at)]
    latest = max(refunds, key=lambda r: r.created_at)
    low, high = limits.refund_days.get(latest.method, limits.refund_days["card"])
    details = {
        "refunds": len(refunds),
        "latest_status": latest.status,
        "latest_amount": str(latest.amount),
        "days": [low, high],
    }
    return Decision(
        "refund_status",
        "done",
        " ".join(lines),
        POLICY,
        order.number,
        amount=latest.amount,
        currency=latest.currency,
        details=details,
    )


def _describe(order: OrderSnapshot, refund: RefundSnapshot, limits: PolicyLimits) -> str:
    amount = format_money(refund.amount, refund.currency)
    what = f"The refund of {amount} for order {order.number}"
    if refund.kind == "cancellation":
        what = f"The {amount} from cancelling order {order.number}"
    if refund.items:
        what += f" ({', '.join(refund.items)})"
    if refund.status == "held":
        return f"{what} is waiting for a member of our team to approve it; you'll hear from us once decided."
    if refund.status == "rejected":
        return f"{what} was not approved, so no money was sent."
    when = refund.issued_at or refund.created_at
    issued = f"{what} was issued on {when.day} {when:%B %Y} to {method_words(refund.method)}."
    return f"{issued} {timing(refund, limits)}"


def timing(refund: RefundSnapshot, limits: PolicyLimits) -> str:
    """How long the money takes to show, for the refund's payment method."""
    low, high = limits.refund_days.get(refund.method, limits.refund_days["card"])
    if high == 0:
        return "It was added back straight away."
    return f"It usually takes {business_days(low, high)} to appear."
