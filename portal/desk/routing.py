"""Routing: which team's queue a ticket joins when it reaches a person, and who in the team gets it.

`route(ticket)` is the one hook, called wherever a ticket is handed to a person (effects.mark_escalated,
the customer's "talk to a person"). Rules are matched by intent and priority (lowest position first), else
the default team. Auto-assignment picks the available member with the fewest open tickets, below the
per-person cap; when nobody qualifies the ticket waits unassigned in the team's queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from portal.config import settings
from portal.extensions import db
from portal.models import (
    ActionDecision,
    AgentRun,
    Role,
    RoutingRule,
    RunStatus,
    Team,
    TeamMember,
    Ticket,
    TicketStatus,
    User,
)
from portal.services.audit import Actor, log_action


@dataclass(frozen=True)
class Routed:
    team: str | None
    assignee: str | None
    why: str  # for the action log: "Billing: assigned to Stella (1 open)" / "no available member"


def route(ticket: Ticket) -> Routed | None:
    """Put the ticket in a team's queue and give it to a member if one is free (in the caller's transaction).

    A ticket that already has a team keeps it (a person moved it, or it was routed before); one that
    already has an owner keeps its owner. None when there is nothing to do (no teams at all).
    """
    if _agent_running(ticket.id):
        return None  # a tool escalated mid-run: the run routes once it has stored the intent it read
    team = db.session.get(Team, ticket.team_id) if ticket.team_id else choose_team(ticket)
    if team is None:
        return None
    # Lock the team before the ticket points at it: the UPDATE of tickets.team_id takes a key-share lock
    # on the team row, and two routings each holding one while waiting for FOR UPDATE would deadlock.
    lock_team(team)
    ticket.team_id = team.id
    assignee, why = (None, "already owned") if ticket.assignee_id else pick_assignee(team)
    if assignee is not None:
        ticket.assignee_id = assignee.id
    result = Routed(team.name, assignee.name if assignee else None, f"{team.name}: {why}")
    log_action(
        Actor.system("routing"),
        "desk.route",
        ActionDecision.NOTE.value,
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        detail=result.why,
    )
    return result


def _agent_running(ticket_id: int) -> bool:
    query = select(AgentRun.id).where(
        AgentRun.ticket_id == ticket_id, AgentRun.status == RunStatus.RUNNING.value
    )
    return db.session.scalar(query.limit(1)) is not None


def choose_team(ticket: Ticket) -> Team | None:
    """The team of the first matching rule, else the default team, else None."""
    rules = db.session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id))
    for rule in rules:
        if rule_matches(rule.intents, rule.priorities, ticket.intent, ticket.priority):
            return rule.team
    return db.session.scalar(select(Team).where(Team.is_default.is_(True)))


def rule_matches(intents: list[str], priorities: list[str], intent: str | None, priority: str | None) -> bool:
    """An empty list matches anything; otherwise the ticket's value must be in it."""
    return (not intents or intent in intents) and (not priorities or priority in priorities)


def cap_for(team: Team) -> int:
    return team.max_open_per_person or settings().desk.max_open_per_person


def lock_team(team: Team) -> None:
    """Hold the team row until the transaction ends (Postgres FOR UPDATE; SQLite holds its write lock)."""
    with db.session.no_autoflush:  # nothing pending may reference the team before its lock is held
        db.session.execute(select(Team.id).where(Team.id == team.id).with_for_update())


def pick_assignee(team: Team) -> tuple[User | None, str]:
    """The available member with the fewest open tickets under the cap (ties: the lowest id), and why.

    The team row is locked first: two tickets routed at once count each other's assignment, so nobody
    goes over the cap (Postgres FOR UPDATE; SQLite already holds its write lock).
    """
    lock_team(team)  # already held when called from route(); taking it again is free
    cap = cap_for(team)
    loads = member_loads(team.id)
    if not loads:
        return None, "no available member; waits in the team queue"
    user, open_count = min(loads, key=lambda pair: (pair[1], pair[0].id))
    if open_count >= cap:
        return None, f"every available member has {cap} open tickets (the cap); waits in the team queue"
    return user, f"assigned to {user.name} ({open_count} open before)"


def member_loads(team_id: int) -> list[tuple[User, int]]:
    """Active, available staff of the team with their open (unresolved) ticket counts, in one query."""
    open_count = (
        select(func.count(Ticket.id))
        .where(Ticket.assignee_id == User.id, Ticket.status != TicketStatus.RESOLVED.value)
        .correlate(User)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(User, open_count)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(
            TeamMember.team_id == team_id,
            User.active.is_(True),
            User.available.is_(True),
            User.role.in_([Role.STAFF.value, Role.ADMIN.value]),
        )
        .order_by(User.id)
    )
    return [(user, count) for user, count in rows]


def set_available(user: User, available: bool) -> None:
    """Available or away: away members keep their tickets but get no new ones automatically."""
    user.available = available
    log_action(
        Actor.staff(user.id, user.name),
        "desk.presence",
        ActionDecision.NOTE.value,
        detail="available" if available else "away",
    )
