"""Demo accounts and orders covering every order state; seeding is idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from portal.auth.accounts import create_user, find_user_by_email
from portal.extensions import db
from portal.models import Order, OrderItem, Refund, Role, User, utcnow

DEMO_LOGINS = [
    ("customer@example.com", "customer-demo", "customer"),
    ("second@example.com", "second-demo", "customer"),
    ("staff@example.com", "staff-demo", "staff"),
    ("admin@example.com", "admin-demo", "admin"),
]
_NAMES = {
    "customer@example.com": "Casey Customer",
    "second@example.com": "Sam Second",
    "staff@example.com": "Stella Staff",
    "admin@example.com": "Adam Admin",
}


@dataclass(frozen=True)
class DemoOrder:
    number: str
    status: str
    items: tuple[tuple[str, int, str], ...]  # (name, quantity, unit price)
    placed_days_ago: int
    shipped_days_ago: int | None = None
    delivered_days_ago: int | None = None
    payment: str = "card"


CUSTOMER_ORDERS = (
    DemoOrder("A1001", "pending", (("Espresso machine", 1, "189.00"),), 1, payment="card"),
    DemoOrder("A1002", "shipped", (("Running shoes", 1, "89.90"), ("Sport socks", 2, "6.50")), 4, 2),
    DemoOrder("A1003", "delivered", (("Wireless headphones", 1, "42.00"),), 8, 6, 3, payment="paypal"),
    DemoOrder("A1004", "delivered", (("Desk lamp", 1, "35.00"), ("LED bulb", 2, "4.50")), 50, 45, 40),
    DemoOrder("A1005", "refunded", (("Phone case", 1, "19.99"),), 20, 18, 15, payment="gift_card"),
    DemoOrder("A1006", "cancelled", (("Yoga mat", 1, "29.00"),), 10),
    DemoOrder("A1007", "delivered", (("4K television", 1, "899.00"),), 9, 7, 5),
)
SECOND_ORDERS = (
    DemoOrder("B2001", "delivered", (("Coffee grinder", 1, "64.00"),), 7, 5, 2),
    DemoOrder("B2002", "pending", (("Kettle", 1, "39.00"),), 0),
)


def seed_demo() -> int:
    """Add missing demo users and orders to the session; returns how many rows were added."""
    added = 0
    users = {}
    for email, password, role in DEMO_LOGINS:
        user = find_user_by_email(email)
        if user is None:
            user = create_user(email, _NAMES[email], password, Role(role))
            user.email_verified_at = utcnow()  # demo addresses are not real inboxes
            added += 1
        users[email] = user
    db.session.flush()
    added += _seed_orders(users["customer@example.com"], CUSTOMER_ORDERS)
    added += _seed_orders(users["second@example.com"], SECOND_ORDERS)
    return added


def _seed_orders(customer: User, orders: tuple[DemoOrder, ...]) -> int:
    added = 0
    for spec in orders:
        if db.session.query(Order.id).filter_by(number=spec.number).first() is None:
            db.session.add(_build_order(customer, spec))
            added += 1
    db.session.flush()
    return added


def _days_ago(days: int | None):
    return None if days is None else utcnow() - timedelta(days=days, hours=2)


def _build_order(customer: User, spec: DemoOrder) -> Order:
    items = [
        OrderItem(sku=f"SKU-{spec.number}-{i}", name=name, quantity=qty, unit_price=Decimal(price))
        for i, (name, qty, price) in enumerate(spec.items, start=1)
    ]
    total = sum((item.unit_price * item.quantity for item in items), Decimal("0.00"))
    order = Order(
        number=spec.number,
        customer=customer,
        status=spec.status,
        placed_at=_days_ago(spec.placed_days_ago),
        shipped_at=_days_ago(spec.shipped_days_ago),
        delivered_at=_days_ago(spec.delivered_days_ago),
        cancelled_at=_days_ago(spec.placed_days_ago - 1) if spec.status == "cancelled" else None,
        total=total,
        currency="USD",
        payment_method=spec.payment,
        carrier="UPS" if spec.shipped_days_ago is not None else None,
        tracking_number=f"1Z999{spec.number}" if spec.shipped_days_ago is not None else None,
        items=items,
    )
    if spec.status == "refunded":
        order.refunds.append(_demo_refund(customer, order, total, spec))
    return order


def _demo_refund(customer: User, order: Order, total: Decimal, spec: DemoOrder) -> Refund:
    when = _days_ago(max((spec.delivered_days_ago or 1) - 1, 0))
    return Refund(
        idempotency_key=f"demo:refund:{spec.number}",
        customer_id=customer.id,
        amount=total,
        currency="USD",
        method=spec.payment,
        status="issued",
        reason="Demo: item returned",
        created_at=when,
        issued_at=when,
    )
