"""The invoice tool: where the customer finds the invoice of one of their orders. Read-only."""

from __future__ import annotations

from datetime import datetime

from tools._rules import order_not_found, owned
from tools.types import Decision, OrderSnapshot, PolicyLimits, Refusal, ToolResult, format_money

POLICY = ""  # an invoice rests on no policy rule: the reply cites nothing

MODEL_ARGS = {
    "type": "object",
    "properties": {
        "order_number": {"type": "string", "description": "The order whose invoice the customer wants."},
    },
    "required": ["order_number"],
}


def has_invoice(status: str) -> bool:
    """Whether an order in this status has an invoice: every paid order; a cancelled one was never
    charged in the end (the full amount went back), so it has none."""
    return status != "cancelled"


def invoice_path(order_number: str) -> str:
    """The portal page that shows (and prints) an order's invoice."""
    return f"/orders/{order_number}/invoice"


def invoice(
    order: OrderSnapshot | None,
    *,
    customer_id: int,
    order_number: str,
    limits: PolicyLimits,
    now: datetime,
) -> ToolResult:
    """Give the customer the invoice of one of their paid orders: its page in the portal, from which
    it can be printed or saved as a PDF.

    Use this when the customer asks for an invoice, a receipt or a copy of the bill. Give the order
    number. An order cancelled before it was paid has no invoice. It changes nothing.

    Implementation: the service layer supplies the order snapshot (None when the customer owns no
    such order), the customer from the ticket, limits and now.
    """
    if not owned(order, customer_id):
        return order_not_found("invoice", order_number, POLICY)
    if not has_invoice(order.status):
        text = f"Order {order.number} was cancelled, so there is no invoice for it."
        return Refusal("invoice", "not_invoiced", text, POLICY, order.number)
    path = invoice_path(order.number)
    text = (
        f"The invoice for order {order.number} ({format_money(order.total, order.currency)}) is on your "
        f"order's page: {path}. From there you can print it or save it as a PDF."
    )
    return Decision("invoice", "done", text, POLICY, order.number, details={"path": path})
