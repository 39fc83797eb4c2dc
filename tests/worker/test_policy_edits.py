"""An admin's policy edit reaches the agent on the next ticket: no restart, no manual index rebuild."""

from __future__ import annotations

from pathlib import Path

from portal.config import get_settings
from portal.extensions import db
from portal.models import User
from portal.services.content import POLICY, save_revision
from portal.support.tickets import open_ticket
from tests.worker.test_pipeline import add_customer, agent_messages, drain_agent

QUESTION = "How many days after delivery do I have to ask for a refund?"
NEW_TEXT = "Bring the parcel to a partner kiosk within {{ refund_window_days }} days to start a refund."


def edited_refunds(app) -> str:
    """The refunds template with the refund-window paragraph replaced by NEW_TEXT."""
    source = (Path(get_settings(app).agent.policies_dir) / "refunds.md").read_text(encoding="utf-8")
    start = source.index("You have **{{ refund_window_days }} days**")
    end = source.index("## How much is refunded")
    return source[:start] + NEW_TEXT + "\n\n" + source[end:]


def ask(app, email: str) -> int:
    with app.app_context():
        ticket = open_ticket(add_customer(email=email), "Refunds", QUESTION)
        db.session.commit()
        return ticket.id


def refund_window_citation(ticket_id):
    [reply] = agent_messages(ticket_id)
    cited = [c for c in reply.citations if c["policy"] == "refunds" and "Refund window" in c["heading"]]
    assert cited, reply.citations
    return reply, cited[0]


def test_edited_policy_is_cited_on_the_next_ticket_without_a_restart(sqlite_app):
    from worker.agent.retrieval import load_index

    app = sqlite_app
    with app.app_context():
        warm = load_index(
            get_settings(app).agent, app.instance_path
        )  # a running worker, index loaded at start
    before = ask(app, "first@example.com")
    drain_agent(app)
    with app.app_context():
        _, cited = refund_window_citation(before)
        assert "partner kiosk" not in cited["text"]

        admin = User(email="ed@example.com", name="Ed Admin", password_hash="x", role="admin")
        db.session.add(admin)
        db.session.flush()
        save_revision(POLICY, "refunds", "en", edited_refunds(app), admin.id)
        db.session.commit()

    after = ask(app, "next@example.com")
    drain_agent(app)
    with app.app_context():
        reply, cited = refund_window_citation(after)
        assert "Bring the parcel to a partner kiosk within 30 days to start a refund." in cited["text"]
        assert "partner kiosk within 30 days" in reply.body  # the reply quotes the new text
        current = load_index(get_settings(app).agent, app.instance_path)
        assert current is not warm and any("partner kiosk" in c.text for c in current.chunks)


def test_an_unchanged_index_costs_one_query_per_job(sqlite_app):
    from sqlalchemy import event

    from worker.agent.retrieval import load_index

    app = sqlite_app
    with app.app_context():
        first = load_index(get_settings(app).agent, app.instance_path)
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert load_index(get_settings(app).agent, app.instance_path) is first
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(statements) == 1 and "max(content_revisions.id)" in statements[0].lower()
