"""Commit, then enqueue: a send job must never run before its outbox row is committed.

The agent job writes its notification inside a savepoint (`runs._safe_notify`). SQLAlchemy fires
`after_commit` when a savepoint is released too, so the send job used to be enqueued a moment before the
outer COMMIT; an idle email worker then found no row and the email waited for the stale-mail sweep. Here
the sweep is pushed far away, so only the direct path can deliver, and a deferred trigger makes the COMMIT
of every agent reply take 300 ms (as a loaded server's fsync or a synchronous replica would), so the race
is lost every time instead of now and then.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select, text

from portal.extensions import db
from portal.models import AgentRun, EmailOutbox
from portal.support.tickets import open_ticket
from tests.conftest import wait_for
from tests.worker.test_pipeline import add_customer, add_order

pytestmark = [pytest.mark.smtp, pytest.mark.redis, pytest.mark.postgres]
TICKETS = 12


SLOW_COMMIT = """
CREATE FUNCTION test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER test_slow_commit AFTER INSERT ON messages DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW WHEN (NEW.author_kind = 'agent') EXECUTE FUNCTION test_slow_commit();
"""


@pytest.fixture
def slow_agent_commits(pg_app):
    """Every transaction that stores an agent reply spends 300 ms in COMMIT (the trigger is deferred)."""
    with pg_app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql(SLOW_COMMIT)
    yield
    with pg_app.app_context(), db.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER test_slow_commit ON messages; DROP FUNCTION test_slow_commit()"))


def _open_tickets(app, count: int) -> None:
    with app.app_context():
        for n in range(count):
            customer = add_customer(name=f"Sam {n}", email=f"sam{n}@example.com")
            add_order(customer, f"C{3000 + n}", status="shipped")
            open_ticket(customer, "Where is it?", f"Where is order C{3000 + n}?")
        db.session.commit()


def _count(app, query) -> int:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(query)


def test_every_agent_email_is_sent_without_the_sweep(
    rq_workers, pg_app, smtp_server, slow_agent_commits, tmp_path
):
    rq_workers.env.update(
        smtp_server.env(),
        INSTANCE_PATH=str(tmp_path / "worker-instance"),
        MAIL_STALE_MINUTES="600",  # the sweep never runs during this test
        AGENT_STALE_AFTER_SECONDS="600",
    )
    rq_workers.start(2, queues=("agent",))
    rq_workers.start(4, queues=("email",))  # idle email workers pick a job up at once
    _open_tickets(pg_app, TICKETS)
    done = select(func.count()).select_from(AgentRun).where(AgentRun.status == "done")
    wait_for(lambda: _count(pg_app, done) == TICKETS, timeout=90)
    expected = 2 * TICKETS  # ticket_received and agent_answered for each ticket
    deadline = time.monotonic() + 20
    while len(smtp_server.messages) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(smtp_server.messages) == expected, f"{len(smtp_server.messages)} of {expected} delivered"
    unsent = select(func.count()).select_from(EmailOutbox).where(EmailOutbox.status != "sent")
    wait_for(lambda: _count(pg_app, unsent) == 0, timeout=10)
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == len(set(ids)) == 2 * TICKETS, rq_workers.logs()
