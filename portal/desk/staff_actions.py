"""Staff actions on the ticket customer's orders: the agent's tools, through the same service layer.

`act` calls portal.services.execute as the agent's toolbox does (same rules, same lock, same idempotency,
same action log, with the staff member as actor). When it did something new the customer sees it on the
ticket (a staff message carrying the outcome, like an approval) and gets the same essential email the
agent's actions send; an admin's override is also shown to staff as an internal note.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.desk.actions import _mark_answered_by
from portal.desk.forms import StaffAddressForm, StaffCancelForm, StaffRefundForm, StaffReplacementForm
from portal.extensions import db
from portal.mailer.notifications import notify
from portal.models import AuthorKind, Cancellation, Message, Order, Refund, Replacement, Ticket, User
from portal.services import ActionResult, Actor, execute
from portal.services.overrides import Override
from portal.services.transaction import customer_transaction
from tools.messages import action_kind

FORMS = {
    "refund": StaffRefundForm,
    "replacement": StaffReplacementForm,
    "cancel": StaffCancelForm,
    "change_address": StaffAddressForm,
}
_ROWS = {"refund": Refund, "cancel": Cancellation, "replacement": Replacement}
ORDERS_SHOWN = 50


def customer_orders(ticket: Ticket) -> list[Order]:
    """The orders staff may act on from this ticket: its customer's own (newest first)."""
    query = (
        select(Order)
        .where(Order.customer_id == ticket.customer_id)
        .options(selectinload(Order.items))
        .order_by(Order.placed_at.desc())
        .limit(ORDERS_SHOWN)
    )
    return list(db.session.scalars(query))


def build_form(tool: str, ticket: Ticket, orders: list[Order], *, posted: bool = True):
    """The action's form with the customer's orders (and their items) as its only choices; `posted`
    reads the request's form data, otherwise it is a fresh form for the page."""
    form = FORMS[tool](prefix=tool) if posted else FORMS[tool](prefix=tool, formdata=None)
    if not posted:
        form.request_key.data = secrets.token_urlsafe(16)
    form.order.choices = [(o.number, f"{o.number} · {o.status}") for o in orders]
    if form.order.data is None and ticket.order is not None:
        form.order.data = ticket.order.number
    if hasattr(form, "lines"):
        form.lines.choices = [(i.id, f"{o.number} · {i.name}") for o in orders for i in o.items]
    return form


def all_forms(ticket: Ticket, posted: dict[str, Any]) -> dict[str, Any]:
    """Every action form for the ticket page (a posted one with its errors, the rest fresh)."""
    orders = customer_orders(ticket)
    return {
        f"{tool}_form": posted.get(tool) or build_form(tool, ticket, orders, posted=False) for tool in FORMS
    }


def tool_args(tool: str, form, orders: list[Order]) -> dict[str, Any] | str:
    """The tool's arguments from a valid form, or why the chosen items do not fit the chosen order."""
    args: dict[str, Any] = {"order_number": form.order.data}
    if hasattr(form, "lines") and form.lines.data:
        items = _item_names(form, orders)
        if isinstance(items, str):
            return items
        args["item_names"] = items
    for field in ("reason", "problem", "description", "address"):
        value = getattr(form, field, None)
        if value is not None and (value.data or "").strip():
            args[field] = value.data.strip()
    return args


def _item_names(form, orders: list[Order]) -> list[str] | str:
    """The ticked items' names, or why they do not fit the chosen order."""
    order = next(o for o in orders if o.number == form.order.data)
    names = {i.id: i.name for i in order.items}
    if any(item_id not in names for item_id in form.lines.data):
        return f"Tick only items of order {order.number}."
    return [names[item_id] for item_id in form.lines.data]


def act(
    ticket: Ticket,
    staff: User,
    tool: str,
    args: dict[str, Any],
    *,
    override: Override | None,
    request_key: str,
) -> ActionResult:
    """Carry out the action for the ticket's customer; on a new effect, tell the customer."""
    ticket_id, staff_id, customer_id = ticket.id, staff.id, ticket.customer_id
    result = execute(
        tool,
        ticket_id=ticket_id,
        customer_id=customer_id,
        args=args,
        actor=Actor.staff(staff_id, staff.name),
        override=override,
        request_key=request_key,
    )
    if result.replayed or result.outcome not in ("done", "held"):
        return result
    with customer_transaction(customer_id):
        ticket, staff = db.session.get(Ticket, ticket_id), db.session.get(User, staff_id)
        _tell_customer(ticket, staff, result)
        if override is not None:
            _override_note(ticket, staff, override, result)
    return result


def _tell_customer(ticket: Ticket, staff: User, result: ActionResult) -> None:
    message = Message(
        author_kind=AuthorKind.STAFF.value, author_id=staff.id, body=result.message, outcome=result.as_dict()
    )
    ticket.messages.append(message)
    if result.outcome == "held":  # still waiting for an approval: the ticket stays with the team
        ticket.human_involved = True
        notify("action_held", ticket, refund=db.session.get(Refund, result.effect_id), by="staff")
        return
    _mark_answered_by(ticket, staff)
    model = _ROWS.get(result.tool)
    if model is not None:  # an address change sends its own confirmation (portal.services.effects)
        kind = action_kind(result.tool)
        notify("action_done", ticket, action=kind, **{kind: db.session.get(model, result.effect_id)})


def _override_note(ticket: Ticket, staff: User, override: Override, result: ActionResult) -> None:
    body = (
        f"Admin override by {staff.name} of the {override.words()} for order {result.order_number}: "
        f"{override.reason.strip()}"
    )
    ticket.messages.append(
        Message(author_kind=AuthorKind.STAFF.value, author_id=staff.id, body=body, internal=True)
    )
