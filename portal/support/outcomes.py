"""Message.outcome (an action's result as data) → plain words for the customer and the desk."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.models import Cancellation, Order, Refund, Replacement
from tools import messages

_STYLES = {
    "done": "success",
    "approved": "success",
    "held": "warning",
    "denied": "secondary",
    "rejected": "secondary",
    "error": "danger",
}
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
    if tool not in messages.ACTION_TOOLS or decision not in messages.DECISION_WORDS:
        return None
    headline = messages.outcome_headline(
        messages.action_kind(tool),
        decision,
        amount=_amount(outcome),
        order_number=_order(outcome),
        reference=_reference(outcome) or _effect_reference(outcome, tool, effect_refs or {}),
    )
    return OutcomeView(headline, str(outcome.get("message") or ""), _STYLES[decision], decision)


def _amount(outcome: dict[str, Any]) -> str:
    """'42.00 USD' (or '' when the outcome carries no readable amount)."""
    amount = outcome.get("amount")
    if amount in (None, ""):
        return ""
    try:
        shown = f"{Decimal(str(amount)):.2f}"
    except InvalidOperation:
        return ""
    return f"{shown} {outcome.get('currency') or ''}".rstrip()


def _order(outcome: dict[str, Any]) -> str | None:
    return outcome.get("order_number") or outcome.get("order")


def _effect_reference(outcome: dict[str, Any], tool: str, refs: dict) -> str | None:
    return refs.get((tool, outcome.get("effect_id"))) or refs.get((tool, _order(outcome)))


def _reference(outcome: dict[str, Any]) -> str | None:
    details = outcome.get("details") if isinstance(outcome.get("details"), dict) else {}
    for key in _REFERENCE_KEYS:
        value = outcome.get(key) or details.get(key)
        if value:
            return str(value)
    return None
