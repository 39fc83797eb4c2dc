"""Keeping SupportOps' customers and orders current from the shop: idempotent upserts.

Functions add to the session; the caller commits (under the customer's lock for orders). The same data
sent twice changes nothing. Order statuses only move forward (pending -> shipped -> delivered), and an
order SupportOps cancelled or refunded stays so: a stale update from the shop cannot undo a payout.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from portal.auth.accounts import find_user_by_email, normalize_email
from portal.extensions import db
from portal.models import Order, OrderItem, OrderStatus, Role, User, utcnow

FORWARD = {OrderStatus.PENDING.value: 0, OrderStatus.SHIPPED.value: 1, OrderStatus.DELIVERED.value: 2}
CLOSED = (OrderStatus.CANCELLED.value, OrderStatus.REFUNDED.value)
STATUS_TIMESTAMPS = {
    OrderStatus.SHIPPED.value: ("shipped_at",),
    OrderStatus.DELIVERED.value: ("shipped_at", "delivered_at"),
    OrderStatus.CANCELLED.value: ("cancelled_at",),
}


class ShopDataError(ValueError):
    """The update contradicts what SupportOps knows (code: a stable API error code)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ItemData:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


def upsert_customer(email: str, name: str) -> tuple[User, bool]:
    """The customer with this email, created (no usable password: they set one by "forgot password") or
    renamed; (user, created)."""
    user = find_user_by_email(email)
    if user is not None:
        if user.role != Role.CUSTOMER.value:
            raise ShopDataError("not_a_customer", "This email belongs to a staff account.")
        if user.name != name:
            user.name = name
        return user, False
    user = User(email=normalize_email(email), name=name, role=Role.CUSTOMER.value)
    user.set_password(secrets.token_urlsafe(32))  # nobody knows it; a reset link sets a real one
    db.session.add(user)
    db.session.flush()
    return user, True


def find_customer(email: str) -> User:
    user = find_user_by_email(email)
    if user is None or user.role != Role.CUSTOMER.value:
        raise ShopDataError("customer_not_found", f"No customer with the email {email}.")
    return user


def find_order(number: str) -> Order | None:
    return db.session.scalar(select(Order).where(Order.number == number))


def upsert_order(
    number: str, customer: User, fields: dict[str, Any], items: list[ItemData]
) -> tuple[Order, bool]:
    """Create or update the order `number` with the shop's whole view of it; (order, created)."""
    order = find_order(number)
    created = order is None
    if created:
        order = Order(number=number, customer_id=customer.id, placed_at=fields.get("placed_at") or utcnow())
        db.session.add(order)
    elif order.customer_id != customer.id:
        raise ShopDataError("customer_mismatch", f"Order {number} belongs to another customer.")
    change_order(order, fields)
    _replace_items(order, items)
    db.session.flush()
    return order, created


def change_order(order: Order, fields: dict[str, Any]) -> None:
    """Apply a status change, delivery or tracking update; only the given fields change."""
    status = fields.get("status")
    if status is not None and status != order.status:
        _check_transition(order, status)
        order.status = status
        for name in STATUS_TIMESTAMPS.get(status, ()):
            if getattr(order, name) is None and fields.get(name) is None:
                setattr(order, name, utcnow())
    for name, value in fields.items():
        if name != "status" and value is not None and getattr(order, name) != value:
            setattr(order, name, value)


def _check_transition(order: Order, status: str) -> None:
    current = order.status
    if current in CLOSED:
        raise ShopDataError("order_closed", f"Order {order.number} is {current}; it cannot become {status}.")
    if status in FORWARD and current in FORWARD and FORWARD[status] < FORWARD[current]:
        raise ShopDataError(
            "invalid_transition", f"Order {order.number} cannot go from {current} to {status}."
        )


def _replace_items(order: Order, items: list[ItemData]) -> None:
    """The order's lines become `items`, matched by SKU (unchanged lines keep their rows)."""
    wanted = {item.sku: item for item in items}
    if len(wanted) != len(items):
        raise ShopDataError("duplicate_sku", "Each SKU may appear once per order.")
    for row in list(order.items):
        if row.sku not in wanted:
            order.items.remove(row)
    existing = {row.sku: row for row in order.items}
    for sku, item in wanted.items():
        row = existing.get(sku) or OrderItem(
            sku=sku, name=item.name, quantity=item.quantity, unit_price=item.unit_price
        )
        if row not in order.items:
            order.items.append(row)
        for name in ("name", "quantity", "unit_price"):
            if getattr(row, name) != getattr(item, name):
                setattr(row, name, getattr(item, name))
