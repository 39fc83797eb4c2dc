"""A small shop (customers, orders, tickets) on the real database, for the service-layer tests."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Order, OrderItem, Ticket, User, utcnow
from portal.services import Actor, execute

_numbers = itertools.count(1)


class Shop:
    """Builders for rows; every builder commits so other threads and processes see the rows."""

    def __init__(self, app):
        self.app = app

    def customer(self, name="Ada") -> int:
        user = User(email=f"{name.lower()}{next(_numbers)}@example.com", name=name, password_hash="x")
        db.session.add(user)
        db.session.commit()
        return user.id

    def staff(self, name="Sam") -> int:
        user = User(
            email=f"{name.lower()}{next(_numbers)}@example.com", name=name, password_hash="x", role="staff"
        )
        db.session.add(user)
        db.session.commit()
        return user.id

    def order(
        self,
        customer_id,
        number=None,
        status="delivered",
        total="42.00",
        delivered_days_ago=3,
        payment="card",
        items=None,
    ) -> str:
        number = number or f"T{next(_numbers):05d}"
        now = utcnow()
        order = Order(
            number=number,
            customer_id=customer_id,
            status=status,
            total=Decimal(total),
            payment_method=payment,
            placed_at=now - timedelta(days=delivered_days_ago + 3),
        )
        if status in ("shipped", "delivered", "refunded"):
            order.shipped_at = now - timedelta(days=delivered_days_ago + 1)
            order.carrier, order.tracking_number = "UPS", "1Z" + number
        if status in ("delivered", "refunded"):
            order.delivered_at = now - timedelta(days=delivered_days_ago)
        for name, qty, price in items or [("Item", 1, total)]:
            order.items.append(
                OrderItem(sku=name[:10].upper(), name=name, quantity=qty, unit_price=Decimal(price))
            )
        db.session.add(order)
        db.session.commit()
        return number

    def ticket(self, customer_id, subject="Help") -> int:
        ticket = Ticket(customer_id=customer_id, subject=subject, body=subject)
        db.session.add(ticket)
        db.session.commit()
        return ticket.id

    def run(self, tool, ticket_id, customer_id, actor=None, now=None, **args):
        return execute(
            tool,
            ticket_id=ticket_id,
            customer_id=customer_id,
            args=args,
            actor=actor or Actor.agent(None),
            now=now,
        )


@pytest.fixture
def shop(any_app):
    """The shop on SQLite and on Postgres (the test runs inside an app context)."""
    with any_app.app_context():
        yield Shop(any_app)
        db.session.remove()
