"""Read-side queries for the desk queue: filters, sorting, counts; a fixed number of queries per page."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Select, bindparam, cast, func, literal, null, select, union_all

from portal.extensions import db
from portal.models import (
    Priority,
    Role,
    Tag,
    Ticket,
    TicketStatus,
    TicketTag,
    User,
)

STATUS_CHOICES = (
    "escalated",
    "open",
    "with_agent",
    "all",
    *(s.value for s in TicketStatus if s.value != "escalated"),
)
WITH_AGENT = (TicketStatus.NEW.value, TicketStatus.PROCESSING.value)
SORTS = {"sla": "SLA due", "priority": "Priority", "created": "Newest", "oldest": "Oldest"}
PER_PAGE = 20
MAX_PAGE = 10_000  # far past the last page; keeps the OFFSET inside the database's integer range
MAX_ID_DIGITS = 9  # ids are 32-bit integers: a longer number cannot match and would overflow the query


@dataclass(frozen=True)
class QueueFilters:
    status: str = "escalated"
    priority: str = ""
    assignee: str = ""  # "" any | "mine" | "unassigned" | a staff user id
    reason: str = ""
    sort: str = "sla"
    tag: str = ""  # a tag name (portal.desk.workplace.tag_name)
    team: str = ""  # "" any | "none" | a team id

    @classmethod
    def from_args(cls, args) -> QueueFilters:
        """Unknown values fall back to the defaults instead of failing."""
        status = args.get("status", "escalated")
        priority = args.get("priority", "")
        assignee = args.get("assignee", "")
        sort = args.get("sort", "sla")
        return cls(
            status=status if status in STATUS_CHOICES else "escalated",
            priority=priority if priority in {p.value for p in Priority} else "",
            assignee=assignee if assignee in ("mine", "unassigned") or _is_id(assignee) else "",
            reason=args.get("reason", "")[:200],
            sort=sort if sort in SORTS else "sla",
            tag=args.get("tag", "")[:40],
            team=_team_arg(args.get("team", "")),
        )

    def args(self, **changes) -> dict[str, str]:
        """Query-string arguments for links that keep the other filters."""
        values = {**asdict(self), **changes}
        return {key: value for key, value in values.items() if value}


def _team_arg(value: str) -> str:
    return value if value == "none" or _is_id(value) else ""


def _is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= MAX_ID_DIGITS


def page_number(args) -> int:
    """The requested page, 1 for anything that is not a sane page number (-1, abc, 10**30)."""
    page = args.get("page", 1, type=int)
    return page if 1 <= page <= MAX_PAGE else 1


def queue_query(filters: QueueFilters, query: Select) -> Select:
    """The queue's filters and order applied to `query`; "mine" compares with the `user_id` parameter,
    so one statement serves every staff member."""
    if filters.status == "open":
        query = query.where(Ticket.status != TicketStatus.RESOLVED.value)
    elif filters.status == "with_agent":
        query = query.where(Ticket.status.in_(WITH_AGENT))
    elif filters.status != "all":
        query = query.where(Ticket.status == filters.status)
    if filters.priority:
        query = query.where(Ticket.priority == filters.priority)
    query = _assignee_filter(query, filters.assignee)
    if filters.reason:
        query = query.where(Ticket.escalation_reason == filters.reason)
    query = _team_and_tag_filter(query, filters)
    return query.order_by(*ordering(filters.sort))


def _team_and_tag_filter(query: Select, filters: QueueFilters) -> Select:
    if filters.team == "none":
        query = query.where(Ticket.team_id.is_(None))
    elif filters.team:
        query = query.where(Ticket.team_id == int(filters.team))
    if filters.tag:  # EXISTS on the (ticket, tag) primary key: no duplicate rows, no DISTINCT
        tagged = (
            select(TicketTag.ticket_id)
            .join(Tag)
            .where(TicketTag.ticket_id == Ticket.id, Tag.name == filters.tag)
        )
        query = query.where(tagged.exists())
    return query


def _assignee_filter(query: Select, assignee: str) -> Select:
    if assignee == "mine":
        return query.where(Ticket.assignee_id == bindparam("user_id"))
    if assignee == "unassigned":
        return query.where(Ticket.assignee_id.is_(None))
    if _is_id(assignee):
        return query.where(Ticket.assignee_id == int(assignee))
    return query


def ordering(sort: str, columns=Ticket) -> tuple:
    """The ORDER BY of a queue sort over `columns` (the tickets, or a subquery with their priority,
    sla_due_at, created_at and id); it ends with the id, so a page's order is always the same."""
    if sort == "priority":
        return columns.priority.asc(), columns.sla_due_at.asc().nulls_last(), columns.id.asc()
    if sort == "created":
        return columns.created_at.desc(), columns.id.desc()
    if sort == "oldest":
        return columns.created_at.asc(), columns.id.asc()
    return columns.sla_due_at.asc().nulls_last(), columns.priority.asc(), columns.id.asc()


COUNT_KEYS = ("escalated", "unassigned", "mine", "overdue", "with_agent")
REASON_LIMIT = 30


def waiting_summary(user_id: int, now: datetime) -> tuple[dict[str, int], list[str]]:
    """The counts at the top of the queue, and the reason filter's choices: the escalation reasons of
    the tickets waiting for a person, most frequent first. One statement, both from ix_tickets_waiting."""
    counts, *reasons = db.session.execute(_WAITING_SUMMARY, {"user_id": user_id, "now": now}).all()
    return dict(zip(COUNT_KEYS, counts[2:], strict=True)), [row.reason for row in reasons]


def _waiting_summary() -> Select:
    escalated = Ticket.status == TicketStatus.ESCALATED.value
    counts = select(
        literal(0).label("part"),
        cast(null(), Ticket.escalation_reason.type).label("reason"),
        func.count().filter(escalated).label("escalated"),
        func.count().filter(escalated, Ticket.assignee_id.is_(None)),
        func.count().filter(escalated, Ticket.assignee_id == bindparam("user_id")),
        func.count().filter(escalated, Ticket.sla_due_at < bindparam("now")),
        func.count().filter(Ticket.status.in_(WITH_AGENT)),
    ).where(Ticket.status.in_([TicketStatus.ESCALATED.value, *WITH_AGENT]))
    by_reason = (
        select(Ticket.escalation_reason.label("reason"), func.count().label("escalated"))
        .where(escalated, Ticket.escalation_reason.is_not(None))
        .group_by(Ticket.escalation_reason)
        .order_by(func.count().desc(), Ticket.escalation_reason)
        .limit(REASON_LIMIT)
        .subquery()
    )
    reasons = select(literal(1), by_reason.c.reason, by_reason.c.escalated, null(), null(), null(), null())
    both = union_all(counts, reasons).subquery()
    return select(both).order_by(both.c.part, both.c.escalated.desc(), both.c.reason)


_WAITING_SUMMARY = _waiting_summary()  # built once: building it costs more CPU than running it


def staff_members() -> list[User]:
    """Active staff and admins, for assignment."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_([Role.STAFF.value, Role.ADMIN.value]), User.active.is_(True))
            .order_by(User.name)
        )
    )


def overdue(ticket: Ticket, now: datetime) -> bool:
    return (
        ticket.status == TicketStatus.ESCALATED.value
        and ticket.sla_due_at is not None
        and ticket.sla_due_at < now
    )
