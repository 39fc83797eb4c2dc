"""A scenario's world on the scratch database: the customer, their orders, earlier refunds and
replacements, and the ticket opened through portal.support.tickets.open_ticket (used by evaluation.scenarios).

Extensions to the format (used by tests/scenarios/supportops.jsonl, ignored by other runners): an
order may carry `refunded` (an amount already refunded on it, issued `refunded_days_ago` days ago,
default 40) and `shipped_days_ago`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from portal.extensions import db
from portal.models import Order, OrderItem, Refund, RefundStatus, Replacement, User, utcnow
from portal.support.tickets import open_ticket

SUBJECT_MAX = 80


def setup(scenario: Mapping[str, Any], index: int, message: str | None = None) -> tuple[int, dict[str, str]]:
    """Create the customer, orders, refund history and the ticket; returns (ticket id, customer).

    `message` is the ticket's first message (a conversation's first turn); the scenario's own by default.
    """
    now = utcnow()
    person = dict(scenario.get("customer") or {})
    person.setdefault("name", "Sam Carter")
    person.setdefault("email", f"customer{index}@example.com")
    customer = _user(person["name"], person["email"])
    orders = {o["number"]: _order(customer, o, now) for o in scenario.get("orders", [])}
    if scenario.get("other_customer_orders"):
        other = _user("Alex Other", f"other{index}@example.net")
        for spec in scenario["other_customer_orders"]:
            _order(other, spec, now)
    _refund_history(customer, int(scenario.get("refunds_last_30_days", 0)), now)
    db.session.commit()
    message = message if message is not None else scenario["message"]
    subject = scenario.get("subject") or _subject(message)
    picked = orders.get(scenario["ticket_order"]) if scenario.get("ticket_order") else None
    ticket_id = open_ticket(customer, subject, message, order=picked).id
    db.session.commit()
    return ticket_id, person


def _subject(message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else "Support request"
    return first if len(first) <= SUBJECT_MAX else first[: SUBJECT_MAX - 1].rsplit(" ", 1)[0] + "\u2026"


def _user(name: str, email: str) -> User:
    user = User(email=email, name=name, password_hash="!")  # noqa: S106 - no login
    db.session.add(user)
    db.session.flush()
    return user


def _days(now: datetime, spec: Mapping[str, Any], key: str, default: int | None) -> datetime | None:
    value = spec.get(key, default)
    return None if value is None else now - timedelta(days=int(value))


def _order(customer: User, spec: Mapping[str, Any], now: datetime) -> Order:
    status = spec["status"]
    delivered = _days(now, spec, "delivered_days_ago", 3) if status in ("delivered", "refunded") else None
    placed = _days(now, spec, "placed_days_ago", None) or (delivered or now) - timedelta(
        days=4 if delivered else 1
    )
    shipped = None
    if status in ("shipped", "delivered", "refunded"):
        shipped = _days(now, spec, "shipped_days_ago", None) or min(placed + timedelta(days=1), now)
    order = Order(
        number=spec["number"],
        customer_id=customer.id,
        status=status,
        total=Decimal(spec["total"]),
        payment_method=spec.get("payment", "card"),
        placed_at=placed,
        shipped_at=shipped,
        delivered_at=delivered,
        cancelled_at=now if status == "cancelled" else None,
        carrier="UPS" if shipped else None,
        tracking_number="1Z999AA10123456784" if shipped else None,
    )
    items = spec.get("items") or [{"name": "Item", "qty": 1, "price": spec["total"]}]
    for n, item in enumerate(items):
        order.items.append(
            OrderItem(
                sku=f"SKU-{n + 1}",
                name=item["name"],
                quantity=int(item.get("qty", 1)),
                unit_price=Decimal(str(item["price"])),
            )
        )
    db.session.add(order)
    db.session.flush()
    _prior_effects(order, spec, now)
    return order


def _prior_effects(order: Order, spec: Mapping[str, Any], now: datetime) -> None:
    for n in range(int(spec.get("replacements", 0))):
        db.session.add(
            Replacement(
                idempotency_key=f"scenario:{order.number}:replacement:{n}",
                order_id=order.id,
                customer_id=order.customer_id,
                reason="damaged",
                items=[],
                created_at=now - timedelta(days=1),
            )
        )
    if spec.get("refunded"):
        when = now - timedelta(days=int(spec.get("refunded_days_ago", 40)))
        _issued_refund(order, Decimal(str(spec["refunded"])), when, f"scenario:{order.number}:refund")


def _issued_refund(order: Order, amount: Decimal, when: datetime, key: str) -> None:
    db.session.add(
        Refund(
            idempotency_key=key,
            order_id=order.id,
            customer_id=order.customer_id,
            amount=amount,
            currency=order.currency,
            method=order.payment_method,
            status=RefundStatus.ISSUED.value,
            created_at=when,
            issued_at=when,
        )
    )


def _refund_history(customer: User, count: int, now: datetime) -> None:
    """`count` refunds issued in the last few days, each on an earlier (refunded) order of the customer."""
    for n in range(count):
        when = now - timedelta(days=2 + n)
        order = Order(
            number=f"HIST{customer.id:03d}{n}",
            customer_id=customer.id,
            status="refunded",
            total=Decimal("10.00"),
            placed_at=when - timedelta(days=5),
            shipped_at=when - timedelta(days=4),
            delivered_at=when - timedelta(days=2),
        )
        order.items.append(
            OrderItem(sku="HIST", name="Earlier item", quantity=1, unit_price=Decimal("10.00"))
        )
        db.session.add(order)
        db.session.flush()
        _issued_refund(order, Decimal("10.00"), when, f"scenario:history:{customer.id}:{n}")
