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
from portal.models import ActionLog, AgentRun, RunStatus, Ticket, TicketStatus, utcnow
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


def _nth_duration(conditions, count: int, quantile: float) -> float:
    rank = max(1, math.ceil(round(count * quantile, 6)))  # nearest-rank percentile
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
