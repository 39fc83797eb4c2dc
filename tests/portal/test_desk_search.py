"""Desk search on SQLite (FTS5 + triggers) and Postgres (GIN over to_tsvector): what it finds, in which
order, what the page shows, and that hostile queries are just words."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from portal.desk import search
from portal.extensions import db
from portal.models import Message, Ticket
from tests.portal.conftest import TicketFactory, login


@pytest.fixture
def world(any_app, monkeypatch):
    from portal.commands.demo import seed_demo

    with any_app.app_context():
        seed_demo()
        db.session.commit()
    return any_app


@pytest.fixture
def tickets(world):
    return TicketFactory(world)


def _found(app, query: str) -> list[tuple[str, str]]:
    with app.app_context():
        hits = search.find(query)
        refs = dict(db.session.execute(select(Ticket.id, Ticket.reference)).all())
        return [(refs[h.ticket_id], h.matched) for h in hits]


def test_finds_by_reference_order_email_name_and_words(world, tickets):
    lamp = tickets(subject="Desk lamp", body="My desk lamp flickers since Tuesday.", order="A1003")
    other = tickets(email="second@example.com", subject="Grinder", body="The grinder is loud.")
    assert _found(world, lamp) == [(lamp, "reference")]
    assert _found(world, lamp.lower()) == [(lamp, "reference")]
    assert _found(world, "A1003")[0] == (lamp, "order")
    assert _found(world, "#a1003")[0] == (lamp, "order")
    assert _found(world, "SECOND@example.com") == [(other, "email")]
    assert (other, "customer") in _found(world, "Sam")
    assert _found(world, "flickers") == [(lamp, "message")]
    assert _found(world, "grinder") == [(other, "subject")]  # the subject, before its messages
    assert _found(world, "grinder loud") == [(other, "message")]
    assert _found(world, "nothing-like-this") == []


def test_exact_matches_come_before_words(world, tickets):
    mentions = tickets(subject="Question", body="Is order A1003 the one with the headphones?")
    owner = tickets(subject="Refund", body="Please refund the headphones.", order="A1003")
    found = _found(world, "A1003")
    assert found[0] == (owner, "order")
    assert (mentions, "message") in found[1:]


def test_internal_notes_and_other_languages_are_searched(world, tickets):
    ref = tickets(subject="Pedido", body="Quiero un reembolso, el paquete llegó dañado.")
    tickets.add_message(
        ref, author_kind="staff", body="Courier confirmed the parcel zebrafish", internal=True
    )
    assert _found(world, "zebrafish") == [(ref, "message")]
    assert _found(world, "reembolso") == [(ref, "message")]
    assert _found(world, "dañado") == [(ref, "message")]


def test_index_follows_edits_and_deletes(world, tickets):
    ref = tickets(subject="Edit me", body="The word is marmalade.")
    assert _found(world, "marmalade") == [(ref, "message")]
    with world.app_context():
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.reference == ref))
        db.session.execute(
            update(Message).where(Message.ticket_id == ticket_id).values(body="Now it is jam.")
        )
        db.session.commit()
    assert _found(world, "marmalade") == []
    assert _found(world, "jam") == [(ref, "message")]
    with world.app_context():
        db.session.execute(Message.__table__.delete().where(Message.ticket_id == ticket_id))
        db.session.commit()
    assert _found(world, "jam") == []


@pytest.mark.parametrize(
    "query",
    ['"', "*", "NEAR(a b)", "a OR", "100%", "it's", "col:umn", "-", "' OR 1=1 --", "\\", "%_", "a" * 300],
)
def test_hostile_queries_are_only_words(world, tickets, query):
    tickets(subject="Plain", body="Nothing to see here.")
    _found(world, query)  # no error, whatever it finds


def test_search_page_shows_ticket_snippet_customer_status_and_pages(world, tickets):
    for number in range(23):
        tickets(subject=f"Blender {number}", body=f"The blender number {number} makes a noise <b>bold</b>.")
    client = world.test_client()
    login(client, "staff@example.com")
    page = client.get("/desk/search", query_string={"q": "noise"}).get_data(as_text=True)
    assert "23 tickets" in page
    assert page.count('class="card mb-2 search-result"') == 20
    assert "<mark>noise</mark>" in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "Casey" in page and "customer@example.com" in page
    second = client.get("/desk/search", query_string={"q": "noise", "page": 2}).get_data(as_text=True)
    assert second.count('class="card mb-2 search-result"') == 3
    assert "No ticket matches" in client.get("/desk/search?q=zzzqqq").get_data(as_text=True)
    assert 'action="/desk/search"' in client.get("/desk/").get_data(as_text=True)


def test_snippet_is_a_window_around_the_first_match():
    body = "x " * 200 + "the parcel arrived broken " + "y " * 200
    pieces = search.snippet(body, ["parcel"])
    assert pieces[0] == ("…", False) and pieces[-1] == ("…", False)
    assert ("parcel", True) in pieces
    assert sum(len(text) for text, _ in pieces) <= search.SNIPPET_CHARS + 2


@pytest.mark.postgres
def test_postgres_uses_the_gin_indexes(pg_app):
    with pg_app.app_context():
        db.session.execute(text("SET enable_seqscan = off"))
        plans = {
            name: "\n".join(db.session.scalars(text(f"EXPLAIN {sql}")))
            for name, sql in {
                "ix_messages_body_fts": "SELECT id FROM messages WHERE to_tsvector('simple', body) "
                "@@ websearch_to_tsquery('simple', 'parcel') LIMIT 5",
                "ix_users_name_fts": "SELECT id FROM users WHERE to_tsvector('simple', users.name) "
                "@@ websearch_to_tsquery('simple', 'sam')",
            }.items()
        }
        db.session.rollback()
    for index, plan in plans.items():
        assert index in plan, plan
