"""The database side of an agent run: claim it, store its result, or hand the ticket to a person.

Each function is one short write transaction. Claiming is a compare-and-set on the run's status
(queued → running), so two jobs for the same ticket never both act; finishing is a compare-and-set on
(running, attempt), so a job that lost its run to the stale-run reaper cannot store a second reply.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import joinedload

from portal.database.sqlite import write_transaction
from portal.desk import routing
from portal.extensions import db
from portal.mailer import notifications
from portal.models import (
    ActionDecision,
    AgentRun,
    AuthorKind,
    Message,
    RunStatus,
    Ticket,
    TicketStatus,
    utcnow,
)
from portal.services import Actor
from portal.services.audit import log_action
from portal.services.effects import mark_escalated
from portal.support.tickets import request_draft
from tools import messages
from worker.agent.context import TicketSnapshot, load_ticket
from worker.agent.pipeline import AgentOutput

logger = logging.getLogger(__name__)

ACTIVE = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)
_OPEN_TICKET = (TicketStatus.NEW.value, TicketStatus.PROCESSING.value)
_WITH_A_PERSON_OR_DONE = (TicketStatus.ESCALATED.value, TicketStatus.RESOLVED.value)


@dataclass(frozen=True)
class Claim:
    """A run this job now owns (attempt number included), and the ticket as it was loaded."""

    run_id: int
    attempt: int
    ticket_id: int
    snapshot: TicketSnapshot


def claim(ticket_id: int, job_id: str | None = None, now: datetime | None = None) -> Claim | None:
    """Take the ticket's latest queued run (creating one for an open ticket without any); None if busy."""
    now = now or utcnow()
    with write_transaction():
        # The customer and the order come with the ticket: load_ticket reads them (one statement, not 3).
        ticket = db.session.get(
            Ticket, ticket_id, options=[joinedload(Ticket.customer), joinedload(Ticket.order)]
        )
        if ticket is None:
            logger.warning("ticket %s: not found, nothing to do", ticket_id)
            return None
        if ticket.status in _WITH_A_PERSON_OR_DONE:
            _skip_queued(ticket, now)
            return None
        run = _latest_active_run(ticket_id) or _new_run_if_open(ticket)
        attempt = _compare_and_set_running(run, job_id, now) if run is not None else None
        if attempt is None:
            return None
        run_id = run.id  # read before COMMIT: the row expires there, and reading it after costs a SELECT
        _supersede_older(ticket_id, run_id, now)
        ticket.status = TicketStatus.PROCESSING.value
        snapshot = load_ticket(ticket_id)
    logger.info("ticket %s: run %s claimed (attempt %s, job %s)", ticket_id, run_id, attempt, job_id)
    return Claim(run_id, attempt, ticket_id, snapshot)


def _skip_queued(ticket: Ticket, now: datetime) -> None:
    # A person took the ticket (or it was resolved) while the run waited: the agent must not answer.
    db.session.execute(
        update(AgentRun)
        .where(AgentRun.ticket_id == ticket.id, AgentRun.status == RunStatus.QUEUED.value)
        .values(status=RunStatus.DONE.value, finished_at=now, error=f"skipped: ticket {ticket.status}")
        .execution_options(synchronize_session=False)
    )
    logger.info("ticket %s: %s, the agent leaves it alone", ticket.id, ticket.status)


def _latest_active_run(ticket_id: int) -> AgentRun | None:
    query = (
        select(AgentRun)
        .where(AgentRun.ticket_id == ticket_id, AgentRun.status.in_(ACTIVE))
        .order_by(AgentRun.id.desc())
    )
    return db.session.scalars(query.execution_options(populate_existing=True)).first()


def _new_run_if_open(ticket: Ticket) -> AgentRun | None:
    if ticket.status not in _OPEN_TICKET:
        logger.info("ticket %s: no queued run and status %s, nothing to do", ticket.id, ticket.status)
        return None
    run = AgentRun(ticket_id=ticket.id, status=RunStatus.QUEUED.value, trigger="rerun")
    db.session.add(run)
    db.session.flush()
    return run


def _compare_and_set_running(run: AgentRun, job_id: str | None, now: datetime) -> int | None:
    """queued → running (or our own job's retry); the new attempt number, None if another job has it."""
    claimable = AgentRun.status == RunStatus.QUEUED.value
    if job_id is not None:
        # RQ's retry of this same job: the attempt before could not put the run back (the database went
        # away mid-job, or the claim's COMMIT outcome was unknown), so the run still says running with
        # our job id. Nobody else holds it: take it again instead of waiting for the stale-run sweep.
        ours = and_(AgentRun.status == RunStatus.RUNNING.value, AgentRun.job_id == job_id)
        claimable = or_(claimable, ours)
    attempt = db.session.execute(
        update(AgentRun)
        .where(AgentRun.id == run.id, claimable)
        .values(status=RunStatus.RUNNING.value, started_at=now, attempts=AgentRun.attempts + 1, job_id=job_id)
        .returning(AgentRun.attempts)  # the new attempt number without reading the row again
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if attempt is None:
        logger.info("ticket %s: run %s is already being processed", run.ticket_id, run.id)
    return attempt


def _supersede_older(ticket_id: int, run_id: int, now: datetime) -> None:
    # A later run reads the whole conversation, so earlier queued runs have nothing left to do.
    db.session.execute(
        update(AgentRun)
        .where(
            AgentRun.ticket_id == ticket_id, AgentRun.id < run_id, AgentRun.status == RunStatus.QUEUED.value
        )
        .values(status=RunStatus.DONE.value, finished_at=now, error=f"superseded by run {run_id}")
        .execution_options(synchronize_session=False)
    )


def _update_if_still_ours(claimed: Claim, **values: Any) -> bool:
    """Compare-and-set on (running, our attempt): False if the reaper gave the run to another job."""
    result = db.session.execute(
        update(AgentRun)
        .where(AgentRun.id == claimed.run_id, AgentRun.status == RunStatus.RUNNING.value)
        .where(AgentRun.attempts == claimed.attempt)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _finish(claimed: Claim, status: str, now: datetime, **values: Any) -> bool:
    """Move the run from (running, our attempt) to its final status."""
    return _update_if_still_ours(claimed, status=status, finished_at=now, **values)


def save(claimed: Claim, output: AgentOutput, *, duration_ms: float, now: datetime | None = None) -> bool:
    """Store the reply, the ticket's new state and the run; False if the run was taken from us."""
    now = now or utcnow()
    with write_transaction():
        if not _finish(claimed, RunStatus.DONE.value, now, **_run_values(output, duration_ms)):
            logger.warning(
                "ticket %s: run %s was taken over; result dropped", claimed.ticket_id, claimed.run_id
            )
            return False
        ticket = _locked_ticket(claimed.ticket_id)
        # Asked before anything changes, so no flush runs ahead of it: the ticket is written once.
        newer_waiting = (
            not output.escalate
            and ticket.status == TicketStatus.PROCESSING.value
            and _newer_run_waiting(ticket.id, claimed.run_id)
        )
        message = _reply_message(claimed, output)
        message.ticket = ticket  # not ticket.messages.append: that would load the whole conversation
        db.session.add(message)
        _update_ticket(ticket, claimed, output, now, newer_waiting=newer_waiting)
        db.session.flush()  # the message id names its notifications (dedupe keys)
        _notify(ticket, message, output)
        if ticket.status == TicketStatus.ESCALATED.value:  # claim() skips escalated tickets: new this run
            request_draft(ticket)
    return True


def _locked_ticket(ticket_id: int) -> Ticket:
    # The customer is joined (notifications read it) but only the ticket row is locked.
    query = (
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .options(joinedload(Ticket.customer))
        .with_for_update(of=Ticket)
    )
    return db.session.scalars(query.execution_options(populate_existing=True)).one()


def _run_values(output: AgentOutput, duration_ms: float) -> dict[str, Any]:
    return {
        "backend": output.backend,
        "model": output.model,
        "duration_ms": round(duration_ms, 2),
        "model_calls": output.usage.model_calls,
        "prompt_tokens": output.usage.prompt_tokens,
        "completion_tokens": output.usage.completion_tokens,
        "cost": output.usage.cost,
        "trace": output.trace,
        "action": output.action,
        "outcome": output.outcome.outcome if output.outcome else None,
        "error": None,
    }


def _reply_message(claimed: Claim, output: AgentOutput) -> Message:
    return Message(
        author_kind=AuthorKind.AGENT.value,
        agent_run_id=claimed.run_id,
        body=output.reply,
        citations=[c.as_dict() for c in output.citations],
        outcome=output.outcome_dict(),
    )


def _update_ticket(
    ticket: Ticket, claimed: Claim, output: AgentOutput, now: datetime, *, newer_waiting: bool
) -> None:
    triage = output.triage
    ticket.intent, ticket.sentiment, ticket.confidence = (
        triage.intent[:40],
        triage.sentiment,
        triage.confidence,
    )
    ticket.language = triage.language
    if not ticket.human_involved:
        ticket.priority = triage.priority
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    if output.escalate and ticket.status != TicketStatus.ESCALATED.value:
        _escalate(ticket, claimed, output.escalation_reason or "needs a person", output.escalation_code, now)
    elif ticket.status == TicketStatus.PROCESSING.value and not newer_waiting:
        ticket.status = TicketStatus.ANSWERED.value
    if ticket.status == TicketStatus.ESCALATED.value and ticket.team_id is None:
        routing.route(ticket)  # a tool escalated mid-run: routed now that the intent is stored


def _newer_run_waiting(ticket_id: int, run_id: int) -> bool:
    query = select(AgentRun.id).where(
        AgentRun.ticket_id == ticket_id, AgentRun.id > run_id, AgentRun.status == RunStatus.QUEUED.value
    )
    return db.session.scalars(query).first() is not None


def _escalate(ticket: Ticket, claimed: Claim, reason: str, code: str | None, now: datetime) -> None:
    """Hand the ticket to a person for a reason no tool recorded (backend or rule), and log it."""
    mark_escalated(ticket.id, reason, now)
    log_action(
        Actor.agent(claimed.run_id),
        "escalate",
        ActionDecision.DONE.value,
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        reason_code=f"rule:{code}"[:60] if code else "agent",
        detail=reason,
    )


def _notify(ticket: Ticket, message: Message, output: AgentOutput) -> None:
    """The customer's email for this reply (and staff alerts); a mail problem never loses the reply."""
    main = output.outcome
    event, context = "agent_answered", {"message": message}
    if main is not None and main.tool in messages.ACTION_TOOLS and main.outcome in ("done", "held"):
        event = "action_done" if main.outcome == "done" else "action_held"
        context.update(
            action=messages.action_kind(main.tool),
            amount=main.amount,
            currency=main.currency,
            order_number=main.order_number,
            items=list(main.details.get("items") or []),
            method=main.details.get("method"),
            reason=output.escalation_reason,
        )
    _safe_notify(event, ticket, **context)
    if ticket.status == TicketStatus.ESCALATED.value and event != "action_held":
        _safe_notify("escalated", ticket, reason=ticket.escalation_reason, message=message)


def _safe_notify(event: str, ticket: Ticket, **context: Any) -> None:
    try:
        with db.session.begin_nested():
            notifications.notify(event, ticket, **context)
    except Exception:
        logger.exception("ticket %s: could not record the %s notification", ticket.id, event)


def fail(claimed: Claim, exc: BaseException, *, final: bool, now: datetime | None = None) -> None:
    """After an error: put the run back for the retry, or (final) hand the ticket to a person."""
    now = now or utcnow()
    error = f"{type(exc).__name__}: {exc}"[:2000]
    with write_transaction():
        if not final:
            _update_if_still_ours(claimed, status=RunStatus.QUEUED.value, error=error)  # RQ retries it
            return
        if _finish(claimed, RunStatus.FAILED.value, now, error=error):
            hand_to_person(claimed.ticket_id, f"the assistant failed: {type(exc).__name__}", error, now)


def hand_to_person(ticket_id: int, reason: str, detail: str, now: datetime) -> None:
    """Escalate the ticket with an internal system note saying why (in the caller's transaction)."""
    ticket = _locked_ticket(ticket_id)
    mark_escalated(ticket_id, reason, now)  # keeps an earlier reason if a person already has it
    if ticket.team_id is None:
        routing.route(ticket)  # a tool escalated it earlier in the run that has now failed
    note = (
        f"The assistant could not finish this ticket ({detail}). It has been handed to the support "
        "team; please take it over. Any action the assistant already took is in the action log."
    )
    ticket.messages.append(Message(author_kind=AuthorKind.SYSTEM.value, body=note, internal=True))
    _safe_notify("escalated", ticket, reason=ticket.escalation_reason)
    request_draft(ticket)
