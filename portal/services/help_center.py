"""The help center's records: searches, "was this helpful?" votes, suggestion clicks and deflections.

A deflection: on the new-ticket form a customer opened a suggested article, and no ticket followed from
that browser session within the visit (VISIT_MINUTES after the last click). Opening a ticket marks the
visit's recent clicks with it, so those are not counted.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import HelpSearch, HelpSuggestionClick, HelpVote, utcnow
from portal.support.pii import mask_card_numbers

VISIT_MINUTES = 30
HELP_VISIT_KEY = "help_visit"  # session key: the visit that opened suggested articles
HELP_VISIT_AT_KEY = "help_visit_at"  # and when it last did
QUERY_MAX = 200
COMMENT_MAX = 1000


def record_search(query: str, language: str, results: int) -> None:
    """Log one search (card numbers masked: visitors type anything into a search box)."""
    db.session.add(HelpSearch(query=mask_card_numbers(query)[:QUERY_MAX], language=language, results=results))


def already_voted(article: str, visitor: str) -> bool:
    """Whether this visitor has voted on this article."""
    query = select(HelpVote.id).where(HelpVote.article == article, HelpVote.visitor == visitor)
    return db.session.scalar(query) is not None


def record_vote(article: str, visitor: str, helpful: bool, comment: str, language: str) -> bool:
    """Store a vote; False when this visitor already voted (the unique constraint decides under races)."""
    vote = HelpVote(
        article=article,
        visitor=visitor,
        helpful=helpful,
        comment=mask_card_numbers(comment.strip())[:COMMENT_MAX] or None,
        language=language,
    )
    try:
        with db.session.begin_nested():
            db.session.add(vote)
    except IntegrityError:
        return False
    return True


def current_visit(session: MutableMapping, now: datetime | None = None) -> str:
    """The session's visit id: a new one when the last suggestion click is more than a visit ago."""
    now = now or utcnow()
    started = session.get(HELP_VISIT_AT_KEY, 0)
    if HELP_VISIT_KEY not in session or now.timestamp() - started > VISIT_MINUTES * 60:
        session[HELP_VISIT_KEY] = secrets.token_hex(16)
    session[HELP_VISIT_AT_KEY] = now.timestamp()
    return session[HELP_VISIT_KEY]


def record_suggestion_click(article: str, visit: str, user_id: int | None) -> None:
    """A suggested article opened from the new-ticket form."""
    db.session.add(HelpSuggestionClick(article=article, visit=visit, user_id=user_id))


def ticket_followed(visit: str | None, ticket_id: int, now: datetime | None = None) -> None:
    """A ticket was opened in this visit: its recent suggestion clicks were not deflections."""
    if not visit:
        return
    since = (now or utcnow()) - timedelta(minutes=VISIT_MINUTES)
    db.session.execute(
        update(HelpSuggestionClick)
        .where(
            HelpSuggestionClick.visit == visit,
            HelpSuggestionClick.ticket_id.is_(None),
            HelpSuggestionClick.created_at >= since,
        )
        .values(ticket_id=ticket_id)
    )


@dataclass(frozen=True)
class ArticleVotes:
    article: str
    helpful: int
    not_helpful: int
    comments: int


@dataclass(frozen=True)
class HelpMetrics:
    searches: int
    empty_searches: list[tuple[str, int]]  # (query, times) of searches that found nothing
    empty_total: int
    suggestion_visits: int  # visits in which a suggested article was opened
    deflections: int
    votes: list[ArticleVotes]
    recent_comments: list[tuple[str, bool, str]]  # (article, helpful, comment)


def help_metrics(since: datetime, now: datetime | None = None) -> HelpMetrics:
    """What the admin metrics page shows about the help center since `since`."""
    now = now or utcnow()
    searched = select(func.count(HelpSearch.id)).where(HelpSearch.created_at >= since)
    empty = (
        select(HelpSearch.query, func.count(HelpSearch.id))
        .where(HelpSearch.created_at >= since, HelpSearch.results == 0)
        .group_by(HelpSearch.query)
        .order_by(func.count(HelpSearch.id).desc(), HelpSearch.query)
    )
    empty_rows = [(q, n) for q, n in db.session.execute(empty)]
    visits, deflections = _deflections(since, now)
    return HelpMetrics(
        db.session.scalar(searched) or 0,
        empty_rows[:20],
        sum(n for _, n in empty_rows),
        visits,
        deflections,
        _votes(since),
        _comments(since),
    )


def _deflections(since: datetime, now: datetime) -> tuple[int, int]:
    visits = (
        select(
            HelpSuggestionClick.visit,
            func.max(HelpSuggestionClick.created_at).label("last"),
            func.count(HelpSuggestionClick.ticket_id).label("tickets"),
        )
        .where(HelpSuggestionClick.created_at >= since)
        .group_by(HelpSuggestionClick.visit)
        .subquery()
    )
    ended = now - timedelta(minutes=VISIT_MINUTES)
    total = db.session.scalar(select(func.count()).select_from(visits)) or 0
    deflected = select(func.count()).select_from(visits).where(visits.c.tickets == 0, visits.c.last < ended)
    return total, db.session.scalar(deflected) or 0


def _votes(since: datetime) -> list[ArticleVotes]:
    helpful = func.sum(func.cast(HelpVote.helpful, db.Integer))
    query = (
        select(HelpVote.article, helpful, func.count(HelpVote.id), func.count(HelpVote.comment))
        .where(HelpVote.created_at >= since)
        .group_by(HelpVote.article)
        .order_by(func.count(HelpVote.id).desc(), HelpVote.article)
    )
    return [ArticleVotes(a, int(h or 0), n - int(h or 0), c) for a, h, n, c in db.session.execute(query)]


def _comments(since: datetime) -> list[tuple[str, bool, str]]:
    query = (
        select(HelpVote.article, HelpVote.helpful, HelpVote.comment)
        .where(HelpVote.created_at >= since, HelpVote.comment.is_not(None))
        .order_by(HelpVote.created_at.desc())
        .limit(10)
    )
    return [tuple(row) for row in db.session.execute(query)]
