"""Refunds held above the approval threshold: staff approve (rules re-checked now) or reject them.

Both are idempotent: a second click returns the first decision and moves no money twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portal.config import settings
from portal.extensions import db
from portal.models import ActionDecision, ActionLog, Order, Refund, RefundStatus, User, utcnow
from portal.services import effects
from portal.services.audit import ActionResult, Actor, log_action
from portal.services.replay import describe_refund
from portal.services.snapshots import customer_history, order_snapshot_without
from portal.services.transaction import customer_transaction
from tools import POLICIES, Decision, Refusal
from tools import refund as refund_tool
from tools.messages import REJECTION_REASONS

POLICY = POLICIES["refund"]


def held_refunds() -> list[Refund]:
    """Refunds waiting for a staff decision, oldest first."""
    query = select(Refund).where(Refund.status == RefundStatus.HELD.value).order_by(Refund.created_at)
    return list(db.session.scalars(query))


def approve_held(refund_id: int, staff_user_id: int, *, now: datetime | None = None) -> ActionResult:
    """Issue a held refund if the policy still allows it at this moment (window, limit, amount left)."""
    now = now or utcnow()
    refund = _get(refund_id)
    with customer_transaction(refund.customer_id):
        refund, order, actor = _reload(refund_id, staff_user_id)
        if refund.status != RefundStatus.HELD.value:
            return _already_decided(refund, order, actor, "approve")
        if refund.requested_by_id == staff_user_id:
            return _own_request(refund, order, actor)
        result = _recheck(refund, order, now)
        if isinstance(result, Decision):
            return _approve(refund, order, result, actor, now)
        row = _log(actor, refund, order, ActionDecision.DENIED.value, result.reason_code, result.message)
        return _result(refund, order, row, "denied", result.message, reason_code=result.reason_code)


def reject_held(
    refund_id: int,
    staff_user_id: int,
    note: str = "",
    *,
    reason: str | None = None,
    customer_note: str = "",
    now: datetime | None = None,
) -> ActionResult:
    """Turn a held refund down: `reason` (a REJECTION_REASONS key) and `customer_note` are what the
    customer reads; `note` is the staff member's internal note, never shown to the customer."""
    if reason is not None and reason not in REJECTION_REASONS:
        raise ValueError(f"unknown rejection reason {reason!r}")
    now = now or utcnow()
    refund = _get(refund_id)
    with customer_transaction(refund.customer_id):
        refund, order, actor = _reload(refund_id, staff_user_id)
        if refund.status != RefundStatus.HELD.value:
            return _already_decided(refund, order, actor, "reject")
        refund.status = RefundStatus.REJECTED.value
        effects.release_items(refund)  # the units it reserved can be refunded again
        refund.decided_at, refund.decided_by_id, refund.decision_note = now, staff_user_id, note or None
        refund.decision_reason, refund.customer_note = reason, customer_note.strip() or None
        outcome, message = describe_refund(refund, order)
        detail = f"{message} Internal note: {note}" if note else message
        row = _log(actor, refund, order, ActionDecision.REJECTED.value, "rejected_by_staff", detail)
        return _result(refund, order, row, outcome, message, reason_code="rejected_by_staff")


def _get(refund_id: int) -> Refund:
    refund = db.session.get(Refund, refund_id)
    if refund is None:
        raise LookupError(f"no refund {refund_id}")
    return refund


def _reload(refund_id: int, staff_user_id: int) -> tuple[Refund, Order, Actor]:
    """Fresh rows read after the lock: another click may have decided in the meantime."""
    query = select(Refund).where(Refund.id == refund_id).with_for_update()
    refund = db.session.scalars(query.execution_options(populate_existing=True)).one()
    order = db.session.get(Order, refund.order_id, populate_existing=True)
    staff = db.session.get(User, staff_user_id)
    if staff is None or not staff.is_staff:  # views check this too; money never moves on a customer's click
        raise PermissionError(f"user {staff_user_id} is not staff")
    return refund, order, Actor.staff(staff_user_id, staff.name)


def _recheck(refund: Refund, order: Order, now: datetime):
    limits = settings().policy
    result = refund_tool(
        order_snapshot_without(order, refund),  # its own reservation must not block it
        customer_id=refund.customer_id,
        order_number=order.number,
        # The limit as it stood when the refund was held: it has kept its place since, so refunds made
        # after it never block it, and it does not count against itself.
        history=customer_history(refund.customer_id, limits, refund.created_at, without=refund.id),
        limits=limits,
        now=now,
        item_names=list(refund.items or []),
        staff_approved=True,
        limit_at=refund.created_at,
    )
    if isinstance(result, Decision) and result.amount != refund.amount:
        # The order changed since the hold (e.g. another partial refund): staff must look again.
        return Refusal(
            "refund",
            "amount_changed",
            f"The refundable amount of order {order.number} is now {result.amount} {result.currency}, "
            f"not {refund.amount}; please review it again.",
            POLICY,
            order.number,
        )
    return result


def _approve(refund: Refund, order: Order, decision: Decision, actor: Actor, now: datetime) -> ActionResult:
    effects.issue_refund(refund, order, decision.new_order_status, now)
    refund.decided_at, refund.decided_by_id = now, actor.id
    row = _log(actor, refund, order, ActionDecision.APPROVED.value, None, decision.message)
    return _result(refund, order, row, "done", decision.message)


def _own_request(refund: Refund, order: Order, actor: Actor) -> ActionResult:
    """Four eyes: the approval threshold means a second person looks, so the one who asked cannot approve
    (rejecting their own request stays possible: it moves no money)."""
    message = "Not approved: the staff member who asked for this refund cannot approve it; a second must."
    row = _log(actor, refund, order, ActionDecision.DENIED.value, "own_request", message)
    return _result(refund, order, row, "denied", message, reason_code="own_request")


def _already_decided(refund: Refund, order: Order, actor: Actor, verb: str) -> ActionResult:
    outcome, message = describe_refund(refund, order)
    code = "already_issued" if outcome == "done" else "already_rejected"
    row = _log(
        actor, refund, order, ActionDecision.NOTE.value, code, f"{verb} again: refund is {refund.status}"
    )
    return _result(refund, order, row, outcome, message, reason_code=code, replayed=True)


def _result(
    refund: Refund,
    order: Order,
    row: ActionLog,
    outcome: str,
    message: str,
    *,
    reason_code: str | None = None,
    replayed: bool = False,
) -> ActionResult:
    return ActionResult(
        "refund",
        outcome,
        message,
        POLICY,
        order.number,
        refund.amount,
        refund.currency,
        reason_code=reason_code,
        effect_id=refund.id,
        log_id=row.id,
        replayed=replayed,
    )


def _log(
    actor: Actor, refund: Refund, order: Order, decision: str, code: str | None, detail: str
) -> ActionLog:
    return log_action(
        actor,
        "refund",
        decision,
        ticket_id=refund.ticket_id,
        customer_id=refund.customer_id,
        order_number=order.number,
        arguments={"refund_id": refund.id},
        reason_code=code,
        amount=refund.amount,
        currency=refund.currency,
        detail=detail,
    )
