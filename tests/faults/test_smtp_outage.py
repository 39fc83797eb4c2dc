"""Fault: the SMTP server is down while tickets are answered, then comes back on the same port.

Every email must be delivered exactly once after it returns (counted by Message-ID), through the send
jobs' own retries: the stale-mail sweep is pushed far away so it cannot be what delivers them.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AgentRun, EmailOutbox
from portal.support.tickets import open_ticket
from tests.conftest import wait_for
from tests.email.conftest import SMTPServer
from tests.worker.test_pipeline import add_customer, add_order

pytestmark = [pytest.mark.smtp, pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]
TICKETS = 10
EMAILS = 2 * TICKETS  # ticket_received and agent_answered


def _open_tickets(app) -> None:
    with app.app_context():
        for n in range(TICKETS):
            customer = add_customer(name=f"Kim {n}", email=f"kim{n}@example.com")
            add_order(customer, f"C{4000 + n}", status="shipped")
            open_ticket(customer, "Where is it?", f"Where is order C{4000 + n}?")
        db.session.commit()


def _scalar(app, query):
    with app.app_context():
        db.session.remove()
        return db.session.scalar(query)


def _outbox(app) -> dict[str, int]:
    with app.app_context():
        db.session.remove()
        rows = db.session.execute(select(EmailOutbox.status, func.count()).group_by(EmailOutbox.status))
        return dict(rows.all())


def test_every_email_is_delivered_once_after_the_smtp_server_returns(rq_workers, pg_app, tmp_path):
    smtp = SMTPServer()  # a port of its own; not started: the server is down from the beginning
    rq_workers.env.update(
        smtp.env(),
        INSTANCE_PATH=str(tmp_path / "worker-instance"),
        MAIL_RETRY_INTERVALS=",".join(["1"] * 4 + ["2"] * 16),  # ~36 s of retries: outlives the outage
        MAIL_STALE_MINUTES="600",
    )
    rq_workers.start(1, queues=("agent",))
    rq_workers.start(2, queues=("email",))
    try:
        _open_tickets(pg_app)
        done = select(func.count()).select_from(AgentRun).where(AgentRun.status == "done")
        wait_for(lambda: _scalar(pg_app, done) == TICKETS, timeout=120)  # includes the warm-up
        # Down long enough that every email has failed at least once.
        tried = select(func.count()).select_from(EmailOutbox).where(EmailOutbox.attempts > 0)
        wait_for(lambda: _scalar(pg_app, tried) == EMAILS, timeout=20)
        assert smtp.messages == [] and _outbox(pg_app).get("sent", 0) == 0
        smtp.start()
        wait_for(lambda: len(smtp.messages) >= EMAILS, timeout=40, interval=0.1)
        wait_for(lambda: _outbox(pg_app) == {"sent": EMAILS}, timeout=10)
        time.sleep(2)  # a duplicate would arrive now
    finally:
        smtp.stop()
    ids = [message["Message-ID"] for message in smtp.messages]
    assert len(ids) == len(set(ids)) == EMAILS, rq_workers.logs()[-3000:]
