"""Service-level clocks on a ticket: when its first response and its resolution are due.

The first-response deadline (`Ticket.sla_due_at`) is set when the ticket opens and, for a ticket
handed to a person, counts the priority's target (SLA_FIRST_RESPONSE_HOURS, SLA_HOURS by default) in
the team's working time (SLA_BUSINESS_HOURS, SLA_HOLIDAYS). The resolution deadline starts when a
person takes over and stops while the ticket waits for the customer (after a staff reply), moving on
by the working time that passed when the customer writes again. The arithmetic is tools.sla's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from portal.config import settings
from portal.extensions import db
from portal.models import Ticket, TicketStatus
from tools.sla import BusinessCalendar, target_hours


def calendar() -> BusinessCalendar:
    return settings().sla.calendar


def first_response_due(now: datetime, priority: str | None = None) -> datetime:
    """When a ticket that starts waiting for a person now must get its first response."""
    current = settings()
    return calendar().add(
        now, target_hours(current.sla.first_response_hours, priority, current.policy.sla_hours)
    )


def start_resolution_clock(ticket: Ticket, now: datetime) -> None:
    """A person takes over: the resolution deadline starts (once; a reopened ticket keeps its own)."""
    if ticket.resolution_due_at is None:
        targets = settings().sla.resolution_hours  # every priority (config merges overrides over defaults)
        hours = target_hours(targets, ticket.priority, max(targets.values()))  # no priority: the longest
        ticket.resolution_due_at = calendar().add(now, hours)
    ticket.waiting_since = None


def pause(ticket: Ticket, now: datetime) -> None:
    """Staff answered: the ticket waits for the customer, the resolution clock stops."""
    if ticket.resolution_due_at is not None and ticket.waiting_since is None:
        ticket.waiting_since = now


def resume(ticket: Ticket, now: datetime) -> None:
    """The customer wrote again: the deadline moves on by the working time spent waiting for them."""
    if ticket.waiting_since is None or ticket.resolution_due_at is None:
        return
    waited = calendar().working_time(ticket.waiting_since, now)
    ticket.resolution_due_at = calendar().add(ticket.resolution_due_at, waited / timedelta(hours=1))
    ticket.waiting_since = None


def resolution_overdue(ticket: Ticket, now: datetime) -> bool:
    """Open, not waiting for the customer, and past its resolution deadline."""
    return (
        ticket.status != TicketStatus.RESOLVED.value
        and ticket.waiting_since is None
        and ticket.resolution_due_at is not None
        and now > ticket.resolution_due_at
    )


@dataclass(frozen=True)
class Breaches:
    """Tickets handed to a person in a period, and how many missed each target."""

    handed_over: int
    first_response: int
    resolution: int


def breaches(since: datetime, now: datetime) -> Breaches:
    """Counted over tickets escalated since `since`: a first response after its deadline (or none yet
    and past it), a resolution after its deadline (or open, not waiting, and past it)."""
    escalated = Ticket.escalated_at >= since
    late_first = or_(
        Ticket.first_response_at > Ticket.sla_due_at,
        and_(Ticket.first_response_at.is_(None), Ticket.sla_due_at < now),
    )
    still_open = and_(Ticket.status != TicketStatus.RESOLVED.value, Ticket.waiting_since.is_(None))
    open_late = and_(still_open, Ticket.resolution_due_at < now)
    late_resolution = or_(Ticket.resolved_at > Ticket.resolution_due_at, open_late)
    row = db.session.execute(
        select(
            func.count(),
            func.count().filter(late_first),
            func.count().filter(late_resolution),
        ).where(escalated)
    ).one()
    return Breaches(*row)
