"""Carry out a tool call for a ticket: lock, load the customer's own order, decide, record, log.

    result = execute("refund", ticket_id=t.id, customer_id=t.customer_id,
                     args={"order_number": "A1001", "reason": "arrived broken"}, actor=Actor.agent(run.id))

Every attempt writes one ActionLog row (done, denied, held, error; a replay writes a note). Effects carry
an idempotency key (ticket, action, order): running the same request again returns the first result.
A staff member's request carries its own key instead (`request_key`, one per rendered desk form), so a
double submit is one request while a deliberate second action is a new one; the tools still refuse what
the order no longer allows. An admin may pass an `Override` (portal.services.overrides): the named limits
are lifted for this call and the reason is logged with it.
execute() commits its own transaction (and whatever the caller had pending before it).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from portal.config import settings
from portal.extensions import db
from portal.models import ActionDecision, ActorKind, Ticket, utcnow
from portal.services import effects, replay
from portal.services.audit import ActionResult, Actor, log_action
from portal.services.overrides import Override, check_allowed
from portal.services.snapshots import customer_history, find_own_order, order_snapshot, refund_snapshots
from portal.services.transaction import customer_transaction
from tools import MODEL_ARGS, POLICIES, TOOLS, Decision, PolicyLimits, Refusal, ToolArgumentError, clean_args

logger = logging.getLogger(__name__)


def execute(
    tool_name: str,
    *,
    ticket_id: int | None,
    customer_id: int,
    args: dict[str, Any] | None,
    actor: Actor,
    now: datetime | None = None,
    override: Override | None = None,
    request_key: str | None = None,
) -> ActionResult:
    """Run one tool for the ticket's customer under the customer's lock and record what happened."""
    now = now or utcnow()
    _check_ticket_owner(ticket_id, customer_id)
    check_allowed(override, actor)
    try:
        cleaned = _clean(tool_name, args)
    except ToolArgumentError as exc:
        return _invalid(tool_name, ticket_id, customer_id, args, actor, str(exc))
    request = _Request(tool_name, ticket_id, customer_id, cleaned, actor, now, override, request_key)
    try:
        with customer_transaction(customer_id):
            return _run(request)
    except IntegrityError:
        logger.info(
            "ticket %s: %s raced with an identical request; returning the first", ticket_id, tool_name
        )
        return _after_race(request)
    except Exception as exc:
        _log_error(request, exc)
        raise


@dataclass
class _Request:
    """One tool call being carried out."""

    tool: str
    ticket_id: int | None
    customer_id: int
    args: dict[str, Any]
    actor: Actor
    now: datetime
    override: Override | None = None
    request_key: str | None = None
    limits: PolicyLimits = field(default_factory=lambda: settings().policy)

    def __post_init__(self) -> None:
        if self.override is not None:
            self.limits = self.override.widen(self.limits)

    def log(self, decision: str, **fields: Any):
        fields.setdefault("order_number", self.args.get("order_number"))
        arguments = dict(self.args)
        if self.override is not None:  # the admin's reason is recorded with every row of the attempt
            arguments.update(self.override.as_log())
            fields["detail"] = (
                f"Admin override of the {self.override.words()}: {self.override.reason.strip()}. "
                + (fields.get("detail") or "")
            )
        return log_action(
            self.actor,
            self.tool,
            decision,
            ticket_id=self.ticket_id,
            customer_id=self.customer_id,
            arguments=arguments,
            **fields,
        )


def _check_ticket_owner(ticket_id: int | None, customer_id: int) -> None:
    # Ownership comes from the ticket; a mismatch is a programming error, never a customer's doing.
    if ticket_id is not None:
        ticket = db.session.get(Ticket, ticket_id)
        if ticket is None or ticket.customer_id != customer_id:
            raise ValueError(f"ticket {ticket_id} does not belong to customer {customer_id}")


def _clean(tool_name: str, args: dict[str, Any] | None) -> dict[str, Any]:
    if tool_name not in TOOLS:
        raise ToolArgumentError(f"unknown tool {tool_name!r}")
    return clean_args(MODEL_ARGS[tool_name], args)


def _run(request: _Request) -> ActionResult:
    if request.tool == "escalate":
        return _escalate(request)
    order = find_own_order(request.customer_id, request.args["order_number"], lock=True)
    key = _key(request, order)
    previous = effects.find_effect(request.tool, key) if key else None
    if previous is not None:
        return replay.replay(request, previous)
    result = _call_tool(request, order)
    if isinstance(result, Refusal):
        return _denied(request, result)
    return _record(request, result, order, key)


def _key(request: _Request, order) -> str | None:
    if order is None or request.tool not in effects.EFFECT_MODELS:
        return None
    if request.ticket_id is None:  # no ticket (e.g. a script): no natural key, so no deduplication
        return f"adhoc:{uuid.uuid4().hex}"
    if request.request_key:  # a staff form: its own key (the customer's earlier requests stay apart)
        return f"staff:{request.ticket_id}:{request.tool}:{order.number}:{request.request_key}"
    # A new address is part of the request: asking for a second, different address is a new change.
    named = [request.args["address"]] if request.tool == "change_address" else request.args.get("item_names")
    return effects.idempotency_key(request.ticket_id, request.tool, order.number, named)


def _call_tool(request: _Request, order) -> Decision | Refusal:
    snapshot = order_snapshot(order) if order is not None else None
    kwargs = dict(request.args, customer_id=request.customer_id, limits=request.limits, now=request.now)
    if request.tool == "refund":
        kwargs["history"] = customer_history(request.customer_id, request.limits, request.now)
        if request.override is not None and "approval_threshold" in request.override.limits:
            kwargs["staff_approved"] = True
    elif request.tool == "refund_status" and order is not None:
        kwargs["refunds"] = refund_snapshots(order)
    return TOOLS[request.tool](snapshot, **kwargs)


def _denied(request: _Request, refusal: Refusal) -> ActionResult:
    if refusal.escalate and request.actor.kind != ActorKind.STAFF.value:  # staff already have the ticket
        effects.mark_escalated(request.ticket_id, f"{request.tool}: {refusal.reason_code}", request.now)
    row = request.log(ActionDecision.DENIED.value, reason_code=refusal.reason_code, detail=refusal.message)
    return ActionResult(
        request.tool,
        "denied",
        refusal.message,
        refusal.policy,
        refusal.order_number,
        reason_code=refusal.reason_code,
        escalate=refusal.escalate,
        escalation_reason=f"{request.tool}: {refusal.reason_code}" if refusal.escalate else None,
        log_id=row.id,
    )


def _record(request: _Request, decision: Decision, order, key: str) -> ActionResult:
    effect = _write_effect(request, decision, order, key)
    reason = "; ".join(decision.reasons) or None
    if decision.escalate:
        effects.mark_escalated(request.ticket_id, f"{request.tool} {decision.outcome}: {reason}", request.now)
    row = request.log(
        decision.outcome,
        order_number=decision.order_number,
        amount=decision.amount,
        currency=decision.currency,
        reason_code=_held_code(decision) or ("admin_override" if request.override else None),
        detail=decision.message,
    )
    return ActionResult(
        request.tool,
        decision.outcome,
        decision.message,
        decision.policy,
        decision.order_number,
        decision.amount,
        decision.currency,
        reason_code=_held_code(decision),
        escalate=decision.escalate,
        escalation_reason=reason if decision.escalate else None,
        effect_id=getattr(effect, "id", None),
        log_id=row.id,
        details=dict(decision.details),
    )


def _write_effect(request: _Request, decision: Decision, order, key: str):
    common = {"ticket_id": request.ticket_id, "key": key, "now": request.now}
    if request.tool == "refund":
        staff_id = request.actor.id if request.actor.kind == ActorKind.STAFF.value else None
        reason = request.args.get("reason", "")
        return effects.record_refund(decision, order, reason=reason, requested_by_id=staff_id, **common)
    if request.tool == "cancel":
        return effects.record_cancellation(decision, order, **common)
    if request.tool == "replacement":
        return effects.record_replacement(decision, order, **common)
    if request.tool == "change_address":
        return effects.record_address_change(decision, order, **common)
    return None  # order_status, refund_status and invoice change nothing


def _held_code(decision: Decision) -> str | None:
    return "above_approval_threshold" if decision.outcome == "held" else None


def _escalate(request: _Request) -> ActionResult:
    decision = TOOLS["escalate"](**request.args, limits=request.limits)
    reason = f"{decision.details['category']}: {decision.reasons[0]}"
    effects.mark_escalated(request.ticket_id, reason, request.now)
    row = request.log(ActionDecision.DONE.value, reason_code=decision.details["category"], detail=reason)
    return ActionResult(
        "escalate",
        "done",
        decision.message,
        decision.policy,
        escalate=True,
        escalation_reason=reason,
        log_id=row.id,
        details=dict(decision.details),
    )


def _after_race(request: _Request) -> ActionResult:
    with customer_transaction(request.customer_id):
        order = find_own_order(request.customer_id, request.args.get("order_number"))
        previous = effects.find_effect(request.tool, _key(request, order)) if order is not None else None
        if previous is None:
            raise RuntimeError("integrity error without an earlier effect")
        return replay.replay(request, previous)


def _invalid(tool_name, ticket_id, customer_id, args, actor, problem: str) -> ActionResult:
    with customer_transaction(customer_id):
        row = log_action(
            actor,
            tool_name[:40],
            ActionDecision.ERROR.value,
            ticket_id=ticket_id,
            customer_id=customer_id,
            arguments=dict(args or {}),
            reason_code="invalid_arguments",
            detail=problem,
        )
    message = "I need a little more information to do that: " + problem + "."
    return ActionResult(
        tool_name, "error", message, POLICIES.get(tool_name), reason_code="invalid_arguments", log_id=row.id
    )


def _log_error(request: _Request, exc: Exception) -> None:
    logger.exception("ticket %s: %s failed", request.ticket_id, request.tool)
    try:
        with customer_transaction(request.customer_id):
            request.log(
                ActionDecision.ERROR.value, reason_code="exception", detail=f"{type(exc).__name__}: {exc}"
            )
    except Exception:  # the database itself may be what failed; the original error is what matters
        logger.exception("could not write the error to the action log")
