"""The result of an earlier identical request, rebuilt from its effect row (idempotent re-runs)."""

from __future__ import annotations

from typing import Any

from portal.extensions import db
from portal.models import (
    ActionDecision,
    AddressChange,
    Cancellation,
    Order,
    Refund,
    RefundStatus,
    Replacement,
)
from portal.services.audit import ActionResult
from tools import POLICIES, messages


def replay(request: Any, effect: Refund | Cancellation | Replacement | AddressChange) -> ActionResult:
    """Return what the first request did, and log that the request came again (nothing else changes)."""
    order = db.session.get(Order, effect.order_id)
    outcome, message, amount = _describe(effect, order)
    row = request.log(
        ActionDecision.NOTE.value,
        order_number=order.number,
        reason_code="idempotent_replay",
        detail=f"same request as {type(effect).__name__.lower()} {effect.id}: {outcome}",
    )
    return ActionResult(
        request.tool,
        outcome,
        message,
        POLICIES[request.tool],
        order.number,
        amount,
        getattr(effect, "currency", None),
        effect_id=effect.id,
        log_id=row.id,
        replayed=True,
        reason_code="rejected_by_staff" if outcome == "denied" else None,
    )


def describe_refund(refund: Refund, order: Order) -> tuple[str, str]:
    """(outcome, customer message) for a refund in its current state."""
    if refund.status == RefundStatus.ISSUED.value:
        return "done", messages.refund_issued(order.number, refund.amount, refund.currency, refund.method)
    if refund.status == RefundStatus.HELD.value:
        return "held", messages.refund_waiting(order.number, refund.amount, refund.currency)
    return "denied", messages.refund_rejected(
        order.number, refund.decision_reason, refund.customer_note or ""
    )


def _describe(effect, order: Order) -> tuple[str, str, Any]:
    if isinstance(effect, Refund):
        return (*describe_refund(effect, order), effect.amount)
    if isinstance(effect, Cancellation):
        text = messages.cancelled(order.number, effect.amount, effect.currency, effect.method)
        return "done", text, effect.amount
    if isinstance(effect, AddressChange):
        return "done", messages.address_changed(order.number, effect.new_address), None
    return "done", messages.replacement_sent(order.number, list(effect.items)), None
