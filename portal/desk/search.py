"""Desk search over tickets, messages and customers: exact identifiers first, then words, ranked.

Exact matches (a ticket reference, an order number, a customer's email) are unique-index lookups and
come first; then customers by name; then tickets whose subject or messages contain the words, ranked by
the database's full-text score (Postgres `ts_rank` over a GIN index, SQLite FTS5's bm25; see
portal.database.search_ddl). Internal notes are searched too: the desk is staff only.

At a million messages a common word matches far too many to rank them all within a page's budget, so
each kind of match is capped (MESSAGE_CANDIDATES) and only those are ranked: precise queries are exact,
broad ones return good matches fast rather than the provably best of 100 000.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Select, func, literal_column, select, text
from sqlalchemy.orm import joinedload

from portal.database.search_ddl import tsvector
from portal.desk.queries import MAX_PAGE
from portal.extensions import db
from portal.models import Message, Order, Role, Ticket, User

QUERY_MAX = 200
PER_PAGE = 20
MAX_RESULTS = 500  # tickets; past that, refine the words
MESSAGE_CANDIDATES = 1000  # matching messages ranked per search
EXACT_TICKETS = 100  # tickets of one order or one customer shown as exact matches
CUSTOMERS = 20
SNIPPET_CHARS = 180
_WORD = re.compile(r"\w+", re.UNICODE)

# Why a ticket was found, in the order results are shown.
MATCH_LABELS = {
    "reference": "ticket reference",
    "order": "order number",
    "email": "customer email",
    "customer": "customer name",
    "subject": "subject",
    "message": "message",
}


@dataclass(frozen=True)
class Hit:
    """One ticket found, why, and (for a word match) the message that matched."""

    ticket_id: int
    matched: str
    message_id: int | None = None


@dataclass(frozen=True)
class Result:
    """A hit ready for the page: the ticket (customer and order loaded) and a snippet as (text, is_match)."""

    ticket: Ticket
    matched: str
    snippet: list[tuple[str, bool]]
    internal: bool = False


def clean_query(raw: str | None) -> str:
    return " ".join((raw or "").split())[:QUERY_MAX]


def find(query: str) -> list[Hit]:
    """Every ticket the query finds (at most MAX_RESULTS), best first, each once."""
    query = clean_query(query)
    if not query:
        return []
    words = _WORD.findall(query)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    hits = [
        *_exact(query),
        *_by_customer_name(query, postgres),
        *(_by_words_postgres(query) if postgres else _by_words_sqlite(words)),
    ]
    seen: dict[int, Hit] = {}
    for hit in hits:
        seen.setdefault(hit.ticket_id, hit)
    return list(seen.values())[:MAX_RESULTS]


def _exact(query: str) -> list[Hit]:
    token = query.strip().lstrip("#")
    hits = [Hit(t, "reference") for t in _ids(select(Ticket.id).where(Ticket.reference == token.upper()))]
    orders = select(Order.id).where(Order.number.in_({token, token.upper()}))
    hits += [Hit(t, "order") for t in _ids(_newest(select(Ticket.id).where(Ticket.order_id.in_(orders))))]
    if "@" in token:
        customer = select(User.id).where(User.email == token.lower())
        tickets = _newest(select(Ticket.id).where(Ticket.customer_id.in_(customer)))
        hits += [Hit(t, "email") for t in _ids(tickets)]
    return hits


def _newest(query: Select) -> Select:
    return query.order_by(Ticket.id.desc()).limit(EXACT_TICKETS)


def _ids(query: Select) -> list[int]:
    return db.session.scalars(query).all()


def _by_customer_name(query: str, postgres: bool) -> list[Hit]:
    if postgres:
        matches = literal_column(tsvector("users.name")).op("@@")(func.websearch_to_tsquery("simple", query))
    else:
        matches = User.name.ilike(f"%{_like_escaped(query)}%", escape="\\")
    customers = select(User.id).where(matches, User.role == Role.CUSTOMER.value).limit(CUSTOMERS)
    tickets = _newest(select(Ticket.id).where(Ticket.customer_id.in_(customers)))
    return [Hit(t, "customer") for t in _ids(tickets)]


def _like_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _by_words_postgres(query: str) -> list[Hit]:
    """Subjects, then messages by ts_rank among the first MESSAGE_CANDIDATES matches."""
    # The expressions are spelled as in portal.database.search_ddl's indexes, or Postgres would not use them.
    # No ORDER BY in the inner selects: a common word must not make the database sort every match.
    subjects = db.session.execute(
        text(
            "SELECT id FROM tickets "
            "WHERE to_tsvector('simple', subject) @@ websearch_to_tsquery('simple', :q) LIMIT :n"
        ),
        {"q": query, "n": EXACT_TICKETS},
    )
    messages = db.session.execute(
        text(
            "SELECT c.id, c.ticket_id FROM ("
            "  SELECT id, ticket_id, body FROM messages"
            "  WHERE to_tsvector('simple', body) @@ websearch_to_tsquery('simple', :q) LIMIT :n"
            ") AS c "
            "ORDER BY ts_rank(to_tsvector('simple', c.body), websearch_to_tsquery('simple', :q)) DESC,"
            " c.id DESC"
        ),
        {"q": query, "n": MESSAGE_CANDIDATES},
    )
    # .all(): one fetch of the 1,000 rows; iterating the result fetched them one at a time (~4 ms of CPU)
    return [Hit(row.id, "subject") for row in subjects.all()] + [
        Hit(row.ticket_id, "message", row.id) for row in messages.all()
    ]


def _by_words_sqlite(words: list[str]) -> list[Hit]:
    if not words:
        return []
    # Each word quoted: FTS5's query syntax (AND, NEAR, column:, *) never comes from the search box.
    match = " ".join('"' + word.replace('"', "") + '"' for word in words[:12])
    subjects = select(Ticket.id).where(
        *(Ticket.subject.ilike(f"%{_like_escaped(w)}%", escape="\\") for w in words[:12])
    )
    messages = db.session.execute(
        text(
            "SELECT m.id, m.ticket_id FROM messages_fts JOIN messages AS m ON m.id = messages_fts.rowid "
            "WHERE messages_fts MATCH :q ORDER BY rank LIMIT :n"
        ),
        {"q": match, "n": MESSAGE_CANDIDATES},
    )
    return [Hit(t, "subject") for t in _ids(_newest(subjects))] + [
        Hit(row.ticket_id, "message", row.id) for row in messages.all()
    ]


def page_of(hits: list[Hit], page: int, query: str) -> list[Result]:
    """The results of one page: tickets loaded in one query, snippets from the matched messages."""
    chosen = hits[(page - 1) * PER_PAGE : page * PER_PAGE]
    if not chosen:
        return []
    ids = [hit.ticket_id for hit in chosen]
    tickets = {
        t.id: t
        for t in db.session.scalars(
            select(Ticket)
            .where(Ticket.id.in_(ids))
            .options(joinedload(Ticket.customer), joinedload(Ticket.order))
        ).unique()
    }
    message_ids = [hit.message_id for hit in chosen if hit.message_id]
    messages = (
        {m.id: m for m in db.session.scalars(select(Message).where(Message.id.in_(message_ids)))}
        if message_ids
        else {}
    )
    words = [w.lower() for w in _WORD.findall(query)]
    results = []
    for hit in chosen:
        ticket = tickets[hit.ticket_id]
        message = messages.get(hit.message_id)
        body = message.body if message is not None else ticket.body
        results.append(
            Result(ticket, hit.matched, snippet(body, words), bool(message is not None and message.internal))
        )
    return results


def snippet(body: str, words: list[str], size: int = SNIPPET_CHARS) -> list[tuple[str, bool]]:
    """A window of `body` around the first matching word, as (text, highlighted) pieces (escaped later)."""
    body = " ".join(body.split())
    pattern = _words_pattern(words)
    first = pattern.search(body) if pattern else None
    start = max(0, first.start() - size // 3) if first else 0
    window = body[start : start + size]
    pieces: list[tuple[str, bool]] = [("…", False)] if start else []
    position = 0
    for match in pattern.finditer(window) if pattern else ():
        pieces += [(window[position : match.start()], False), (match.group(0), True)]
        position = match.end()
    pieces.append((window[position:], False))
    if start + size < len(body):
        pieces.append(("…", False))
    return [piece for piece in pieces if piece[0]]


def _words_pattern(words: list[str]) -> re.Pattern | None:
    words = [w for w in dict.fromkeys(words) if w]
    if not words:
        return None
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)


def page_number(args) -> int:
    page = args.get("page", 1, type=int)
    return page if 1 <= page <= MAX_PAGE else 1
