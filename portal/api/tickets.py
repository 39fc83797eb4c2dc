"""/api/v1/tickets: open a ticket for a customer (the agent answers as usual), follow, reply, escalate,
resolve, and read its audit trail. Replies and escalations act as the customer; internal notes never show.
"""

from __future__ import annotations

from flask import g, request
from sqlalchemy import select

from portal.api import paging
from portal.api.errors import ApiError
from portal.api.schemas import (
    ActionPage,
    EscalateRequest,
    MessageOut,
    PageQuery,
    ReplyCreate,
    TicketCreate,
    TicketDetail,
    TicketPage,
    TicketQuery,
    action_out,
    message_out,
    ticket_detail,
    ticket_out,
)
from portal.api.spec import operation
from portal.auth.accounts import find_user_by_email
from portal.extensions import db
from portal.models import ActionLog, Message, Order, Ticket, TicketStatus
from portal.services import shop
from portal.services.transaction import customer_transaction
from portal.support import actions
from portal.support.tickets import TicketError, add_customer_reply, open_ticket, resolve_by_integration

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _ticket_or_404(reference: str) -> Ticket:
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference[:16]))
    if ticket is None:
        raise ApiError(404, "not_found", f"No ticket {reference}.")
    return ticket


def _detail(ticket: Ticket) -> TicketDetail:
    messages = db.session.scalars(
        select(Message)
        .where(Message.ticket_id == ticket.id, Message.internal.is_(False))
        .order_by(Message.id)
    ).all()
    return ticket_detail(ticket, list(messages))


@operation(
    "/tickets",
    "POST",
    summary="Open a ticket for a customer (the agent answers it)",
    tag="tickets",
    scope="write",
    status=201,
    body=TicketCreate,
    response=TicketDetail,
    errors=(409,),
)
def create_ticket(body: TicketCreate):
    """An `Idempotency-Key` header (up to 64 characters) makes a retried request return the first ticket."""
    customer = _customer(body.customer_email)
    token = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()[:64] or None
    try:
        with customer_transaction(customer.id):  # a retry with the same key waits here, then finds it
            earlier = actions.ticket_for_form_token(customer, token)
            if earlier is None:
                ticket = open_ticket(customer, body.subject, body.message, order=_order(body, customer))
                ticket.form_token = token
    except TicketError as exc:
        raise ApiError(422, "invalid_ticket", str(exc)) from exc
    if earlier is not None:
        return _detail(earlier), 200
    return _detail(ticket), 201


def _order(body: TicketCreate, customer) -> Order | None:
    if not body.order_number:
        return None
    order = shop.find_order(body.order_number)
    if order is None or order.customer_id != customer.id:
        raise ApiError(422, "order_not_found", f"{body.customer_email} has no order {body.order_number}.")
    return order


def _customer(email: str):
    try:
        return shop.find_customer(email)
    except shop.ShopDataError as exc:
        raise ApiError(422, exc.code, str(exc)) from exc


@operation(
    "/tickets",
    "GET",
    summary="List tickets, newest last, filtered",
    tag="tickets",
    scope="read",
    query=TicketQuery,
    response=TicketPage,
)
def list_tickets(query: TicketQuery):
    statement = select(Ticket)
    if query.status:
        statement = statement.where(Ticket.status == query.status)
    if query.customer_email:
        customer = find_user_by_email(query.customer_email)
        statement = statement.where(Ticket.customer_id == (customer.id if customer else -1))
    if query.order_number:
        order = shop.find_order(query.order_number)
        statement = statement.where(Ticket.order_id == (order.id if order else -1))
    if query.created_after:
        statement = statement.where(Ticket.created_at > query.created_after)
    rows, cursor = paging.page(statement, Ticket.id, query.limit, query.cursor)
    return TicketPage(data=[ticket_out(t) for t in rows], next_cursor=cursor)


@operation(
    "/tickets/<reference>",
    "GET",
    summary="Read a ticket with its messages (no internal notes)",
    tag="tickets",
    scope="read",
    response=TicketDetail,
    errors=(404,),
)
def get_ticket(reference: str):
    return _detail(_ticket_or_404(reference))


@operation(
    "/tickets/<reference>/replies",
    "POST",
    summary="Reply as the customer",
    tag="tickets",
    scope="write",
    status=201,
    body=ReplyCreate,
    response=MessageOut,
    errors=(404,),
)
def reply(reference: str, body: ReplyCreate):
    ticket = _ticket_or_404(reference)
    try:
        with customer_transaction(ticket.customer_id):
            db.session.refresh(ticket)
            message = add_customer_reply(ticket, body.message)
    except TicketError as exc:
        raise ApiError(422, "invalid_reply", str(exc)) from exc
    return message_out(message), 201


@operation(
    "/tickets/<reference>/escalate",
    "POST",
    summary="Hand the ticket to a person, for the customer",
    tag="tickets",
    scope="write",
    body=EscalateRequest,
    response=TicketDetail,
    errors=(404, 409),
)
def escalate(reference: str, body: EscalateRequest):
    ticket = _ticket_or_404(reference)
    with customer_transaction(ticket.customer_id):
        db.session.refresh(ticket)
        already = ticket.status == TicketStatus.ESCALATED.value
        if not already and not actions.escalate_to_person(ticket, body.comment):
            raise ApiError(409, "invalid_state", f"A {ticket.status} ticket cannot be escalated yet.")
    return _detail(ticket)


@operation(
    "/tickets/<reference>/resolve",
    "POST",
    summary="Mark the ticket resolved",
    tag="tickets",
    scope="write",
    response=TicketDetail,
    errors=(404,),
)
def resolve(reference: str):
    ticket = _ticket_or_404(reference)
    with customer_transaction(ticket.customer_id):
        db.session.refresh(ticket)
        resolve_by_integration(ticket, g.api_key_name)
    return _detail(ticket)


@operation(
    "/tickets/<reference>/actions",
    "GET",
    summary="The ticket's audit trail (action log)",
    tag="tickets",
    scope="read",
    query=PageQuery,
    response=ActionPage,
    errors=(404,),
)
def ticket_actions(reference: str, query: PageQuery):
    ticket = _ticket_or_404(reference)
    statement = select(ActionLog).where(ActionLog.ticket_id == ticket.id)
    rows, cursor = paging.page(statement, ActionLog.id, query.limit, query.cursor)
    return ActionPage(data=[action_out(row) for row in rows], next_cursor=cursor)
