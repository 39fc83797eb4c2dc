"""What the desk's filters and forms offer: active staff, teams, tags and the person's saved views.

One statement for all four lists, run at most once per request (the queue's filters, its bulk form and
saved views, and the ticket page's team box all ask): four ORM queries cost ~3 ms of CPU per queue page,
more than this statement's 0.3 ms (docs/performance.md, "Desk at 100k tickets / 1M messages").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask import g
from flask_login import current_user
from sqlalchemy import Select, bindparam, cast, literal, null, select, union_all

from portal.extensions import db
from portal.models import Role, SavedView, Tag, Team, User

TAG_LIMIT = 200  # the filter lists at most this many tags, alphabetically


@dataclass(frozen=True)
class Choice:
    id: int
    name: str


@dataclass(frozen=True)
class ViewChoice:
    """A saved view of the queue: its name and the filters it restores (QueueFilters.args())."""

    id: int
    name: str
    filters: dict[str, str] = field(hash=False)


@dataclass(frozen=True)
class DeskChoices:
    staff: list[Choice]  # active staff and admins, by name
    teams: list[Choice]
    tags: list[str]
    views: list[ViewChoice]  # the current user's


def desk_choices() -> DeskChoices:
    """The lists for the current user, loaded on the first call of the request."""
    if "desk_choices" not in g:
        g.desk_choices = load_choices(current_user.id)
    return g.desk_choices


def load_choices(user_id: int) -> DeskChoices:
    lists = defaultdict(list)
    for row in db.session.execute(_CHOICES, {"user_id": user_id}).all():
        lists[row.kind].append(row)
    return DeskChoices(
        staff=[Choice(row.id, row.name) for row in lists["staff"]],
        teams=[Choice(row.id, row.name) for row in lists["team"]],
        tags=[row.name for row in lists["tag"]],
        views=[ViewChoice(row.id, row.name, row.filters) for row in lists["view"]],
    )


def _part(kind: str, source, filters=None) -> Select:
    # every part types its NULLs: Postgres resolves a UNION's column types two parts at a time
    filters = cast(null(), SavedView.filters.type) if filters is None else filters
    return select(
        literal(kind).label("kind"),
        source.c.id.label("id"),
        source.c.name.label("name"),
        filters.label("filters"),
    )


def _statement() -> Select:
    staff = (
        select(User.id, User.name)
        .where(User.role.in_([Role.STAFF.value, Role.ADMIN.value]), User.active.is_(True))
        .subquery()
    )  # ix_users_staff
    teams = select(Team.id, Team.name).subquery()
    tags = select(Tag.id, Tag.name).order_by(Tag.name).limit(TAG_LIMIT).subquery()
    views = (
        select(SavedView.id, SavedView.name, SavedView.filters)
        .where(SavedView.user_id == bindparam("user_id"))
        .subquery()
    )
    lists = union_all(
        _part("staff", staff), _part("team", teams), _part("tag", tags), _part("view", views, views.c.filters)
    ).subquery()
    return select(lists).order_by(lists.c.kind, lists.c.name, lists.c.id)


_CHOICES = _statement()  # built once: building it costs more CPU than running it
