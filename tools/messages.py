"""Customer-facing sentences shared by the tools and the service layer (which replays earlier results)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from tools.types import format_money, method_words


def refund_issued(
    number: str, amount: Decimal, currency: str, method: str, item_names: Sequence[str] = ()
) -> str:
    """item_names: only for a partial refund, so the customer sees what was refunded."""
    shown = format_money(amount, currency)
    what = f"{and_list(item_names)} from order {number}" if item_names else f"order {number}"
    return f"Your refund of {shown} for {what} to {method_words(method)} has been issued."


def and_list(names: Sequence[str]) -> str:
    """'Mug', 'Mug and Plate', 'Mug, Plate and Bowl'."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def refund_held(
    number: str,
    amount: Decimal,
    currency: str,
    threshold: Decimal,
    sla_hours: float,
    item_names: Sequence[str] = (),
) -> str:
    """A refund above the approval threshold, just held: why, and when a person replies.
    item_names: only for a partial refund, so the customer sees which items wait for review."""
    what = f"{and_list(item_names)} from order {number}" if item_names else f"order {number}"
    return (
        f"Your refund of {format_money(amount, currency)} for {what} is above "
        f"{format_money(threshold, currency)}, so it has been held for review by our team; "
        "nothing has been refunded yet. "
        f"A member of our team will reply within {sla_hours:g} hours."
    )


def refund_waiting(number: str, amount: Decimal, currency: str) -> str:
    """A refund still waiting for staff, as a replayed request reports it."""
    return (
        f"Your refund of {format_money(amount, currency)} for order {number} is held for review by our "
        "team; nothing has been refunded yet."
    )


def refund_rejected(number: str) -> str:
    """A held refund that staff turned down."""
    return f"Your refund request for order {number} was reviewed by our staff and was not approved."


def cancelled(number: str, amount: Decimal, currency: str, method: str) -> str:
    """An order cancelled, with the full amount going back to the payment method."""
    return (
        f"Order {number} has been cancelled. The full amount of {format_money(amount, currency)} "
        f"is going back to {method_words(method)}."
    )


def address_changed(number: str, address: str) -> str:
    """The customer-facing line for an order sent to a new delivery address."""
    return f"The delivery address of order {number} is now: {address}."


def replacement_sent(number: str, item_names: list[str]) -> str:
    """A free replacement on its way."""
    return (
        f"A free replacement for order {number} ({', '.join(item_names) or 'your item'}) is on its way. "
        "You'll get the tracking number by email once it ships, and you don't need to pay anything."
    )
