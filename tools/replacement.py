"""The replacement tool: a free new item for a damaged, defective or wrong delivery."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tools import messages
from tools._rules import (
    closed_order_refusal,
    days_since,
    item_list,
    order_not_found,
    owned,
    pick_items,
)
from tools.types import Decision, OrderSnapshot, PolicyLimits, Refusal, ToolResult

POLICY = "replacements"
PROBLEMS = ("damaged", "defective", "wrong_item")

MODEL_ARGS = {
    "type": "object",
    "properties": {
        "order_number": {"type": "string", "description": "The order number, e.g. A1001."},
        "problem": {
            "type": "string",
            "enum": list(PROBLEMS),
            "description": "What is wrong: damaged (broken in transit), defective (does not work) or "
            "wrong_item (wrong product, size or colour).",
        },
        "item_names": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The names of the items to replace. "
            "Omit when the order has one item or all are affected.",
        },
        "description": {
            "type": "string",
            "description": "The customer's description of the problem in a few words.",
        },
    },
    "required": ["order_number", "problem"],
}


def replacement(
    order: OrderSnapshot | None,
    *,
    customer_id: int,
    order_number: str,
    problem: str,
    limits: PolicyLimits,
    now: datetime,
    item_names: Sequence[str] = (),
    description: str = "",
) -> ToolResult:
    """Send a free replacement for an item that arrived damaged, defective or wrong.

    Use this when the customer wants a new item instead of their money back, for example the wrong
    size was sent or the item is broken. Give the order number, the problem (damaged, defective or
    wrong_item), and the item names if only some items are affected. Rules: only delivered orders,
    within {replacement_window_days} days of delivery, at most {replacements_per_order} replacement(s)
    per order. Not for a change of mind: offer a refund instead.

    Implementation: the service layer supplies the order snapshot (None when the customer owns no
    such order), the customer from the ticket, limits and now.
    """
    if not owned(order, customer_id):
        return order_not_found("replacement", order_number, POLICY)
    refusal = _eligibility(order, problem, limits, now)
    items, unknown = pick_items(order, item_names)
    if refusal is None and unknown:
        text = (
            f"I couldn't find {', '.join(unknown)} in order {order.number}. "
            f"The order contains: {item_list(order)}."
        )
        refusal = Refusal("replacement", "item_not_found", text, POLICY, order.number)
    if refusal is not None:
        return refusal
    names = [item.name for item in items] or [item.name for item in order.items]
    text = messages.replacement_sent(order.number, names)
    return Decision(
        "replacement",
        "done",
        text,
        POLICY,
        order.number,
        effects=("replacement",),
        details={"items": names, "problem": problem, "description": description},
    )


def _eligibility(order: OrderSnapshot, problem: str, limits: PolicyLimits, now: datetime) -> Refusal | None:
    days = limits.replacement_window_days
    closed = closed_order_refusal("replacement", order, POLICY, "replace")
    if closed is not None:
        return closed
    if order.status != "delivered" or order.delivered_at is None:
        text = (
            f"Order {order.number} hasn't been delivered yet, so it can't be replaced. If something is wrong "
            f"when it arrives, you can ask for a replacement within {days} days of delivery."
        )
        return Refusal("replacement", "not_delivered", text, POLICY, order.number)
    if days_since(order.delivered_at, now) > days:
        text = (
            f"Order {order.number} was delivered more than {days} days ago, so it can't be replaced anymore."
        )
        return Refusal("replacement", "replacement_window_expired", text, POLICY, order.number)
    if problem not in PROBLEMS:
        text = (
            "Replacements are for items that arrived damaged, defective or wrong. "
            "If you simply changed your mind, you can ask for a refund within "
            f"{limits.refund_window_days} days of delivery."
        )
        return Refusal("replacement", "problem_not_covered", text, POLICY, order.number)
    if order.replacements_count >= limits.replacements_per_order:
        text = (
            f"Order {order.number} has already been replaced, which is the most we can do automatically. "
            "I've passed your request to our support team; "
            f"a person will reply within {limits.sla_hours:g} hours."
        )
        return Refusal("replacement", "replacement_limit_reached", text, POLICY, order.number, escalate=True)
    return None
