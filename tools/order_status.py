"""The order status tool: where one of the customer's own orders is."""

from __future__ import annotations

from datetime import datetime

from tools._rules import order_not_found, owned
from tools.types import Decision, OrderSnapshot, PolicyLimits, ToolResult, business_days, format_money

POLICY = "shipping"

MODEL_ARGS = {
    "type": "object",
    "properties": {
        "order_number": {"type": "string", "description": "The order number to look up, e.g. A1001."},
    },
    "required": ["order_number"],
}


def order_status(
    order: OrderSnapshot | None,
    *,
    customer_id: int,
    order_number: str,
    limits: PolicyLimits,
    now: datetime,
) -> ToolResult:
    """Look up the status of one of the customer's orders: pending, shipped, delivered, cancelled or refunded.

    Use this when the customer asks where an order is, when it will arrive or for its tracking
    number. Give the order number. The result has the status, the carrier and tracking number once
    shipped, and the delivery date once delivered, in a message you can pass on. It changes nothing.

    Implementation: the service layer supplies the order snapshot (None when the customer owns no
    such order), the customer from the ticket, limits and now.
    """
    if not owned(order, customer_id):
        return order_not_found("order_status", order_number, POLICY)
    details = {
        "status": order.status,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "total": str(order.total),
        "currency": order.currency,
    }
    return Decision("order_status", "done", _describe(order, limits), POLICY, order.number, details=details)


def _describe(order: OrderSnapshot, limits: PolicyLimits) -> str:
    number = order.number
    if order.status == "pending":
        return (
            f"Order {number} is being prepared and hasn't shipped yet. "
            f"It usually ships within {business_days(*limits.ship_within_days)}."
        )
    if order.status == "shipped":
        return f"Order {number} has shipped{_when(order.shipped_at)}{_tracking(order)}."
    if order.status == "delivered":
        return (
            f"Order {number} was delivered{_when(order.delivered_at)}. If anything is wrong with it, "
            f"you can ask for {_windows(limits)} of delivery."
        )
    words = order.payment_words
    if order.status == "cancelled":
        return f"Order {number} was cancelled and {_money(order.total, order)} went back to {words}."
    if order.status == "refunded":
        return f"Order {number} has been refunded ({_money(order.refunded_total, order)} to {words})."
    return f"Order {number} has the status {order.status}."


def _when(moment: datetime | None) -> str:
    return f" on {moment.day} {moment:%B %Y}" if moment else ""


def _tracking(order: OrderSnapshot) -> str:
    if order.carrier and order.tracking_number:
        return f" with {order.carrier}; the tracking number is {order.tracking_number}"
    if order.carrier:
        return f" with {order.carrier}"
    return ""


def _money(amount, order: OrderSnapshot) -> str:
    return format_money(amount, order.currency)


def _windows(limits: PolicyLimits) -> str:
    refund, replacement = limits.refund_window_days, limits.replacement_window_days
    if refund == replacement:
        return f"a refund or a replacement within {refund} days"
    return f"a refund within {refund} days or a replacement within {replacement} days"
