"""What each notification says: the template, subject and context per event.

Every customer message about a ticket carries the same subject ("[T-XXXX] <ticket subject>", with "Re:"
after the first) because some mail clients thread by subject as well as by References; the event's own
news is the first line of the body, which inboxes show as the preview.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from portal.config import settings
from portal.extensions import db
from portal.inbound.addresses import reply_address
from portal.mailer import feedback
from portal.mailer.compose import Draft, render, settings_url, summary
from portal.mailer.links import external_url, staff_ticket_url, thread_headers, ticket_url
from portal.models import Cancellation, Refund, Replacement, Ticket, User
from tools import messages as action_words
from tools.types import PAYMENT_METHOD_WORDS, business_days, format_money

ESSENTIAL_EVENTS = frozenset({"action_done", "action_held"})  # sent even to customers who opted out
ACTION_MODELS = {"refund": Refund, "cancellation": Cancellation, "replacement": Replacement}
STAFF_HEADLINES = {
    "escalated": "Escalated to a person",
    "action_held": "Action held for approval",
    "customer_replied": "Customer replied",
}


def customer_message(event: str, ticket: Ticket, context: dict[str, Any]) -> tuple[Draft, dict[str, str]]:
    """The draft and threading headers of the customer's message for `event`."""
    root = event == "ticket_received"
    subject = ("" if root else "Re: ") + f"[{ticket.reference}] {ticket.subject}"
    values = {
        "ticket": ticket,
        "customer": ticket.customer,
        "ticket_url": ticket_url(ticket.reference),
        "essential": event in ESSENTIAL_EVENTS,
    }
    values.update(_EVENT_CONTEXT.get(event, _nothing)(ticket, context))
    draft = render(event, subject, **values)
    headers = thread_headers(ticket.reference, event, root=root)
    headers["X-SupportOps-Ticket"] = ticket.reference
    reply_to = reply_address(ticket.reference)
    if reply_to:  # the signed per-ticket address: a reply lands in this thread (docs/email.md, "Email in")
        headers["Reply-To"] = reply_to
    headers["X-SupportOps-Event"] = event
    if not values["essential"] and settings_url():
        headers["List-Unsubscribe"] = f"<{settings_url()}>"  # the settings page turns updates off
    return draft, headers


def staff_alert(event: str, ticket: Ticket, context: dict[str, Any]) -> Draft:
    """One staff alert (merged with others into a digest by the send job)."""
    headline = STAFF_HEADLINES[event]
    message = context.get("message")
    values = {
        "ticket": ticket,
        "headline": headline,
        "reason": context.get("reason") or ticket.escalation_reason or "",
        "excerpt": summary(getattr(message, "body", None) or context.get("body")),
        "action": _action(ticket, context) if event == "action_held" else None,
        "desk_url": staff_ticket_url(ticket.reference),
    }
    return render("staff_alert", f"[{ticket.reference}] {headline}: {ticket.subject}", **values)


def staff_digest(alerts: list[Any]) -> Draft:
    """The alerts waiting for one person as one message (each alert keeps its own text and HTML)."""
    subject = alerts[0].subject if len(alerts) == 1 else f"{len(alerts)} tickets need your attention"
    return render("staff_digest", subject, alerts=alerts)


def _nothing(ticket: Ticket, context: dict[str, Any]) -> dict[str, Any]:
    return {}


def _answered(ticket: Ticket, context: dict[str, Any]) -> dict[str, Any]:
    message = context.get("message")
    return {"summary": summary(context.get("summary") or getattr(message, "body", None))}


def _staff_replied(ticket: Ticket, context: dict[str, Any]) -> dict[str, Any]:
    message, staff = context.get("message"), context.get("staff")
    author = staff or getattr(message, "author", None)
    if author is None and getattr(message, "author_id", None) is not None:
        author = db.session.get(User, message.author_id)  # a new message has the id, not the object yet
    return {
        "body": getattr(message, "body", None) or context.get("body") or "",
        "staff_name": getattr(author, "name", None) or "Our support team",
    }


def _escalated(ticket: Ticket, context: dict[str, Any]) -> dict[str, Any]:
    return {"by_customer": context.get("by") == "customer", "staff_name": context.get("staff_name")}


def _resolved(ticket: Ticket, context: dict[str, Any]) -> dict[str, Any]:
    message = context.get("message")
    return {
        "note": summary(getattr(message, "body", None) or context.get("note")),
        "satisfied_url": _feedback_url(ticket, "satisfied"),
        "unsatisfied_url": _feedback_url(ticket, "unsatisfied"),
        "feedback_days": _feedback_days(),
    }


def _feedback_url(ticket: Ticket, verdict: str) -> str:
    return external_url("mailer.feedback", token=feedback.make_token(ticket, verdict))


def _feedback_days() -> int:
    return settings().mail.feedback_max_age_days


def _action_context(ticket: Ticket, context: dict[str, Any]) -> dict[str, Any]:
    return {"action": _action(ticket, context)}


def _action(ticket: Ticket, context: dict[str, Any]) -> dict[str, Any]:
    """The action's facts from explicit keywords, else from the refund/cancellation/replacement row."""
    facts = _action_facts(ticket, context)
    facts["headline"] = action_words.email_headline(facts["kind"], facts["amount"], facts["order_number"])
    return facts


def _action_facts(ticket: Ticket, context: dict[str, Any]) -> dict[str, Any]:
    row, kind = _action_row(context)
    named = action_words.action_kind(str(context.get("action") or context.get("tool") or kind))
    kind = named or kind or "action"
    if row is None and not context.get("reference"):
        row = _latest_action_row(ticket, kind)  # the caller gave amounts only: the row has the reference
    amount = context.get("amount", getattr(row, "amount", None))
    currency = _given(context, row, "currency") or _order_currency(ticket)
    method = _given(context, row, "method")
    order = getattr(row, "order", None) or ticket.order
    return {
        "kind": kind,
        "amount": None if amount is None else format_money(amount, currency),
        "method": _method_words(method),
        "reference": _given(context, row, "reference", "payment_reference", "shipment_reference"),
        "order_number": context.get("order_number") or getattr(order, "number", None),
        "item_names": list(_given(context, row, "items") or []),
        "reason": _given(context, row, "reason"),
        "timing": _refund_timing(method),
    }


def _method_words(method: str | None) -> str | None:
    return PAYMENT_METHOD_WORDS.get(method, method) if method else None


def _given(context: dict[str, Any], row: Any, key: str, *row_attributes: str) -> Any:
    """The caller's value for `key`, else the first the row has (of `row_attributes`, or `key`)."""
    if context.get(key):
        return context[key]
    for attribute in row_attributes or (key,):
        value = getattr(row, attribute, None)
        if value:
            return value
    return None


def _refund_timing(method: str | None) -> str:
    """'5 to 10 business days' (or 'instant') for the method, from the configured refund policy."""
    limits = settings().policy
    return business_days(*limits.refund_time(method or "card"))


def _action_row(context: dict[str, Any]) -> tuple[Any, str | None]:
    for kind in ("refund", "cancellation", "replacement"):
        if context.get(kind) is not None:
            return context[kind], kind
    return None, None


def _latest_action_row(ticket: Ticket, kind: str) -> Refund | Cancellation | Replacement | None:
    model = ACTION_MODELS.get(kind)
    if model is None or ticket.id is None:
        return None
    return db.session.scalar(
        select(model).where(model.ticket_id == ticket.id).order_by(model.id.desc()).limit(1)
    )


def _order_currency(ticket: Ticket) -> str:
    return ticket.order.currency if ticket.order is not None else "USD"


_EVENT_CONTEXT = {
    "agent_answered": _answered,
    "action_done": _action_context,
    "action_held": _action_context,
    "escalated": _escalated,
    "staff_replied": _staff_replied,
    "resolved": _resolved,
}
