"""The API's request and response bodies (pydantic), and their builders from the ORM rows.

Request models forbid unknown fields, so a misspelt field is a 422, not silently ignored. Text refuses
NUL characters (Postgres cannot store them). Money is a decimal string in answers, a number or a string
in requests; timestamps are ISO 8601 with a time zone.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

from portal.models import ActionLog, Message, Order, Ticket, User

OrderStatusName = Literal["pending", "shipped", "delivered", "cancelled", "refunded"]
PaymentMethodName = Literal["card", "paypal", "gift_card"]
TicketStatusName = Literal["new", "processing", "answered", "escalated", "resolved"]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not accepted")
    return value


def Text(max_length: int, min_length: int = 1):  # noqa: N802 - reads as a type in the models below
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)]


Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Email = Annotated[EmailStr, Field(max_length=254)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- pagination -------------------------------------------------------------------------------------------


class PageQuery(Request):
    limit: int = Field(50, ge=1, le=100, description="Items per page (at most 100).")
    cursor: str | None = Field(None, max_length=40, description="`next_cursor` of the previous page.")


# --- customers --------------------------------------------------------------------------------------------


class CustomerUpsert(Request):
    email: Email
    name: Text(120)


class CustomerQuery(PageQuery):
    email: Email | None = None


class CustomerOut(BaseModel):
    id: int
    email: str
    name: str
    created_at: datetime


class CustomerPage(BaseModel):
    data: list[CustomerOut]
    next_cursor: str | None


def customer_out(user: User) -> CustomerOut:
    return CustomerOut(id=user.id, email=user.email, name=user.name, created_at=user.created_at)


# --- orders -----------------------------------------------------------------------------------------------


class OrderItemIn(Request):
    sku: Text(40)
    name: Text(200)
    quantity: int = Field(ge=1, le=100_000)
    unit_price: Money


class OrderChanges(Request):
    """A status change, delivery or tracking update (PATCH): only the fields given change."""

    status: OrderStatusName | None = None
    shipped_at: AwareDatetime | None = None
    delivered_at: AwareDatetime | None = None
    cancelled_at: AwareDatetime | None = None
    carrier: Text(40) | None = None
    tracking_number: Text(64) | None = None
    delivery_address: Text(200) | None = None


class OrderUpsert(OrderChanges):
    """The whole order as the shop has it (PUT): sending the same body again changes nothing."""

    customer_email: Email
    status: OrderStatusName = "pending"
    placed_at: AwareDatetime | None = None
    total: Money
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    payment_method: PaymentMethodName = "card"
    items: list[OrderItemIn] = Field(min_length=1, max_length=500)


class OrderQuery(PageQuery):
    customer_email: Email | None = None
    status: OrderStatusName | None = None


class OrderItemOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


class OrderOut(BaseModel):
    number: str
    customer_email: str
    status: str
    placed_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    total: Decimal
    currency: str
    payment_method: str
    carrier: str | None
    tracking_number: str | None
    delivery_address: str | None
    items: list[OrderItemOut]


class OrderPage(BaseModel):
    data: list[OrderOut]
    next_cursor: str | None


def order_out(order: Order) -> OrderOut:
    items = [
        OrderItemOut(sku=i.sku, name=i.name, quantity=i.quantity, unit_price=i.unit_price)
        for i in order.items
    ]
    fields = {
        name: getattr(order, name)
        for name in OrderOut.model_fields
        if name not in ("customer_email", "items")
    }
    return OrderOut(customer_email=order.customer.email, items=items, **fields)


# --- tickets ----------------------------------------------------------------------------------------------


class TicketCreate(Request):
    customer_email: Email
    subject: Text(200)
    message: Text(5000)
    order_number: Text(32) | None = None


class TicketQuery(PageQuery):
    status: TicketStatusName | None = None
    customer_email: Email | None = None
    order_number: str | None = Field(None, max_length=32)
    created_after: AwareDatetime | None = None


class ReplyCreate(Request):
    message: Text(5000)


class EscalateRequest(Request):
    comment: Text(1000, min_length=0) = ""


class MessageOut(BaseModel):
    id: int
    author: Literal["customer", "agent", "staff", "system"]
    body: str
    created_at: datetime
    citations: list[dict[str, Any]] = []


class TicketOut(BaseModel):
    reference: str
    status: str
    priority: str
    subject: str
    customer_email: str
    order_number: str | None
    intent: str | None
    language: str | None
    escalation_reason: str | None
    satisfaction: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None


class TicketDetail(TicketOut):
    messages: list[MessageOut]


class TicketPage(BaseModel):
    data: list[TicketOut]
    next_cursor: str | None


def ticket_out(ticket: Ticket) -> TicketOut:
    return TicketOut(**_ticket_fields(ticket))


def ticket_detail(ticket: Ticket, messages: list[Message]) -> TicketDetail:
    return TicketDetail(**_ticket_fields(ticket), messages=[message_out(m) for m in messages])


def _ticket_fields(ticket: Ticket) -> dict[str, Any]:
    fields = {
        name: getattr(ticket, name)
        for name in TicketOut.model_fields
        if name not in ("customer_email", "order_number")
    }
    fields["customer_email"] = ticket.customer.email
    fields["order_number"] = ticket.order.number if ticket.order else None
    return fields


def message_out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.id,
        author=message.author_kind,
        body=message.body,
        created_at=message.created_at,
        citations=message.citations or [],
    )


# --- the audit trail --------------------------------------------------------------------------------------


class ActionOut(BaseModel):
    id: int
    created_at: datetime
    actor_kind: str
    actor_name: str
    tool: str
    decision: str
    reason_code: str | None
    order_number: str | None
    amount: Decimal | None
    currency: str | None
    detail: str | None


class ActionPage(BaseModel):
    data: list[ActionOut]
    next_cursor: str | None


def action_out(row: ActionLog) -> ActionOut:
    return ActionOut(**{name: getattr(row, name) for name in ActionOut.model_fields})
