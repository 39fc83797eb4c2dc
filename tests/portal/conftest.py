"""Fixtures for the page tests: demo data, logins per role, and tickets built from rows (no agent needed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AgentRun, Message, Order, Refund, Ticket, User, utcnow

PASSWORDS = {
    "customer@example.com": "customer-demo",
    "second@example.com": "second-demo",
    "staff@example.com": "staff-demo",
    "admin@example.com": "admin-demo",
}


def user_id(email: str) -> int:
    return db.session.scalar(select(User.id).where(User.email == email))


def login(client, email: str) -> None:
    response = client.post("/auth/login", data={"email": email, "password": PASSWORDS[email]})
    assert response.status_code == 302, response.data


@pytest.fixture
def demo(app):
    """The demo accounts and orders (cheap argon2 hashes: tests/conftest.py base_config)."""
    from portal.commands.demo import seed_demo

    with app.app_context():
        seed_demo()
        db.session.commit()
    return app


@pytest.fixture
def customer(client, demo):
    login(client, "customer@example.com")
    return client


@pytest.fixture
def staff(client, demo):
    login(client, "staff@example.com")
    return client


@pytest.fixture
def admin(client, demo):
    login(client, "admin@example.com")
    return client


@dataclass
class TicketFactory:
    app: object

    def __call__(
        self, email="customer@example.com", subject="Help", body="Please help", order=None, **fields
    ):
        """A ticket with its first customer message; extra fields set any Ticket column."""
        with self.app.app_context():
            customer_id = user_id(email)
            order_id = db.session.scalar(select(Order.id).where(Order.number == order)) if order else None
            now = utcnow()
            values = {
                "status": "answered",
                "created_at": now,
                "sla_due_at": now + timedelta(hours=4),
            } | fields
            ticket = Ticket(customer_id=customer_id, order_id=order_id, subject=subject, body=body, **values)
            ticket.messages.append(Message(author_kind="customer", author_id=customer_id, body=body))
            db.session.add(ticket)
            db.session.commit()
            return ticket.reference

    def add_message(self, reference: str, **fields) -> int:
        with self.app.app_context():
            ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
            message = Message(ticket_id=ticket.id, **fields)
            db.session.add(message)
            db.session.commit()
            return message.id

    def add_run(self, reference: str, **fields) -> int:
        with self.app.app_context():
            ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
            run = AgentRun(ticket_id=ticket.id, **fields)
            db.session.add(run)
            db.session.commit()
            return run.id

    def held_refund(self, reference: str, order="A1007", amount="899.00") -> int:
        with self.app.app_context():
            ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
            order_row = db.session.scalar(select(Order).where(Order.number == order))
            refund = Refund(
                idempotency_key=f"ticket:{ticket.id}:refund:{order}",
                order_id=order_row.id,
                customer_id=order_row.customer_id,
                ticket_id=ticket.id,
                amount=Decimal(amount),
                currency="USD",
                method=order_row.payment_method,
                status="held",
                reason="above approval threshold",
            )
            db.session.add(refund)
            db.session.commit()
            return refund.id

    def get(self, reference: str) -> Ticket:
        """A detached copy of the ticket's row, read fresh."""
        with self.app.app_context():
            ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
            db.session.expunge(ticket)
            return ticket


@pytest.fixture
def make_ticket(demo):
    return TicketFactory(demo)


@pytest.fixture
def notified(monkeypatch):
    """Record notify() calls made by the pages (the email engineer tests what they send)."""
    events: list[tuple[str, str]] = []

    def record(event, ticket, **context):
        events.append((event, ticket.reference))

    for module in ("portal.support.actions", "portal.desk.actions"):
        monkeypatch.setattr(f"{module}.notify", record)
    return events
