"""The desk queue at volume: what its statements read (docs/performance.md, "Desk at 100k tickets").

The page sorts and skips narrow rows (ids) and loads only its 20 tickets; the counts, the reason list
(one statement) and "escalated, newest" read the small partial index of waiting tickets without visiting
the table.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import fields

import pytest
from sqlalchemy import event, select, text

from portal.extensions import db
from portal.models import Tag, Ticket
from tests.portal.conftest import TicketFactory, login


@contextmanager
def recorded(app):
    """(statement, parameters) of every statement run inside the block."""
    with app.app_context():
        engine = db.engine
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, *_args):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def desk(any_app):
    from portal.commands.demo import seed_demo

    with any_app.app_context():
        seed_demo()
        db.session.commit()
    client = any_app.test_client()
    login(client, "staff@example.com")
    return any_app, client, TicketFactory(any_app)


def _refs(client, path: str) -> list[str]:
    page = client.get(path).get_data(as_text=True)
    return [chunk.split('"', 1)[0] for chunk in page.split('data-reference="')[1:]]


def test_the_page_is_sorted_and_offset_on_ids_then_its_tickets_loaded_in_that_order(desk):
    app, client, make_ticket = desk
    refs = [make_ticket(subject=f"T{n}", status="escalated") for n in range(23)]
    with recorded(app) as statements:
        second = _refs(client, "/desk/?sort=created&page=2")
    assert second == refs[2::-1]  # newest first: the three oldest are on page 2, in order
    paged = [sql for sql, _ in statements if "ORDER BY tickets.created_at" in sql]
    assert len(paged) == 1, paged  # one statement: the page's ids, then their tickets, and the total
    # only ids are sorted and offset: no ticket bodies, no customers or orders behind that ORDER BY
    page_ids = re.search(r"FROM \((SELECT .*?) AS page_ids", paged[0], re.S)
    assert page_ids and "OFFSET" in page_ids.group(1), paged[0]
    assert page_ids.group(1).split("FROM")[0].split() == ["SELECT", "tickets.id", "AS", "id"], paged[0]
    assert _refs(client, "/desk/?sort=created") == refs[:2:-1]


def test_a_tag_filtered_page_is_counted_sorted_and_offset_like_the_others(desk):
    app, client, make_ticket = desk
    refs = [make_ticket(subject=f"T{n}", status="escalated") for n in range(23)]
    untagged = make_ticket(subject="No tag", status="escalated")
    ids = [make_ticket.get(ref).id for ref in refs]
    with app.app_context():
        tag, other = Tag(name="vip"), Tag(name="b2b")
        tickets = db.session.scalars(select(Ticket).where(Ticket.id.in_(ids))).all()
        for ticket in tickets:
            ticket.tags.append(tag)
            if ticket.id == ids[0]:
                ticket.tags.append(other)
        db.session.commit()
    with recorded(app) as statements:
        second = client.get("/desk/?tag=vip&sort=created&page=2").get_data(as_text=True)
    assert _refs(client, "/desk/?tag=vip&sort=created&page=2") == refs[2::-1]
    assert "23 tickets · page 2 of 2" in second and untagged not in second
    oldest = second.split(f'data-reference="{refs[0]}"')[1].split("</tr>")[0]
    assert re.findall(r'ticket-tag">([^<]+)<', oldest) == ["b2b", "vip"]  # every tag, by name
    # the tagged tickets are found once, for the page and its count
    (page,) = [sql for sql, _ in statements if "AS page_ids" in sql]
    assert page.count("FROM ticket_tags JOIN tags") == 1, page
    assert client.get("/desk/?tag=vip&page=3").status_code == 200  # past the end: counted on its own


def test_the_page_statement_selects_the_row_fields_in_their_order():
    from portal.desk.queue_page import _ROW_COLUMNS, QueueRow

    assert [column.key for column in _ROW_COLUMNS] == [f.name for f in fields(QueueRow) if f.name != "tags"]


def _plan(sql: str, parameters) -> str:
    db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a handful of rows: make the choice visible
    rows = db.session.connection().exec_driver_sql("EXPLAIN " + sql, parameters)  # as the page sent it
    return "\n".join(row[0] for row in rows)


@pytest.mark.postgres
def test_counts_reasons_and_newest_escalated_read_only_the_waiting_index(pg_app):
    from portal.commands.demo import seed_demo

    with pg_app.app_context():
        seed_demo()
        db.session.commit()
    make_ticket = TicketFactory(pg_app)
    for n in range(30):
        make_ticket(subject=f"W{n}", status="escalated", escalation_reason="negative sentiment")
        make_ticket(subject=f"R{n}", status="resolved")
    with pg_app.app_context(), db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE tickets"))
    client = pg_app.test_client()
    login(client, "staff@example.com")
    with recorded(pg_app) as statements:
        assert client.get("/desk/?status=escalated&sort=created").status_code == 200
    wanted = {  # name: (how to find the statement, index-only scans of ix_tickets_waiting it needs)
        "counts and reasons": (lambda sql: "GROUP BY tickets.escalation_reason" in sql, 2),
        "newest ids": (lambda sql: "ORDER BY tickets.created_at" in sql and "LIMIT" in sql, 1),
    }
    with pg_app.app_context():
        plans = {
            name: (_plan(*next(s for s in statements if matches(s[0]))), scans)
            for name, (matches, scans) in wanted.items()
        }
        db.session.rollback()
    for name, (plan, scans) in plans.items():
        assert len(re.findall(r"Index Only Scan (Backward )?using ix_tickets_waiting", plan)) >= scans, (
            name,
            plan,
        )
