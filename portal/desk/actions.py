"""Staff actions on a ticket.

Each adds to the session and writes an action-log row with the staff member's name; the view commits.
Money decisions go through portal.services, which logs them itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from portal.desk import sla
from portal.extensions import db
from portal.mailer.notifications import notify
from portal.models import (
    ActionDecision,
    AgentRun,
    AuthorKind,
    Message,
    Refund,
    RunStatus,
    Ticket,
    TicketStatus,
    User,
    utcnow,
)
from portal.services import approve_held, reject_held
from portal.services.audit import ActionResult, Actor, log_action
from portal.services.transaction import customer_transaction
from portal.support.tickets import mask_cards, request_agent_run, request_draft, response_due

REOPEN_REASON = "Reopened by staff"


def _log(ticket: Ticket, staff: User, tool: str, detail: str = "") -> None:
    log_action(
        Actor.staff(staff.id, staff.name),
        tool,
        ActionDecision.NOTE.value,
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        order_number=ticket.order.number if ticket.order else None,
        detail=detail or None,
    )


def assign(ticket: Ticket, assignee: User, staff: User) -> bool:
    """Give the ticket to `assignee` (a deliberate hand-over, even from another owner); False if unchanged."""
    if ticket.assignee_id == assignee.id:
        return False
    first_owner = ticket.assignee_id is None
    ticket.assignee_id = assignee.id
    _taken_over(ticket, assignee, staff, first_owner)
    return True


@dataclass(frozen=True)
class ClaimResult:
    taken: bool  # this claim made `staff` the owner
    owner_name: str | None  # who owns the ticket afterwards (None: nobody, the owner was just deleted)
    owner_is_claimant: bool


def claim(ticket: Ticket, staff: User) -> ClaimResult:
    """Take an unassigned ticket; refused, naming the owner, when someone already has it.

    Compare-and-set: one conditional UPDATE (`WHERE assignee_id IS NULL`), so of two staff claiming at
    once exactly one wins. On Postgres the loser's UPDATE waits for the winner's row lock, then re-checks
    the condition and matches nothing; it does not rely on the page the claimant was looking at.
    """
    claimed = db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.assignee_id.is_(None))
        .values(assignee_id=staff.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(ticket)  # the row as the UPDATE left it (ours, or the winner's)
    taken = claimed.rowcount == 1
    if taken:
        _taken_over(ticket, staff, staff, first_owner=True)
    owner = ticket.assignee
    return ClaimResult(taken, owner.name if owner else None, owner is not None and owner.id == staff.id)


def _taken_over(ticket: Ticket, assignee: User, staff: User, first_owner: bool) -> None:
    """The customer hears that a person took over; the log names who did it."""
    if ticket.status in (TicketStatus.ANSWERED.value, TicketStatus.RESOLVED.value):
        _hand_to_person(ticket, f"Taken over by {assignee.name}")
    if first_owner:
        notify("escalated", ticket, by="staff", staff_name=assignee.name)
    tool = "desk.claim" if assignee.id == staff.id else "desk.assign"
    _log(ticket, staff, tool, f"assigned to {assignee.name}")


def _hand_to_person(ticket: Ticket, reason: str) -> None:
    now = utcnow()
    ticket.status, ticket.resolved_at = TicketStatus.ESCALATED.value, None
    ticket.escalation_reason = ticket.escalation_reason or reason
    ticket.escalated_at = now
    ticket.sla_due_at = response_due(now, ticket.priority)
    sla.start_resolution_clock(ticket, now)
    request_draft(ticket)


def reply(ticket: Ticket, staff: User, body: str) -> Message:
    """A staff reply to the customer: a person is now involved and the ticket waits for the customer."""
    message = Message(author_kind=AuthorKind.STAFF.value, author_id=staff.id, body=mask_cards(body.strip()))
    ticket.messages.append(message)
    _mark_answered_by(ticket, staff)
    notify("staff_replied", ticket, message=message)
    _log(ticket, staff, "desk.reply", f"{len(message.body)} characters")
    return message


def _mark_answered_by(ticket: Ticket, staff: User) -> None:
    now = utcnow()
    ticket.human_involved = True
    ticket.first_response_at = ticket.first_response_at or now
    ticket.status = TicketStatus.ANSWERED.value
    sla.pause(ticket, now)  # waiting for the customer: the resolution clock stops
    ticket.assignee_id = ticket.assignee_id or staff.id


def add_note(ticket: Ticket, staff: User, body: str) -> Message:
    """An internal note: staff only, never shown to the customer, never emailed."""
    note = Message(
        author_kind=AuthorKind.STAFF.value, author_id=staff.id, body=mask_cards(body.strip()), internal=True
    )
    ticket.messages.append(note)
    _log(ticket, staff, "desk.note")
    return note


def resolve(ticket: Ticket, staff: User) -> bool:
    if ticket.status == TicketStatus.RESOLVED.value:
        return False
    ticket.status, ticket.resolved_at = TicketStatus.RESOLVED.value, utcnow()
    notify("resolved", ticket, by="staff")
    _log(ticket, staff, "desk.resolve")
    return True


def reopen(ticket: Ticket, staff: User) -> bool:
    if ticket.status != TicketStatus.RESOLVED.value:
        return False
    _hand_to_person(ticket, REOPEN_REASON)
    _log(ticket, staff, "desk.reopen")
    return True


def agent_busy(ticket: Ticket) -> bool:
    """Whether an agent run is already queued or running for the ticket."""
    busy = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)
    query = select(AgentRun.id).where(AgentRun.ticket_id == ticket.id, AgentRun.status.in_(busy)).limit(1)
    return db.session.scalar(query) is not None


def rerun_agent(ticket: Ticket, staff: User) -> bool:
    """Ask the agent to try again (e.g. after a failed run or a policy change)."""
    if agent_busy(ticket):
        return False
    request_agent_run(ticket, "rerun")
    _log(ticket, staff, "desk.rerun")
    return True


def decide_refund(
    ticket: Ticket,
    refund: Refund,
    staff: User,
    approve: bool,
    note: str = "",
    *,
    reason: str | None = None,
    customer_note: str = "",
) -> ActionResult:
    """Approve or reject a held refund through the service layer (re-checked, locked, idempotent, logged).

    The service commits its own transaction; when it decided something new, the customer gets the outcome
    as a staff message, committed here under the customer's lock too, and by email: an approval sends the
    refund confirmation (essential, like the agent's), a rejection the staff reply.
    """
    ticket_id, refund_id, staff_id, customer_id = ticket.id, refund.id, staff.id, refund.customer_id
    if approve:
        result = approve_held(refund_id, staff_id)
    else:
        result = reject_held(refund_id, staff_id, note, reason=reason, customer_note=customer_note)
    if result.replayed or result.outcome not in ("done", "denied") or (approve and result.outcome != "done"):
        return result
    with customer_transaction(customer_id):
        ticket, staff = db.session.get(Ticket, ticket_id), db.session.get(User, staff_id)
        message = Message(
            author_kind=AuthorKind.STAFF.value,
            author_id=staff.id,
            body=result.message,
            outcome=result.as_dict(),
        )
        ticket.messages.append(message)
        _mark_answered_by(ticket, staff)
        if approve:  # the same essential confirmation the agent's own refunds send, opt-out or not
            notify("action_done", ticket, action="refund", refund=db.session.get(Refund, refund_id))
        else:
            notify("staff_replied", ticket, message=message)
    return result
