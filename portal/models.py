"""The data model: SQLAlchemy 2.0 typed models shared by the portal, the tools' service layer and the worker.

Money is Numeric(12, 2) read as Decimal; every timestamp is timezone-aware UTC (see UTCDateTime).
Views and jobs own the commit; functions here may only add to the session.
"""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from portal.auth import passwords
from portal.database import search_ddl
from portal.extensions import db

Money = Numeric(12, 2)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum_values(enum_cls: type[enum.Enum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum_cls)


class Role(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    ADMIN = "admin"


class OrderStatus(StrEnum):
    PENDING = "pending"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class PaymentMethod(StrEnum):
    CARD = "card"
    PAYPAL = "paypal"
    GIFT_CARD = "gift_card"


class TicketStatus(StrEnum):
    NEW = "new"  # waiting for the agent
    PROCESSING = "processing"  # the agent is working on it
    ANSWERED = "answered"  # the agent (or staff) answered; waiting for the customer
    ESCALATED = "escalated"  # needs a person (see escalation_reason)
    RESOLVED = "resolved"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class AuthorKind(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    STAFF = "staff"
    SYSTEM = "system"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ActorKind(StrEnum):
    AGENT = "agent"
    STAFF = "staff"
    SYSTEM = "system"
    CUSTOMER = "customer"


class ActionDecision(StrEnum):
    DONE = "done"
    DENIED = "denied"
    HELD = "held"
    APPROVED = "approved"
    REJECTED = "rejected"
    ERROR = "error"
    NOTE = "note"  # staff desk actions that move no money: claim, reply, resolve ...


class RefundStatus(StrEnum):
    ISSUED = "issued"
    HELD = "held"  # above the approval threshold: waits for staff
    REJECTED = "rejected"


class DraftStatus(StrEnum):
    PENDING = "pending"  # waiting for a person: never sent by itself
    SENT = "sent"  # sent as the agent wrote it
    SENT_EDITED = "sent_edited"  # a person changed it, then sent it
    DISCARDED = "discarded"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by one send job (pending -> sending is a conditional UPDATE)
    SENT = "sent"
    FAILED = "failed"


def new_reference(prefix: str = "T") -> str:
    """A short public reference that does not reveal how many tickets exist."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return prefix + "-" + "".join(secrets.choice(alphabet) for _ in range(8))


def new_session_token() -> str:
    return secrets.token_urlsafe(32)  # 43 characters


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({_enum_values(Role)})", name="ck_users_role"),
        # The desk lists active staff by name on every queue and ticket page: the few staff rows of a
        # users table that is mostly customers (a sequential scan of 10k users was 2.5 ms per page).
        Index(
            "ix_users_staff",
            "name",
            sqlite_where=text("role IN ('staff', 'admin')"),
            postgresql_where=text("role IN ('staff', 'admin')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=Role.CUSTOMER.value)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_updates: Mapped[bool] = mapped_column(Boolean, default=True)  # non-essential notifications
    # Marketing mail is opt-in: off until the customer turns it on in Account settings.
    newsletter: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every session's and remember-me cookie's user id ("id:token", get_id): a new token ends
    # every session signed in before.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # Set when the customer opened the signed link sent to their address (or confirmed a new address).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the account was closed and its personal data anonymised (portal/services/privacy.py).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Staff: available for auto-assignment, or away (portal/desk/routing.py skips them).
    available: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())

    orders: Mapped[list[Order]] = relationship(back_populates="customer", order_by="Order.placed_at.desc()")
    addresses: Mapped[list[UserAddress]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserAddress.id"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = passwords.hash_password(password)  # argon2id, salted

    def check_password(self, password: str) -> bool:
        return passwords.verify_password(self.password_hash, password)

    def get_id(self) -> str:  # Flask-Login stores this in the session and the remember-me cookie
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """End every session and remember-me cookie of this user (the caller commits; log the current
        browser in again to keep it)."""
        self.session_token = new_session_token()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF.value, Role.ADMIN.value)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"status IN ({_enum_values(OrderStatus)})", name="ck_orders_status"),
        CheckConstraint(f"payment_method IN ({_enum_values(PaymentMethod)})", name="ck_orders_payment"),
        CheckConstraint("total >= 0", name="ck_orders_total"),
        Index("ix_orders_customer_placed", "customer_id", "placed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.PENDING.value)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    payment_method: Mapped[str] = mapped_column(String(16), default=PaymentMethod.CARD.value)
    carrier: Mapped[str | None] = mapped_column(String(40))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    delivery_address: Mapped[str | None] = mapped_column(String(200))

    customer: Mapped[User] = relationship(back_populates="orders")
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    refunds: Mapped[list[Refund]] = relationship(back_populates="order", order_by="Refund.id")
    replacements: Mapped[list[Replacement]] = relationship(back_populates="order", order_by="Replacement.id")

    def __repr__(self) -> str:
        return f"<Order {self.number} {self.status}>"


class UserAddress(db.Model):
    """A delivery address the customer saved in their address book; at most one is the default."""

    __tablename__ = "user_addresses"
    __table_args__ = (
        # One default per customer, enforced by the database (a partial index works on both engines).
        Index(
            "uq_user_addresses_default",
            "user_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="addresses")


class Invoice(db.Model):
    """An order's invoice number, assigned once from the table's own sequence (the primary key)."""

    __tablename__ = "invoices"
    # AUTOINCREMENT on SQLite: an id is never reused, so invoice numbers never repeat even after a delete.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), unique=True)
    number: Mapped[str | None] = mapped_column(String(24), unique=True)  # set right after the id is known
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship()


class OrderItem(db.Model):
    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_order_items_quantity"),
        # The database, not only the tool, refuses a second refund of the same unit.
        CheckConstraint(
            "refunded_quantity >= 0 AND refunded_quantity <= quantity", name="ck_order_items_refunded"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    # Units refunded or held for a refund (a held refund reserves them; rejecting it frees them).
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    order: Mapped[Order] = relationship(back_populates="items")

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class Ticket(db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(f"status IN ({_enum_values(TicketStatus)})", name="ck_tickets_status"),
        CheckConstraint(f"priority IN ({_enum_values(Priority)})", name="ck_tickets_priority"),
        CheckConstraint("satisfaction IN ('satisfied', 'unsatisfied')", name="ck_tickets_satisfaction"),
        Index("ix_tickets_customer_created", "customer_id", "created_at"),
        Index("ix_tickets_status_sla", "status", "sla_due_at"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        # The desk queue sorts across statuses ("open", "all") by date or SLA and pages with LIMIT/OFFSET:
        # without these, Postgres sorts every ticket per page (255 ms at 100k tickets; docs/performance.md).
        Index("ix_tickets_created", "created_at", "id"),
        Index("ix_tickets_sla_due", "sla_due_at"),
        # "Open" filtered by priority, sorted by SLA, and its pagination count (a sequential scan of every
        # ticket without it): only unresolved tickets are indexed, so it stays small as resolved ones pile up.
        Index(
            "ix_tickets_open_priority_sla",
            "priority",
            "sla_due_at",
            "id",
            sqlite_where=text("status <> 'resolved'"),
            postgresql_where=text("status <> 'resolved'"),
        ),
        # Tickets waiting for a person or the agent (a few % of all): the queue's counts, its reason list,
        # "escalated, newest" and the waiting queue by team or reason are index-only scans of this small
        # index (docs/performance.md).
        Index(
            "ix_tickets_waiting",
            "status",
            "created_at",
            "id",
            "assignee_id",
            "sla_due_at",
            "escalation_reason",
            "team_id",
            "priority",
            sqlite_where=text("status IN ('escalated', 'new', 'processing')"),
            postgresql_where=text("status IN ('escalated', 'new', 'processing')"),
        ),  # fmt: skip
        # The desk ticket page lists the duplicates merged into the ticket: only merged tickets are indexed
        # (without it, a sequential scan of every ticket per page view: 30-40 ms at 100k tickets).
        Index(
            "ix_tickets_merged_into",
            "merged_into_id",
            sqlite_where=text("merged_into_id IS NOT NULL"),
            postgresql_where=text("merged_into_id IS NOT NULL"),
        ),
        # The new-ticket form's one-time token: the same form sent twice finds the ticket it opened.
        UniqueConstraint("customer_id", "form_token", name="uq_tickets_customer_form_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True, default=new_reference)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.NEW.value)
    priority: Mapped[str] = mapped_column(String(2), default=Priority.P3.value)
    intent: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(8))  # ISO 639-1, as the agent detected it
    sentiment: Mapped[float | None]
    confidence: Mapped[float | None]
    escalation_reason: Mapped[str | None] = mapped_column(String(200))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    customer_turns: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first response due
    # Resolution due (set when a person takes over); the clock stops while waiting for the customer.
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    satisfaction: Mapped[str | None] = mapped_column(String(12))
    satisfaction_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    human_involved: Mapped[bool] = mapped_column(Boolean, default=False)  # a person replied or decided
    form_token: Mapped[str | None] = mapped_column(String(64))
    # When the customer last opened the ticket's page: staff replies after it are "unread".
    customer_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The team whose queue the ticket is in (portal/desk/routing.py); the ticket a duplicate was merged into.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))

    customer: Mapped[User] = relationship(foreign_keys=[customer_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    order: Mapped[Order | None] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="Message.id"
    )
    runs: Mapped[list[AgentRun]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="AgentRun.id"
    )
    team: Mapped[Team | None] = relationship()
    merged_into: Mapped[Ticket | None] = relationship(remote_side="Ticket.id")
    tags: Mapped[list[Tag]] = relationship(secondary="ticket_tags", order_by="Tag.name")

    def __repr__(self) -> str:
        return f"<Ticket {self.reference} {self.status}>"


class Message(db.Model):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(f"author_kind IN ({_enum_values(AuthorKind)})", name="ck_messages_author_kind"),
        Index("ix_messages_ticket_created", "ticket_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author_kind: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    agent_run_id: Mapped[int | None] = mapped_column(ForeignKey("agent_runs.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    # [{"policy": "refunds", "heading": "...", "text": "..."}]
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # What an action taken with this message did: {"action": "refund", "decision": "done", ...}
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)  # staff-only note
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()


class Team(db.Model):
    """A group of staff with its own queue (billing, shipping, general); routing rules send tickets here."""

    __tablename__ = "teams"
    __table_args__ = (
        # At most one default team: where a ticket goes when no rule matches (partial index, both engines).
        Index("uq_teams_default", "is_default", unique=True, sqlite_where=text("is_default"),
              postgresql_where=text("is_default")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # Open tickets one member may hold before auto-assignment passes them by (None: DESK_MAX_OPEN_PER_PERSON).
    max_open_per_person: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(secondary="team_members", order_by="User.name")


class TeamMember(db.Model):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class RoutingRule(db.Model):
    """Tickets whose intent and priority match go to `team`; the lowest position that matches wins.

    An empty list matches anything, so a rule may name intents only, priorities only, or both.
    """

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    intents: Mapped[list[str]] = mapped_column(JSON, default=list)
    priorities: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)

    team: Mapped[Team] = relationship()


class Tag(db.Model):
    """A label staff put on tickets ("vip", "carrier-delay"); lower-case, shared by everyone."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class TicketTag(db.Model):
    __tablename__ = "ticket_tags"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class SavedView(db.Model):
    """A staff member's named set of queue filters (personal), listed on the desk."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_views_user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(60))
    filters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # QueueFilters.args()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AgentRun(db.Model):
    __tablename__ = "agent_runs"
    __table_args__ = (
        CheckConstraint(f"status IN ({_enum_values(RunStatus)})", name="ck_agent_runs_status"),
        Index("ix_agent_runs_status_queued", "status", "queued_at"),
        Index("ix_agent_runs_ticket", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED.value)
    trigger: Mapped[str] = mapped_column(String(16), default="created")  # created | reply | rerun | requeue
    backend: Mapped[str | None] = mapped_column(String(32))
    model: Mapped[str | None] = mapped_column(String(64))
    job_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_ms: Mapped[float | None]
    model_calls: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 6), default=Decimal("0"))
    # [{"step": "triage", "ms": 0.4, "input": {...}, "output": {...}}] (redacted)
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    action: Mapped[str | None] = mapped_column(
        String(20)
    )  # refund | cancel | ... | answer | clarify | escalate
    outcome: Mapped[str | None] = mapped_column(String(12))  # done | denied | held
    error: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="runs")

    @property
    def reply_replaced(self) -> str | None:
        """Why the model's reply was replaced for claiming what no tool did (worker.agent.grounding)."""
        step = next((s for s in self.trace or [] if s.get("step") == "grounding"), None)
        return (step or {}).get("output", {}).get("why")


class ActionLog(db.Model):
    """Append-only audit log of every action attempt (see the guard below)."""

    __tablename__ = "action_log"
    __table_args__ = (
        CheckConstraint(f"decision IN ({_enum_values(ActionDecision)})", name="ck_action_log_decision"),
        CheckConstraint(f"actor_kind IN ({_enum_values(ActorKind)})", name="ck_action_log_actor_kind"),
        Index("ix_action_log_created", "created_at"),
        Index("ix_action_log_ticket", "ticket_id", "id"),
        Index("ix_action_log_tool_decision", "tool", "decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(Integer)  # user id (staff) or agent run id
    actor_name: Mapped[str] = mapped_column(String(120))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    order_number: Mapped[str | None] = mapped_column(String(32))
    tool: Mapped[str] = mapped_column(String(40))
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # PII-redacted
    decision: Mapped[str] = mapped_column(String(12))
    reason_code: Mapped[str | None] = mapped_column(String(60))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    detail: Mapped[str | None] = mapped_column(Text)


@event.listens_for(ActionLog, "before_update")
@event.listens_for(ActionLog, "before_delete")
def _action_log_is_append_only(mapper, connection, target) -> None:
    raise RuntimeError("action_log is append-only")


class Refund(db.Model):
    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint(f"status IN ({_enum_values(RefundStatus)})", name="ck_refunds_status"),
        CheckConstraint("amount > 0", name="ck_refunds_amount"),
        Index("ix_refunds_customer_created", "customer_id", "created_at"),
        Index("ix_refunds_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)  # why it was asked for / why it is held
    items: Mapped[list[str]] = mapped_column(JSON, default=list)  # item names for a partial refund
    payment_reference: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The staff member who asked for it (None: the agent, a customer or a script): a refund held for
    # approval needs a second person, so they cannot approve it themselves.
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str | None] = mapped_column(Text)  # staff only, never shown to the customer
    # A rejection's reason (a key of tools.messages.REJECTION_REASONS) and note, both read by the customer.
    decision_reason: Mapped[str | None] = mapped_column(String(40))
    customer_note: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(back_populates="refunds")
    lines: Mapped[list[RefundItem]] = relationship(
        back_populates="refund", cascade="all, delete-orphan", order_by="RefundItem.id"
    )


class RefundItem(db.Model):
    """Which order line, and how many of its units, a refund covers (a whole-order refund: every line)."""

    __tablename__ = "refund_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_refund_items_quantity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id", ondelete="CASCADE"), index=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)

    refund: Mapped[Refund] = relationship(back_populates="lines")


class Cancellation(db.Model):
    __tablename__ = "cancellations"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(16))
    payment_reference: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship()


class AddressChange(db.Model):
    """An order sent to another delivery address before it shipped (old and new kept for audit)."""

    __tablename__ = "address_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    old_address: Mapped[str | None] = mapped_column(String(200))
    new_address: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship()


class Replacement(db.Model):
    __tablename__ = "replacements"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(String(20))  # damaged | defective | wrong
    items: Mapped[list[str]] = mapped_column(JSON, default=list)
    shipment_reference: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="replacements")


class LedgerEntry(db.Model):
    """Money moved back to a customer through the built-in payments ledger."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_customer_method", "customer_id", "method"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))  # refund | cancellation
    method: Mapped[str] = mapped_column(String(16))  # card | paypal | gift_card
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EmailOutbox(db.Model):
    """A notification written in the same transaction as its event and sent later by a job."""

    __tablename__ = "email_outbox"
    __table_args__ = (
        CheckConstraint(f"status IN ({_enum_values(OutboxStatus)})", name="ck_email_outbox_status"),
        Index("ix_email_outbox_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    subject: Mapped[str] = mapped_column(String(250))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # Message-ID, In-Reply-To, References
    status: Mapped[str] = mapped_column(String(12), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    send_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InboundOutcome(StrEnum):
    THREADED = "threaded"  # added to its ticket's thread
    OPENED = "opened"  # a new ticket for a known customer
    SIGNUP = "signup"  # unknown sender: told how to sign up
    IGNORED = "ignored"  # auto-reply, bounce, loop, nothing new, rate-limited pointer
    REFUSED = "refused"  # a forged reply address


class InboundEmail(db.Model):
    """One email taken in (portal/inbound): what it did. The unique key makes a refetched message a no-op."""

    __tablename__ = "inbound_emails"
    __table_args__ = (
        CheckConstraint(f"outcome IN ({_enum_values(InboundOutcome)})", name="ck_inbound_emails_outcome"),
        Index("ix_inbound_emails_sender_received", "sender", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the Message-ID (of the raw bytes when there is none): Message-IDs may be 998 characters.
    message_key: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(255))
    sender: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(200))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"), index=True)
    ticket_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Draft(db.Model):
    """A reply the agent drafted for a ticket that reached a person; staff send it (edited or not) or
    discard it. Never sent by itself."""

    __tablename__ = "drafts"
    __table_args__ = (
        Index("ix_drafts_ticket_status", "ticket_id", "status"),
        Index("ix_drafts_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    # [{policy, heading, text, score}] like Message.citations
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default=DraftStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))

    ticket: Mapped[Ticket] = relationship()


class CannedReply(db.Model):
    """A saved reply with placeholders: personal (owner set) or shared (owner NULL, admins edit it)."""

    __tablename__ = "canned_replies"
    __table_args__ = (Index("ix_canned_replies_owner_title", "owner_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[User | None] = relationship()

    @property
    def shared(self) -> bool:
        return self.owner_id is None


def _create_search_objects(table, connection, **_kw) -> None:
    search_ddl.create_objects(connection, (table.name,))


def _drop_search_objects(_table, connection, **_kw) -> None:
    search_ddl.drop_objects(connection)


# db.create_all() creates the full-text objects too (the migration creates the same ones).
for _table in (User.__table__, Ticket.__table__, Message.__table__):
    event.listen(_table, "after_create", _create_search_objects)
event.listen(Message.__table__, "before_drop", _drop_search_objects)


__all__ = [
    "ActionDecision",
    "ActionLog",
    "CannedReply",
    "Draft",
    "DraftStatus",
    "ContentRevision",
    "ActorKind",
    "AgentRun",
    "AuthorKind",
    "Cancellation",
    "EmailOutbox",
    "InboundEmail",
    "InboundOutcome",
    "LedgerEntry",
    "Message",
    "Order",
    "OrderItem",
    "OrderStatus",
    "OutboxStatus",
    "PaymentMethod",
    "Priority",
    "Refund",
    "RefundStatus",
    "Replacement",
    "Role",
    "RunStatus",
    "RoutingRule",
    "SavedView",
    "Tag",
    "Team",
    "TeamMember",
    "Ticket",
    "TicketStatus",
    "TicketTag",
    "User",
    "utcnow",
]


class HelpVote(db.Model):
    """A "was this helpful?" answer on a help article; one per visitor and article."""

    __tablename__ = "help_votes"
    __table_args__ = (UniqueConstraint("article", "visitor", name="uq_help_votes_article_visitor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article: Mapped[str] = mapped_column(String(80), index=True)
    visitor: Mapped[str] = mapped_column(String(64))
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(String(1000))
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HelpSearch(db.Model):
    """One help-center search: the (card-masked) query and how many articles it found."""

    __tablename__ = "help_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="en")
    results: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class HelpSuggestionClick(db.Model):
    """A customer opened an article suggested on the new-ticket form; `ticket_id` when a ticket followed."""

    __tablename__ = "help_suggestion_clicks"

    id: Mapped[int] = mapped_column(primary_key=True)
    article: Mapped[str] = mapped_column(String(80))
    visit: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ContentRevision(db.Model):
    """One saved version of a policy template or a help article, written by an admin in the portal.

    Append-only: the newest row of a (kind, key, language) is the current text (a revert adds a row),
    so the highest id is a cheap version number for everything that caches the texts.
    """

    __tablename__ = "content_revisions"
    __table_args__ = (Index("ix_content_revisions_lookup", "kind", "key", "language", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "policy" or "article"
    key: Mapped[str] = mapped_column(String(80))  # policy stem or article slug
    language: Mapped[str] = mapped_column(String(8), default="en")
    markdown: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()


class DeferredJob(db.Model):
    """A background job that could not be enqueued because Redis was down (portal.jobs.queue.defer).

    Written after the row it works on was committed, deleted once RQ has the job; workers sweep the
    table every few seconds, so the job runs as soon as Redis answers again.
    """

    __tablename__ = "deferred_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(120))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    queue: Mapped[str] = mapped_column(String(32))
    # "worker.jobs.process_ticket:42": lets the ticket page say its answer waits for the queue.
    job_key: Mapped[str] = mapped_column(String(200), index=True)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(db.Model):
    """A key for the REST API (/api/v1): only its prefix and a SHA-256 of the whole token are stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # public part, for lookup and display
    token_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex of the full token
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)  # read | write | orders
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ApiCall(db.Model):
    """One request to /api/v1: which key, what, and how it ended (kept for audit and support)."""

    __tablename__ = "api_calls"
    __table_args__ = (Index("ix_api_calls_key_created", "api_key_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(300))
    status: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class WebhookEndpoint(db.Model):
    """A URL an admin registered for some events; deliveries to it are signed with its secret."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Kept readable: every delivery is signed with it (an HMAC key cannot be stored as a hash).
    secret: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(db.Model):
    """The webhook outbox: one event for one endpoint, written in the event's transaction, sent by a job.

    The id is made in Python (not by the database), so the send job can be registered before any flush.
    States are the email outbox's: pending -> sending -> sent | failed.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN ({_enum_values(OutboxStatus)})", name="ck_webhook_deliveries_status"),
        Index("ix_webhook_deliveries_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: secrets.token_hex(16))
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)  # the exact JSON bytes that are signed and sent, every attempt
    status: Mapped[str] = mapped_column(String(12), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # sending: the claim's expiry; pending: when the periodic check may hand it back again (None: any time)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    endpoint: Mapped[WebhookEndpoint] = relationship()
