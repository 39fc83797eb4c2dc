"""The cancel tool: stop an order that has not shipped and return the full amount."""

from __future__ import annotations

from datetime import datetime

from tools import messages
from tools._rules import closed_order_refusal, order_not_found, owned
from tools.types import (
    Decision,
    OrderSnapshot,
    PolicyLimits,
    Refusal,
    ToolResult,
)

POLICY = "cancellations"

MODEL_ARGS = {
    "type": "object",
    "properties": {
        "order_number": {"type": "string", "description": "The order number to cancel, e.g. A1001."},
        "reason": {"type": "string", "description": "The customer's reason in a few words, if given."},
    },
    "required": ["order_number"],
}


def cancel(
    order: OrderSnapshot | None,
    *,
    customer_id: int,
    order_number: str,
    limits: PolicyLimits,
    now: datetime,
    reason: str = "",
) -> ToolResult:
    """Cancel an order that has not shipped yet and return the full amount to the original payment method.

    Use this when the customer no longer wants an order that is still being prepared (status
    pending). Give the order number and, if the customer said why, a short reason. Orders that have
    shipped or been delivered cannot be cancelled: the result then explains that the customer can
    ask for a refund within {refund_window_days} days of delivery. Cancellations do not count toward
    the refund limit.

    Implementation: the service layer supplies the order snapshot (None when the customer owns no
    such order), the customer from the ticket, limits and now.
    """
    if not owned(order, customer_id):
        return order_not_found("cancel", order_number, POLICY)
    refusal = closed_order_refusal("cancel", order, POLICY, "cancel") or _not_pending(order, limits)
    if refusal is not None:
        return refusal
    amount = order.refundable
    text = messages.cancelled(order.number, amount, order.currency, order.payment_method)
    return Decision(
        "cancel",
        "done",
        text,
        POLICY,
        order.number,
        amount,
        order.currency,
        new_order_status="cancelled",
        effects=("cancellation",),
        details={"method": order.payment_method},
    )


def _not_pending(order: OrderSnapshot, limits: PolicyLimits) -> Refusal | None:
    days = limits.refund_window_days
    if order.status == "shipped":
        text = (
            f"Order {order.number} has already shipped, so it can no longer be cancelled; "
            f"once it arrives you can ask for a refund within {days} days of delivery."
        )
        return Refusal("cancel", "already_shipped", text, POLICY, order.number)
    if order.status == "delivered":
        text = (
            f"Order {order.number} has already been delivered, so it can't be cancelled; "
            f"you can ask for a refund within {days} days of delivery."
        )
        return Refusal("cancel", "already_delivered", text, POLICY, order.number)
    if order.status != "pending":
        text = f"Order {order.number} can't be cancelled in its current state."
        return Refusal("cancel", "not_cancellable", text, POLICY, order.number)
    return None
