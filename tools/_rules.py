"""Checks shared by several tools."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tools.types import ItemSnapshot, OrderSnapshot, Refusal

_NOT_ACTIONABLE = {
    "cancelled": ("order_cancelled", "Order {n} was cancelled, so there is nothing left to {verb}."),
    "refunded": ("already_refunded", "Order {n} has already been fully refunded."),
}


def order_not_found(action: str, order_number: str | None, policy: str) -> Refusal:
    """The same answer for an unknown order and for somebody else's order: it reveals nothing."""
    shown = f"order {order_number}" if order_number else "that order"
    message = (
        f"I couldn't find {shown} on your account. Please check the order number "
        "in your confirmation email and send it again."
    )
    return Refusal(action, "order_not_found", message, policy, order_number)


def owned(order: OrderSnapshot | None, customer_id: int) -> bool:
    """True when the order exists and belongs to the ticket's customer."""
    return order is not None and order.customer_id == customer_id


def days_since(moment: datetime, now: datetime) -> int:
    """Whole calendar days (UTC) from `moment` to `now`: delivered today is day 0."""
    return (now.date() - moment.date()).days


def closed_order_refusal(action: str, order: OrderSnapshot, policy: str, verb: str) -> Refusal | None:
    """Refusal for a cancelled or fully refunded order, else None."""
    if order.status not in _NOT_ACTIONABLE:
        return None
    code, template = _NOT_ACTIONABLE[order.status]
    return Refusal(action, code, template.format(n=order.number, verb=verb), policy, order.number)


def pick_items(order: OrderSnapshot, names: Sequence[str]) -> tuple[tuple[ItemSnapshot, ...], list[str]]:
    """Match the customer's item names to order lines (case-insensitive, exact or unique substring)."""
    chosen, unknown = [], []
    for name in names:
        item = _match_item(order.items, name)
        if item is None:
            unknown.append(name)
        elif item not in chosen:
            chosen.append(item)
    return tuple(chosen), unknown


def _match_item(items: Sequence[ItemSnapshot], name: str) -> ItemSnapshot | None:
    wanted = name.strip().casefold()
    if not wanted:
        return None
    exact = [item for item in items if item.name.casefold() == wanted]
    if exact:
        return exact[0]
    partial = [item for item in items if wanted in item.name.casefold()]
    return partial[0] if len(partial) == 1 else None


def item_list(order: OrderSnapshot) -> str:
    """The order's item names for a message ('Mug, Plate'), or 'no items'."""
    return ", ".join(item.name for item in order.items) or "no items"
