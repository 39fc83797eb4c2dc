"""Message.outcome (an action's result as data) → plain words for the customer and the desk."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.models import Cancellation, Order, Refund, Replacement

_TOOL_NOUNS = {"refund": "Refund", "cancel": "Cancellation", "replacement": "Replacement"}
_DECISION_WORDS = {
    "done": "done",
    "approved": "done",
    "held": "held for review by our team",
    "denied": "not possible",
    "rejected": "not approved",
    "error": "could not be completed",
}
_STYLES = {
    "done": "success",
    "approved": "success",
    "held": "warning",
    "denied": "secondary",
    "rejected": "secondary",
    "error": "danger",
}
_DONE_WORDS = {"refund": "issued", "cancel": "done", "replacement": "on its way"}
_REFERENCE_KEYS = ("payment_reference", "reference", "shipment_reference")


def effect_references(ticket_id: int) -> dict[tuple[str, object], str]:
    """References of the ticket's payouts and shipments, by (tool, effect id) and (tool, order number)."""
    refs: dict[tuple[str, object], str] = {}
    for tool, model, column in (
        ("refund", Refund, Refund.payment_reference),
        ("cancel", Cancellation, Cancellation.payment_reference),
        ("replacement", Replacement, Replacement.shipment_reference),
    ):
        query = (
            select(model.id, Order.number, column)
            .join(Order, Order.id == model.order_id)
            .where(model.ticket_id == ticket_id)
            .order_by(model.id)
        )
        for effect_id, order_number, reference in db.session.execute(query):
            if reference:
                refs[(tool, effect_id)] = refs[(tool, order_number)] = reference
    return refs


@dataclass(frozen=True)
class OutcomeView:
    headline: str  # e.g. "Refund of 42.00 USD for order A1003 issued, reference LE-1A2B"
    detail: str  # the customer-facing sentence the action produced
    style: str  # a Bootstrap colour name
    decision: str


def describe_outcome(outcome: dict[str, Any] | None, effect_refs: dict | None = None) -> OutcomeView | None:
    """Plain words for an action outcome; None for messages that carry no action (order status, answers).

    `effect_refs` maps (tool, effect id) to the payment or shipment reference recorded on the effect row.
    """
    if not outcome or not isinstance(outcome, dict):
        return None
    tool = str(outcome.get("tool") or outcome.get("action") or "")
    decision = str(outcome.get("outcome") or outcome.get("decision") or "")
    if tool not in _TOOL_NOUNS or decision not in _DECISION_WORDS:
        return None
    words = _DONE_WORDS[tool] if decision in ("done", "approved") else _DECISION_WORDS[decision]
    headline = f"{_TOOL_NOUNS[tool]}{_amount_words(outcome)}{_order_words(outcome)} {words}"
    refs = effect_refs or {}
    reference = (
        _reference(outcome) or refs.get((tool, outcome.get("effect_id"))) or refs.get((tool, _order(outcome)))
    )
    if reference and decision in ("done", "approved"):
        headline += f", reference {reference}"
    detail = str(outcome.get("message") or "")
    return OutcomeView(headline + ".", detail, _STYLES[decision], decision)


def _amount_words(outcome: dict[str, Any]) -> str:
    amount = outcome.get("amount")
    if amount in (None, ""):
        return ""
    try:
        shown = f"{Decimal(str(amount)):.2f}"
    except InvalidOperation:
        return ""
    currency = outcome.get("currency") or ""
    return f" of {shown} {currency}".rstrip()


def _order(outcome: dict[str, Any]) -> str | None:
    return outcome.get("order_number") or outcome.get("order")


def _order_words(outcome: dict[str, Any]) -> str:
    number = _order(outcome)
    return f" for order {number}" if number else ""


def _reference(outcome: dict[str, Any]) -> str | None:
    details = outcome.get("details") if isinstance(outcome.get("details"), dict) else {}
    for key in _REFERENCE_KEYS:
        value = outcome.get(key) or details.get(key)
        if value:
            return str(value)
    return None
