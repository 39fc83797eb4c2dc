"""Plain data the policy tools work on: snapshots in, a Decision or a Refusal out.

Nothing here knows about the database; the service layer (portal.services) builds snapshots from rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")

PAYMENT_METHOD_WORDS = {
    "card": "your card",
    "paypal": "your PayPal account",
    "gift_card": "your gift card balance",
}


def method_words(method: str) -> str:
    """'your PayPal account' for 'paypal'."""
    return PAYMENT_METHOD_WORDS.get(method, "your original payment method")


def business_days(low: int, high: int) -> str:
    """'5 to 10 business days', '1 business day', or 'instant' for (0, 0)."""
    if high <= 0:
        return "instant"
    if low == high:
        return f"{high} business day{'s' if high != 1 else ''}"
    return f"{low} to {high} business days"


def money(value: Decimal | int | str) -> Decimal:
    """A Decimal amount rounded to the cent."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str) -> str:
    """'42.00 USD'."""
    return f"{money(amount)} {currency}"


@dataclass(frozen=True)
class ItemSnapshot:
    """One line of an order."""

    name: str
    quantity: int
    unit_price: Decimal
    sku: str = ""
    refunded_quantity: int = 0  # units refunded or held for a refund review
    id: int | None = None  # the order line's row id, so a refund can name the units it takes

    @property
    def value(self) -> Decimal:
        """Unit price times quantity."""
        return money(self.unit_price * self.quantity)

    @property
    def refundable_quantity(self) -> int:
        """Units not yet refunded nor held for a refund."""
        return max(self.quantity - self.refunded_quantity, 0)


@dataclass(frozen=True)
class OrderSnapshot:
    """An order as the tools see it, with what has already been refunded or replaced."""

    number: str
    customer_id: int
    status: str  # pending | shipped | delivered | cancelled | refunded
    total: Decimal
    currency: str = "USD"
    payment_method: str = "card"  # card | paypal | gift_card
    placed_at: datetime | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    tracking_number: str | None = None
    carrier: str | None = None
    items: tuple[ItemSnapshot, ...] = ()
    refunded_total: Decimal = Decimal("0.00")  # issued refunds only (held ones are not money moved)
    replacements_count: int = 0
    held_total: Decimal = Decimal("0.00")  # refunds waiting for staff: reserved until rejected

    @property
    def refundable(self) -> Decimal:
        """What was paid less what was already refunded or is held for a refund review."""
        return max(money(self.total - self.refunded_total - self.held_total), Decimal("0.00"))

    @property
    def payment_words(self) -> str:
        """Where the money goes back, in words: 'your PayPal account'."""
        return method_words(self.payment_method)


@dataclass(frozen=True)
class CustomerHistory:
    """The customer's refunds that hold a place in the limit, as the moments they took it (issued ones,
    and held ones from the moment they were held; rejected ones gave their place back)."""

    customer_id: int
    refund_times: tuple[datetime, ...] = ()

    def refunds_since(self, since: datetime, until: datetime | None = None) -> int:
        """How many refunds took their place after `since` (and not after `until`, when given)."""
        return sum(1 for at in self.refund_times if at > since and (until is None or at <= until))


@dataclass(frozen=True)
class PolicyLimits:
    """Every number of the policy; portal.config.policy_limits builds it from the app config."""

    refund_window_days: int = 30
    refunds_per_period: int = 2
    refund_period_days: int = 30
    approval_threshold: Decimal = Decimal("500.00")
    replacement_window_days: int = 30
    replacements_per_order: int = 1
    sla_hours: float = 4.0
    # Business days a refund takes to reach each payment method (low, high); (0, 0) is instant.
    refund_days: Mapping[str, tuple[int, int]] = field(
        default_factory=lambda: {"card": (5, 10), "paypal": (3, 5), "gift_card": (0, 0)}
    )
    # Business days a parcel takes once shipped, per shipping option (low, high).
    shipping_days: Mapping[str, tuple[int, int]] = field(
        default_factory=lambda: {"standard": (3, 5), "express": (1, 2), "international": (7, 14)}
    )
    ship_within_days: tuple[int, int] = (1, 2)  # business days from placing an order to shipping it
    tracking_stale_days: int = 7  # business days without a tracking update before a person chases it

    def refund_time(self, method: str) -> tuple[int, int]:
        """(low, high) business days a refund takes to reach `method` (card timing when unknown)."""
        return self.refund_days.get(method, self.refund_days["card"])


@dataclass(frozen=True)
class RefundSnapshot:
    """One refund of an order as the tools see it."""

    amount: Decimal
    currency: str
    method: str
    status: str  # issued | held | rejected
    created_at: datetime
    issued_at: datetime | None = None
    items: tuple[str, ...] = ()
    kind: str = "refund"  # refund | cancellation (the full amount paid back when an order was cancelled)


@dataclass(frozen=True)
class Decision:
    """A tool said yes: what to carry out (outcome 'done') or to hold for staff approval ('held')."""

    action: str
    outcome: str  # done | held
    message: str  # customer-facing, with real numbers
    policy: str  # policy file stem to cite, e.g. 'refunds'
    order_number: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    new_order_status: str | None = None
    effects: tuple[str, ...] = ()  # rows to record: 'refund', 'cancellation', 'replacement', 'escalation'
    reasons: tuple[str, ...] = ()  # why it is held
    escalate: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    """A tool said no under the policy; nothing may change. `reason_code` is stable for code and logs."""

    action: str
    reason_code: str
    message: str  # customer-facing; never reveals anything about orders the customer does not own
    policy: str
    order_number: str | None = None
    escalate: bool = False
    outcome: str = "denied"


ToolResult = Decision | Refusal
