"""One page of the desk queue in one statement: the page's tickets as plain rows, with their customer,
assignee, order, team, tags and badges, and the number of matching tickets.

Why rows and not ORM objects: loading 20 tickets with four relations and their tags as entities cost
more CPU than all the SQL of the page, and the CPU per request is what decides the queue's p95 on a
small box (docs/performance.md, "Desk at 100k tickets / 1M messages").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from math import ceil

from sqlalchemy import Integer, Select, Subquery, bindparam, func, select

from portal.desk.queries import PER_PAGE, QueueFilters, ordering, queue_query
from portal.extensions import db
from portal.models import AgentRun, Order, Refund, RefundStatus, Tag, Team, Ticket, TicketTag, User


@dataclass(frozen=True)
class QueueRow:
    """What a row of the queue shows of one ticket."""

    id: int
    reference: str
    subject: str
    status: str
    priority: str
    escalation_reason: str | None
    sla_due_at: datetime | None
    created_at: datetime
    customer_name: str
    order_number: str | None
    assignee_name: str | None
    team_name: str | None
    held_refunds: int
    latest_run: str | None  # the status of the ticket's latest agent run
    tags: tuple[str, ...]


@dataclass(frozen=True)
class QueuePage:
    """The page's rows and what the pager needs (the names of flask_sqlalchemy's Pagination)."""

    items: list[QueueRow]
    page: int
    total: int

    @property
    def pages(self) -> int:
        return ceil(self.total / PER_PAGE)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def queue_page(filters: QueueFilters, user_id: int, page: int) -> QueuePage:
    """The page's tickets, chosen on ids: the filtered, sorted ids are offset and limited from the
    indexes in a subquery, and only those 20 tickets are joined to their names and tags."""
    page_statement, count_statement = _statements(filters)
    params = {"user_id": user_id, "offset": (page - 1) * PER_PAGE}
    rows = db.session.execute(page_statement, params).all()
    if rows:
        return QueuePage(items=_queue_rows(rows), page=page, total=rows[0].total)
    return QueuePage(items=[], page=page, total=db.session.scalar(count_statement, params))


@lru_cache(maxsize=256)
def _statements(filters: QueueFilters) -> tuple[Select, Select]:
    """The page and count statements of these filters, built once: building a statement (and the key
    of its compiled form) costs more CPU than running it. The person and the offset are parameters."""
    count, page_ids = (_tagged if filters.tag else _indexed)(filters)
    page = (
        select(count.scalar_subquery().label("total"), *_ROW_COLUMNS, Tag.name.label("tag"))
        .join_from(page_ids, Ticket, Ticket.id == page_ids.c.id)
        .outerjoin(TicketTag, TicketTag.ticket_id == Ticket.id)  # a row per tag: a ticket has a few at most
        .outerjoin(Tag, Tag.id == TicketTag.tag_id)
        .order_by(*ordering(filters.sort), Tag.name)
    )
    return page, count


def _indexed(filters: QueueFilters) -> tuple[Select, Subquery]:
    """Count, and the page's ids: read from an index in the sort's order, stopping after the page."""
    matching = queue_query(filters, select(Ticket.id))
    count = select(func.count()).select_from(matching.order_by(None).subquery())
    return count, matching.limit(PER_PAGE).offset(_OFFSET).subquery("page_ids")


def _tagged(filters: QueueFilters) -> tuple[Select, Subquery]:
    """With a tag, the matching tickets are few, but finding them is a join over every ticket of the
    status: found once (Postgres materializes a CTE used twice) for the count and the page, not twice
    (15 -> 8 ms for "open, tagged" at 100k tickets)."""
    sort_columns = select(Ticket.id, Ticket.priority, Ticket.sla_due_at, Ticket.created_at)
    matching = queue_query(filters, sort_columns).order_by(None).cte("matching")
    count = select(func.count()).select_from(matching)
    page_ids = select(matching.c.id).order_by(*ordering(filters.sort, matching.c))
    return count, page_ids.limit(PER_PAGE).offset(_OFFSET).subquery("page_ids")


_OFFSET = bindparam("offset", type_=Integer)


def _of_ticket(column, *where):
    """A value from a row that belongs to the ticket, as a correlated subquery: Postgres plans four
    joins more than these (~4 ms planning for the joined statement, 0.6 ms for this one)."""
    return select(column).where(*where).correlate(Ticket).scalar_subquery()


_latest_run = (
    select(AgentRun.status)
    .where(AgentRun.ticket_id == Ticket.id)
    .order_by(AgentRun.id.desc())
    .limit(1)
    .correlate(Ticket)
    .scalar_subquery()
)
# QueueRow's fields, in order. Built once: building them costs more CPU than running them.
_ROW_COLUMNS = (
    Ticket.id,
    Ticket.reference,
    Ticket.subject,
    Ticket.status,
    Ticket.priority,
    Ticket.escalation_reason,
    Ticket.sla_due_at,
    Ticket.created_at,
    _of_ticket(User.name, User.id == Ticket.customer_id).label("customer_name"),
    _of_ticket(Order.number, Order.id == Ticket.order_id).label("order_number"),
    _of_ticket(User.name, User.id == Ticket.assignee_id).label("assignee_name"),
    _of_ticket(Team.name, Team.id == Ticket.team_id).label("team_name"),
    _of_ticket(func.count(), Refund.ticket_id == Ticket.id, Refund.status == RefundStatus.HELD.value).label(
        "held_refunds"
    ),
    _latest_run.label("latest_run"),
)


def _queue_rows(rows) -> list[QueueRow]:
    """One QueueRow per ticket, in the statement's order, its tags gathered from its rows (a row is the
    total, QueueRow's fields in order, then one tag)."""
    fields: dict[int, list] = {}
    tags: dict[int, list[str]] = {}
    for _total, *columns, tag in rows:
        ticket_id = columns[0]
        if ticket_id not in fields:
            fields[ticket_id], tags[ticket_id] = columns, []
        if tag is not None:
            tags[ticket_id].append(tag)
    return [QueueRow(*columns, tags=tuple(tags[ticket_id])) for ticket_id, columns in fields.items()]
