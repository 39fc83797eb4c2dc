"""Email test helpers: a real aiosmtpd server (that can go down, come back, or drop connections), data
factories, and the RQ worker pool wired to the SMTP server."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller

from portal.extensions import db
from portal.models import Order, OrderItem, Role, Ticket, User, utcnow
from tests.overrides import override_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """Keeps every accepted message (parsed) in order."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)
        return "250 Message accepted for delivery"


class _Dropper(asyncio.Protocol):
    """Accepts the TCP connection and closes it at once, before the SMTP greeting."""

    def connection_made(self, transport):
        transport.close()


class CountingController(Controller):
    """aiosmtpd's threaded controller that counts connections and can drop every n-th one."""

    def __init__(self, handler, port: int, drop_every: int = 0):
        super().__init__(handler, hostname="127.0.0.1", port=port, ready_timeout=5)
        self.drop_every = drop_every
        self.connections = 0
        self.dropped = 0

    def factory(self):
        self.connections += 1
        if self.drop_every and self.connections % self.drop_every == 0:
            self.dropped += 1
            return _Dropper()
        return super().factory()

    def reset_counts(self) -> None:
        self.connections = self.dropped = 0


class SMTPServer:
    """A real SMTP server on 127.0.0.1 that a test can stop and start again on the same port."""

    def __init__(self, drop_every: int = 0):
        self.port = free_port()
        self.handler = RecordingHandler()
        self.drop_every = drop_every
        self.controller: CountingController | None = None
        self.connections_before = 0

    def start(self) -> None:
        self.controller = CountingController(self.handler, self.port, self.drop_every)
        self.controller.start()
        self.controller.reset_counts()  # start() made one readiness connection

    def stop(self) -> None:
        if self.controller is not None:
            self.connections_before += self.controller.connections
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        return self.handler.messages

    @property
    def connections(self) -> int:
        live = self.controller.connections if self.controller else 0
        return self.connections_before + live

    def env(self) -> dict[str, str]:
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(self.port), "MAIL_TIMEOUT": "5"}


@pytest.fixture
def smtp_server():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


def use_smtp(app, server: SMTPServer) -> None:
    """Point an in-process app at the test server (conftest suppresses sending by default)."""
    override_settings(
        app, MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_SUPPRESS_SEND=False, MAIL_TIMEOUT=5
    )


# --- data ---------------------------------------------------------------------------------------------------


def make_user(email_address: str, name: str, role: Role = Role.CUSTOMER, **extra) -> User:
    user = User(email=email_address, name=name, password_hash="x", role=role.value, **extra)
    db.session.add(user)
    return user


def make_order(customer: User, number: str = "A1003", total: str = "42.00") -> Order:
    order = Order(
        number=number, customer=customer, status="delivered", total=Decimal(total), payment_method="paypal"
    )
    order.items.append(
        OrderItem(sku="HP-1", name="Wireless headphones", quantity=1, unit_price=Decimal(total))
    )
    db.session.add(order)
    return order


def make_ticket(
    customer: User, subject: str = "Headphones stopped working", order: Order | None = None
) -> Ticket:
    ticket = Ticket(customer=customer, subject=subject, body="They crackle in the left ear.", order=order)
    db.session.add(ticket)
    db.session.flush()
    return ticket


@pytest.fixture
def people(app):
    """A customer, an opted-out customer and two staff members on the SQLite app."""
    with app.app_context():
        make_user("casey@example.com", "Casey Customer")
        make_user("quiet@example.com", "Quinn Quiet", email_updates=False)
        make_user("stella@example.com", "Stella Staff", Role.STAFF)
        make_user("adam@example.com", "Adam Admin", Role.ADMIN)
        make_user("gone@example.com", "Gus Gone", Role.STAFF, active=False)
        db.session.commit()
    return app


def by_email(address: str) -> User:
    from sqlalchemy import select

    return db.session.scalar(select(User).where(User.email == address))


def resolve(ticket: Ticket) -> None:
    ticket.status, ticket.resolved_at = "resolved", utcnow()
