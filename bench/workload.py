"""The customers, orders and ticket texts the agent and end-to-end benchmarks use.

Ticket texts cover what the agent meets in practice: refunds, cancellations, replacements, order status,
policy questions, requests for a person, and vague messages that need a clarifying question; order
numbers are the customer's own (or absent), so every tool path runs, including refusals.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from bench.services import BENCH_PASSWORD
from portal.auth.passwords import hash_password

# (subject, body); {o} is one of the customer's order numbers.
TEMPLATES = [
    ("Refund please", "Order {o} arrived broken, I'd like my money back please."),
    ("Not what I expected", "Refund order {o}, it's not what I expected."),
    ("Cancel my order", "Can you cancel {o}? I no longer need it."),
    ("Cancel", "Please cancel order {o}."),
    ("Wrong size", "You sent me size M instead of L for order {o}, please send the right size."),
    ("Damaged item", "The lamp in order {o} came with a cracked base. Can you send a new one?"),
    ("Where is it?", "Any news on order {o}? It has been a few days."),
    ("Tracking", "Where is my parcel for {o}? The tracking page shows nothing."),
    ("Shipping abroad", "Do you ship to Canada, and how long does delivery take?"),
    ("Refund timing", "How long does a refund take to show up on my card?"),
    ("Password", "I can't log in to my account. How do I reset my password?"),
    ("Privacy", "What do you do with my personal data? Can you delete it?"),
    ("A person please", "I have written three times now. I want to talk to a human, not a bot."),
    ("Chargeback", "If this is not fixed today I will file a chargeback with my bank."),
    ("Help", "Hi, I have a problem with my order, can you help?"),
    ("Refund", "I want a refund. My email is jane.doe@example.com and my phone is +1 415 555 0199."),
]
ORDER_SPECS = [  # (status, days since placed, days since delivered or None, total)
    ("delivered", 6, 3, "42.00"),
    ("pending", 1, None, "60.00"),
    ("shipped", 4, None, "89.90"),
    ("delivered", 50, 45, "35.00"),
    ("delivered", 9, 5, "899.00"),
]


@dataclass(frozen=True)
class BenchCustomer:
    id: int
    email: str
    orders: tuple[str, ...]


def create_customers(count: int, prefix: str = "agent") -> list[BenchCustomer]:
    """Add `count` customers with one order per ORDER_SPECS row each, and commit."""
    from portal.extensions import db
    from portal.models import Order, OrderItem, User, utcnow

    password_hash = hash_password(BENCH_PASSWORD)  # once: argon2 is slow on purpose
    now = utcnow()
    customers = []
    for number in range(1, count + 1):
        user = User(
            email=f"{prefix}{number}@bench.example",
            name=f"Bench {prefix} {number}",
            password_hash=password_hash,
            role="customer",
        )
        db.session.add(user)
        numbers = []
        for position, (status, placed, delivered, total) in enumerate(ORDER_SPECS):
            order_number = f"{prefix[:1].upper()}{number:05d}{position}"
            order = Order(
                number=order_number,
                customer=user,
                status=status,
                total=Decimal(total),
                placed_at=now - timedelta(days=placed),
                shipped_at=now - timedelta(days=placed - 1) if status != "pending" else None,
                delivered_at=now - timedelta(days=delivered) if delivered is not None else None,
            )
            order.items.append(
                OrderItem(
                    sku=f"SKU{position}", name=f"Item {position}", quantity=1, unit_price=Decimal(total)
                )
            )
            db.session.add(order)
            numbers.append(order_number)
        db.session.flush()
        customers.append(BenchCustomer(user.id, user.email, tuple(numbers)))
    db.session.commit()
    return customers


def ticket_text(rng: random.Random, orders: tuple[str, ...]) -> tuple[str, str, str | None]:
    """A (subject, body, picked order or None) for one ticket of a customer with these orders."""
    subject, body = rng.choice(TEMPLATES)
    order = rng.choice(orders) if orders else None
    picked = order if "{o}" in body and rng.random() < 0.3 else None
    return subject, body.format(o=order or "my order"), picked
