"""Snapshot builders for the pure tool tests (no app, no database), offered as fixtures."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tools import CustomerHistory, ItemSnapshot, OrderSnapshot, PolicyLimits, refund

NOW = datetime(2025, 3, 31, 15, 0, tzinfo=UTC)
CUSTOMER = 7
OTHER_CUSTOMER = 8


def build_order(
    number="A1001",
    status="delivered",
    total="42.00",
    delivered_days_ago=3,
    items=None,
    foreign=False,
    **fields,
):
    """An order snapshot of the ticket's customer (or another one); items default to one worth the total."""
    total = Decimal(total)
    lines = items or [("Item", 1, total)]
    fields.setdefault("items", tuple(ItemSnapshot(name, qty, Decimal(price)) for name, qty, price in lines))
    if status in ("delivered", "refunded"):
        fields.setdefault("delivered_at", NOW - timedelta(days=delivered_days_ago))
    customer_id = OTHER_CUSTOMER if foreign else CUSTOMER
    return OrderSnapshot(number=number, customer_id=customer_id, status=status, total=total, **fields)


def build_history(*days_ago):
    """A history with one issued refund per given age in days."""
    return CustomerHistory(CUSTOMER, tuple(NOW - timedelta(days=d) for d in days_ago))


def call_tool(tool, order, **kwargs):
    """Call a tool the way the service layer does, with defaults for everything not given."""
    kwargs.setdefault("customer_id", CUSTOMER)
    kwargs.setdefault("order_number", order.number if order else "Z999")
    kwargs.setdefault("limits", PolicyLimits())
    kwargs.setdefault("now", NOW)
    if tool is refund:
        kwargs.setdefault("history", build_history())
    return tool(order, **kwargs)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def make_order():
    return build_order


@pytest.fixture
def make_history():
    return build_history


@pytest.fixture
def call():
    return call_tool
