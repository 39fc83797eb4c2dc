"""What happened after an order was placed: its refunds, cancellation and replacements, for the order page.

Expected arrival of money comes from PolicyLimits.refund_days (business days per payment method), the
same numbers the refund_status tool quotes, so the page and the agent always say the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.extensions import db
from portal.models import Cancellation, Order, RefundStatus
from tools import PolicyLimits
from tools.types import PAYMENT_METHOD_WORDS


@dataclass(frozen=True)
class Arrival:
    """When returned money should show up: a business-day window, or at once (gift card)."""

    earliest: date
    latest: date

    @property
    def immediate(self) -> bool:
        return self.earliest == self.latest


@dataclass(frozen=True)
class TrackedAction:
    kind: str  # refund | cancellation | replacement
    state: str  # issued | held | rejected | done | shipping
    created_at: datetime
    reference: str | None
    method: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    items: tuple[str, ...] = ()
    arrival: Arrival | None = None


def add_business_days(start: date, days: int) -> date:
    """`start` moved forward by `days` working days (Monday to Friday)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def expected_arrival(method: str, paid_back_at: datetime, limits: PolicyLimits) -> Arrival:
    """The window in which money paid back on `paid_back_at` reaches `method`."""
    low, high = limits.refund_days.get(method, limits.refund_days["card"])
    start = paid_back_at.date()
    return Arrival(add_business_days(start, low), add_business_days(start, high))


def order_actions(order: Order, limits: PolicyLimits) -> list[TrackedAction]:
    """Every refund, cancellation and replacement of the order, oldest first."""
    rows = [_refund(refund, limits) for refund in order.refunds]
    cancellation = db.session.scalar(select(Cancellation).where(Cancellation.order_id == order.id))
    if cancellation is not None:
        rows.append(_cancellation(cancellation, limits))
    rows.extend(_replacement(replacement) for replacement in order.replacements)
    return sorted(rows, key=lambda row: row.created_at)


def _method(method: str) -> str:
    return PAYMENT_METHOD_WORDS.get(method, method)


def _refund(refund, limits: PolicyLimits) -> TrackedAction:
    issued = refund.status == RefundStatus.ISSUED.value
    return TrackedAction(
        "refund",
        refund.status,
        refund.created_at,
        refund.payment_reference,
        _method(refund.method),
        refund.amount,
        refund.currency,
        tuple(refund.items or ()),
        expected_arrival(refund.method, refund.issued_at or refund.created_at, limits) if issued else None,
    )


def _cancellation(cancellation: Cancellation, limits: PolicyLimits) -> TrackedAction:
    return TrackedAction(
        "cancellation",
        "done",
        cancellation.created_at,
        cancellation.payment_reference,
        _method(cancellation.method),
        cancellation.amount,
        cancellation.currency,
        arrival=expected_arrival(cancellation.method, cancellation.created_at, limits),
    )


def _replacement(replacement) -> TrackedAction:
    return TrackedAction(
        "replacement",
        "shipping",
        replacement.created_at,
        replacement.shipment_reference,
        items=tuple(replacement.items or ()),
    )
