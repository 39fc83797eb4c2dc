"""The change_address tool: send an order that has not shipped to another delivery address."""

from __future__ import annotations

from datetime import datetime

from tools import messages
from tools._rules import order_not_found, owned
from tools.types import Decision, OrderSnapshot, PolicyLimits, Refusal, ToolResult

POLICY = "shipping"
ADDRESS_MIN, ADDRESS_MAX = 8, 200

MODEL_ARGS = {
    "type": "object",
    "properties": {
        "order_number": {
            "type": "string",
            "description": "The order whose delivery address changes, e.g. A1001.",
        },
        "address": {
            "type": "string",
            "description": (
                "The new delivery address exactly as the customer wrote it (street, number, city, postcode)."
            ),
        },
    },
    "required": ["order_number", "address"],
}


def change_address(
    order: OrderSnapshot | None,
    *,
    customer_id: int,
    order_number: str,
    address: str,
    limits: PolicyLimits,
    now: datetime,
) -> ToolResult:
    """Change the delivery address of an order that has not shipped yet.

    Use this when the customer asks to send an order to another address. Give the order number and
    the new address as the customer wrote it. Only orders still being prepared (status pending) can
    be redirected: once an order has shipped the carrier has it, and the result explains that.

    Implementation: the service layer supplies the order snapshot (None when the customer owns no
    such order), the customer from the ticket, limits and now.
    """
    if not owned(order, customer_id):
        return order_not_found("change_address", order_number, POLICY)
    address = " ".join(address.split())
    if not ADDRESS_MIN <= len(address) <= ADDRESS_MAX:
        text = "Please send the full new delivery address: street and number, city and postcode."
        return Refusal("change_address", "address_incomplete", text, POLICY, order.number)
    refusal = too_late(order)
    if refusal is not None:
        return refusal
    return Decision(
        "change_address",
        "done",
        messages.address_changed(order.number, address),
        POLICY,
        order.number,
        effects=("address_change",),
        details={"address": address},
    )


def too_late(order: OrderSnapshot) -> Refusal | None:
    """Why this order's address can no longer change (None while it is still pending)."""
    if order.status == "pending":
        return None
    stage = {"shipped": "has already shipped", "delivered": "has already been delivered"}.get(
        order.status, f"is {order.status}"
    )
    text = (
        f"Order {order.number} {stage}, so its delivery address can no longer be changed; "
        "only orders that have not shipped can be sent to another address."
    )
    return Refusal("change_address", "already_shipped", text, POLICY, order.number)
