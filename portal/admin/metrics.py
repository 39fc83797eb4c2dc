"""Queries behind the admin metrics page; each works on SQLite and Postgres and returns plain data.

All figures cover tickets (or runs, or action-log rows) created in the window [since, now).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, literal_column, select

from portal.extensions import db
from portal.models import (
    ActionLog,
    AgentRun,
    AuthorKind,
    Message,
    RunStatus,
    Team,
    Ticket,
    TicketStatus,
    User,
    utcnow,
)
from tools.messages import reason_words

TOOL_DECISIONS = ("done", "denied", "held")


def _day(column):
    """The UTC calendar day of a timestamp column, as the dialect spells it."""
    if db.engine.dialect.name == "postgresql":
        # Literal constants, not bound parameters: GROUP BY must repeat the very same expression.
        return func.to_char(func.timezone(literal_column("'UTC'"), column), literal_column("'YYYY-MM-DD'"))
    return func.strftime("%Y-%m-%d", column)  # SQLite stores UTC already


def tickets_by_day(since: datetime, now: datetime) -> dict[str, dict[str, int]]:
    """{'2025-01-31': {'answered': 3, 'escalated': 1, ...}} for every day in the window (empty days too)."""
    day = _day(Ticket.created_at)
    rows = db.session.execute(
        select(day, Ticket.status, func.count())
        .where(Ticket.created_at >= since, Ticket.created_at < now)
        .group_by(day, Ticket.status)
    )
    days = _days(since.date(), now.date())
    for day_key, status, count in rows:
        days.setdefault(day_key, {})[status] = count
    return days


def _days(first: date, last: date) -> dict[str, dict[str, int]]:
    return {(first + timedelta(days=n)).isoformat(): {} for n in range((last - first).days + 1)}


@dataclass
class Outcomes:
    total: int = 0
    resolved_by_agent: int = 0  # customer said satisfied, no person involved
    satisfied_with_person: int = 0
    closed_without_feedback: int = 0
    unsatisfied: int = 0
    escalated: int = 0
    open: int = 0

    def rate(self, part: int) -> float | None:
        return None if not self.total else part / self.total


def ticket_outcomes(since: datetime, now: datetime) -> Outcomes:
    """How tickets ended: the agent's resolution rate is kept apart from tickets closed without feedback."""
    satisfied = Ticket.satisfaction == "satisfied"
    resolved = Ticket.status == TicketStatus.RESOLVED.value
    row = db.session.execute(
        select(
            func.count(),
            func.count().filter(satisfied, Ticket.human_involved.is_(False)),
            func.count().filter(satisfied, Ticket.human_involved.is_(True)),
            func.count().filter(resolved, Ticket.satisfaction.is_(None)),
            func.count().filter(Ticket.satisfaction == "unsatisfied"),
            func.count().filter(Ticket.escalated_at.is_not(None)),
            func.count().filter(~resolved),
        ).where(Ticket.created_at >= since, Ticket.created_at < now)
    ).one()
    return Outcomes(*row)


def _grouped(column, since: datetime, now: datetime, limit: int = 10) -> list[tuple[str, int]]:
    rows = db.session.execute(
        select(column, func.count())
        .where(Ticket.created_at >= since, Ticket.created_at < now, column.is_not(None))
        .group_by(column)
        .order_by(func.count().desc(), column)
        .limit(limit)
    )
    return [(str(key), count) for key, count in rows]


def escalation_reasons(since: datetime, now: datetime) -> list[tuple[str, int]]:
    """The most frequent reasons, in words (never a raw 'not_covered:' code)."""
    return [(reason_words(reason), count) for reason, count in _grouped(Ticket.escalation_reason, since, now)]


def intents(since: datetime, now: datetime) -> list[tuple[str, int]]:
    return _grouped(Ticket.intent, since, now, limit=15)


def tool_outcomes(since: datetime, now: datetime) -> dict[str, dict[str, int]]:
    """{'refund': {'done': 5, 'denied': 2, 'held': 1}, ...} from the action log (desk notes excluded)."""
    rows = db.session.execute(
        select(ActionLog.tool, ActionLog.decision, func.count())
        .where(
            ActionLog.created_at >= since, ActionLog.created_at < now, ActionLog.decision.in_(TOOL_DECISIONS)
        )
        .group_by(ActionLog.tool, ActionLog.decision)
        .order_by(ActionLog.tool)
    )
    table: dict[str, dict[str, int]] = {}
    for tool, decision, count in rows:
        table.setdefault(tool, dict.fromkeys(TOOL_DECISIONS, 0))[decision] = count
    return table


@dataclass
class Latency:
    runs: int = 0
    median_ms: float | None = None
    p95_ms: float | None = None
    failed: int = 0


def agent_latency(since: datetime, now: datetime) -> Latency:
    """Median and p95 of finished runs' durations (nearest rank: two indexed single-row reads)."""
    window = (AgentRun.queued_at >= since, AgentRun.queued_at < now)
    timed = (*window, AgentRun.status == RunStatus.DONE.value, AgentRun.duration_ms.is_not(None))
    count = db.session.scalar(select(func.count()).where(*timed)) or 0
    failed = db.session.scalar(select(func.count()).where(*window, AgentRun.status == RunStatus.FAILED.value))
    if not count:
        return Latency(0, None, None, failed or 0)
    return Latency(count, _nth_duration(timed, count, 0.5), _nth_duration(timed, count, 0.95), failed or 0)


def _rank(count: int, quantile: float) -> int:
    return max(1, math.ceil(round(count * quantile, 6)))  # nearest-rank percentile (1-based)


def _nth_duration(conditions, count: int, quantile: float) -> float:
    rank = _rank(count, quantile)
    query = (
        select(AgentRun.duration_ms)
        .where(*conditions)
        .order_by(AgentRun.duration_ms)
        .offset(rank - 1)
        .limit(1)
    )
    return float(db.session.scalar(query))


@dataclass
class BackendCost:
    backend: str
    runs: int
    prompt_tokens: int
    completion_tokens: int
    cost: Decimal = field(default_factory=Decimal)


def cost_by_backend(since: datetime, now: datetime) -> list[BackendCost]:
    """Model spend per backend (the local backend costs nothing; Mistral runs carry their token cost)."""
    rows = db.session.execute(
        select(
            AgentRun.backend,
            func.count(),
            func.coalesce(func.sum(AgentRun.prompt_tokens), 0),
            func.coalesce(func.sum(AgentRun.completion_tokens), 0),
            func.coalesce(func.sum(AgentRun.cost), 0),
        )
        .where(AgentRun.queued_at >= since, AgentRun.queued_at < now)
        .group_by(AgentRun.backend)
        .order_by(AgentRun.backend)
    )
    return [BackendCost(b or "unknown", n, int(p), int(c), Decimal(str(cost))) for b, n, p, c, cost in rows]


@dataclass
class Dashboard:
    since: datetime
    now: datetime
    by_day: dict[str, dict[str, int]]
    outcomes: Outcomes
    reasons: list[tuple[str, int]]
    intents: list[tuple[str, int]]
    tools: dict[str, dict[str, int]]
    latency: Latency
    costs: list[BackendCost]


def dashboard(days: int = 30, now: datetime | None = None) -> Dashboard:
    """Everything the admin metrics page shows, for the last `days` days."""
    now = now or utcnow()
    since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return Dashboard(
        since,
        now,
        tickets_by_day(since, now),
        ticket_outcomes(since, now),
        escalation_reasons(since, now),
        intents(since, now),
        tool_outcomes(since, now),
        agent_latency(since, now),
        cost_by_backend(since, now),
    )


# --- the desk: response and resolution times, CSAT, per team and per staff member ---------------------------


@dataclass(frozen=True)
class Spread:
    """Median and 90th percentile (nearest rank) of durations in seconds; None when there are none."""

    count: int = 0
    median: float | None = None
    p90: float | None = None


def spread(seconds: list[float]) -> Spread:
    if not seconds:
        return Spread()
    ordered = sorted(seconds)
    return Spread(len(ordered), ordered[_rank(len(ordered), 0.5) - 1], ordered[_rank(len(ordered), 0.9) - 1])


@dataclass
class DeskRow:
    """One line of the desk table: everyone, a team or a staff member."""

    name: str
    tickets: int = 0
    first_response: Spread = field(default_factory=Spread)  # created -> first reply (agent or person)
    person_response: Spread = field(default_factory=Spread)  # escalated -> first reply from a person
    resolution: Spread = field(default_factory=Spread)  # created -> resolved
    satisfied: int = 0
    unsatisfied: int = 0

    @property
    def csat(self) -> float | None:
        """satisfied / (satisfied + not satisfied): tickets nobody rated do not count either way."""
        rated = self.satisfied + self.unsatisfied
        return self.satisfied / rated if rated else None


@dataclass
class DeskMetrics:
    since: datetime
    until: datetime
    overall: DeskRow
    teams: list[DeskRow]
    staff: list[DeskRow]
    agent_confirmed: int  # satisfied, no person involved (the customer said so)
    agent_assumed: int  # the agent answered, then silence for `assumed_days` (nobody said anything)
    assumed_days: int

    def rate(self, part: int) -> float | None:
        return part / self.overall.tickets if self.overall.tickets else None

    @property
    def last_day(self) -> date:
        """The range's last calendar day (`until` is exclusive)."""
        return (self.until - timedelta(microseconds=1)).date()


def _first_staff_reply(since: datetime, until: datetime):
    """Per ticket of the window: when a person first wrote to the customer (internal notes excluded)."""
    in_window = select(Ticket.id).where(Ticket.created_at >= since, Ticket.created_at < until)
    return (
        select(Message.ticket_id, func.min(Message.created_at).label("at"))
        .where(
            Message.author_kind == AuthorKind.STAFF.value,
            Message.internal.is_(False),
            Message.ticket_id.in_(in_window),
        )
        .group_by(Message.ticket_id)
        .subquery()
    )


def _desk_rows(since: datetime, until: datetime) -> list[tuple]:
    """One narrow row per ticket of the window (the durations need every value for the percentiles)."""
    staff_reply = _first_staff_reply(since, until)
    return db.session.execute(
        select(
            Ticket.team_id,
            Ticket.assignee_id,
            Ticket.created_at,
            Ticket.first_response_at,
            Ticket.escalated_at,
            staff_reply.c.at,
            Ticket.resolved_at,
            Ticket.satisfaction,
        )
        .outerjoin(staff_reply, staff_reply.c.ticket_id == Ticket.id)
        .where(Ticket.created_at >= since, Ticket.created_at < until)
    ).all()


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None or end < start else (end - start).total_seconds()


def _fill(row: DeskRow, tickets: list[tuple]) -> DeskRow:
    row.tickets = len(tickets)
    picks = {
        "first_response": (2, 3),  # created_at -> first_response_at
        "person_response": (4, 5),  # escalated_at -> first staff reply
        "resolution": (2, 6),  # created_at -> resolved_at
    }
    for name, (start, end) in picks.items():
        values = [_seconds(t[start], t[end]) for t in tickets]
        setattr(row, name, spread([v for v in values if v is not None]))
    row.satisfied = sum(1 for t in tickets if t[7] == "satisfied")
    row.unsatisfied = sum(1 for t in tickets if t[7] == "unsatisfied")
    return row


def _grouped_rows(tickets: list[tuple], index: int, names: dict[int, str]) -> list[DeskRow]:
    groups: dict[int, list[tuple]] = {}
    for ticket in tickets:
        if ticket[index] is not None:
            groups.setdefault(ticket[index], []).append(ticket)
    rows = [_fill(DeskRow(names.get(key, f"#{key}")), group) for key, group in groups.items()]
    return sorted(rows, key=lambda row: row.name.casefold())


def assumed_resolved(since: datetime, until: datetime, days: int, now: datetime) -> int:
    """Tickets the agent alone answered last, with no word from the customer for `days` days since.

    Counted apart from confirmed resolutions: silence may mean solved, or that the customer gave up.
    """
    last = (
        select(func.max(Message.id))
        .where(Message.ticket_id == Ticket.id, Message.internal.is_(False))
        .correlate(Ticket)
        .scalar_subquery()
    )
    return db.session.scalar(
        select(func.count())
        .select_from(Ticket)
        .join(Message, Message.id == last)
        .where(
            Ticket.created_at >= since,
            Ticket.created_at < until,
            Ticket.human_involved.is_(False),
            Ticket.satisfaction.is_(None),
            Ticket.status.in_([TicketStatus.ANSWERED.value, TicketStatus.RESOLVED.value]),
            Message.author_kind == AuthorKind.AGENT.value,
            Message.created_at <= now - timedelta(days=days),
        )
    )


def desk_metrics(
    since: datetime, until: datetime, assumed_days: int, now: datetime | None = None
) -> DeskMetrics:
    """Times, CSAT and the agent's two resolution counts for tickets opened in [since, until)."""
    now = now or utcnow()
    tickets = _desk_rows(since, until)
    team_names = dict(db.session.execute(select(Team.id, Team.name)).all())
    staff_ids = {t[1] for t in tickets if t[1] is not None}
    staff_names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(staff_ids))).all())
    return DeskMetrics(
        since,
        until,
        _fill(DeskRow("Everyone"), tickets),
        _grouped_rows(tickets, 0, team_names),
        _grouped_rows(tickets, 1, staff_names),
        ticket_outcomes(since, until).resolved_by_agent,
        assumed_resolved(since, until, assumed_days, now) or 0,
        assumed_days,
    )


CSV_HEADER = (
    "scope", "name", "tickets",
    "first_response_median_s", "first_response_p90_s",
    "person_response_median_s", "person_response_p90_s",
    "resolution_median_s", "resolution_p90_s",
    "satisfied", "not_satisfied", "csat",
    "agent_resolved_confirmed", "agent_resolved_assumed",
)  # fmt: skip


def desk_csv_rows(data: DeskMetrics) -> list[list[object]]:
    """The desk table as CSV rows (header first): everyone, then each team, then each staff member."""
    rows: list[list[object]] = [list(CSV_HEADER)]
    scoped = [("all", data.overall)] + [("team", r) for r in data.teams] + [("staff", r) for r in data.staff]
    for scope, row in scoped:
        times = [row.first_response, row.person_response, row.resolution]
        extra = [data.agent_confirmed, data.agent_assumed] if scope == "all" else ["", ""]
        rows.append(
            [scope, row.name, row.tickets]
            + [_csv_number(value) for spread_ in times for value in (spread_.median, spread_.p90)]
            + [row.satisfied, row.unsatisfied, _csv_number(row.csat, 4)]
            + extra
        )
    return rows


def _csv_number(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:.{digits}f}"
