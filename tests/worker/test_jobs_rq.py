"""Real RQ workers (`python -m worker`) on Redis and Postgres answer tickets opened through the portal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AgentRun, Ticket, utcnow
from portal.support.tickets import open_ticket
from tests.conftest import wait_for
from tests.overrides import override_settings
from tests.worker.test_pipeline import add_customer, add_order

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def _open(app, body, number, status="delivered", total="42.00", email="sam@example.com") -> int:
    with app.app_context():
        customer = add_customer(email=email)
        add_order(customer, number, status, total)
        ticket = open_ticket(customer, "Help", body)
        db.session.commit()
        return ticket.id


def _status(app, ticket_id):
    with app.app_context():
        db.session.remove()
        return db.session.get(Ticket, ticket_id).status


def _run(app, ticket_id) -> AgentRun:
    with app.app_context():
        db.session.remove()
        return db.session.scalars(
            select(AgentRun).where(AgentRun.ticket_id == ticket_id).order_by(AgentRun.id)
        ).all()[-1]


@pytest.fixture
def workers(rq_workers, tmp_path):
    rq_workers.env["INSTANCE_PATH"] = str(tmp_path / "worker-instance")
    return rq_workers


def test_real_workers_answer_tickets(pg_app, workers):
    tickets = [
        _open(pg_app, "Order A1001 arrived broken, refund please.", "A1001", email="a@example.com"),
        _open(pg_app, "Please cancel order B2001.", "B2001", status="pending", email="b@example.com"),
        _open(pg_app, "Where is order C3001?", "C3001", status="shipped", email="c@example.com"),
    ]
    workers.start(2)
    for ticket_id in tickets:
        wait_for(lambda t=ticket_id: _status(pg_app, t) == "answered", timeout=90)
    for ticket_id in tickets:
        run = _run(pg_app, ticket_id)
        assert run.status == "done" and run.job_id and run.attempts == 1, workers.logs()
    assert [_run(pg_app, t).action for t in tickets] == ["refund", "cancel", "order_status"]


def test_failing_job_retries_then_escalates(pg_app, workers, tmp_path):
    override_settings(pg_app, AGENT_RETRY_INTERVALS=[1, 1])
    empty = tmp_path / "no-policies"
    empty.mkdir()
    workers.env["POLICIES_DIR"] = str(empty)  # retrieval fails on every attempt
    ticket_id = _open(pg_app, "Order A1001 arrived broken, refund please.", "A1001")
    workers.start(1)
    wait_for(lambda: _status(pg_app, ticket_id) == "escalated", timeout=90)
    run = _run(pg_app, ticket_id)
    assert run.status == "failed" and run.attempts == 3 and "policy" in run.error, workers.logs()
    with pg_app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.escalation_reason.startswith("the assistant failed")
        assert [m.author_kind for m in ticket.messages if m.internal] == ["system"]


def test_stale_run_is_requeued_and_answered(pg_app, workers):
    from portal.jobs import queue
    from worker.reaper import requeue_stale_runs

    override_settings(pg_app, QUEUE_MODE="manual")  # the original job is "lost": it never reaches Redis
    ticket_id = _open(pg_app, "Where is order C3001?", "C3001", status="shipped")
    override_settings(pg_app, QUEUE_MODE="rq")
    with pg_app.app_context():
        run = db.session.scalars(select(AgentRun).where(AgentRun.ticket_id == ticket_id)).one()
        # as if a worker claimed it an hour ago and died
        run.status, run.started_at, run.attempts = "running", utcnow() - timedelta(hours=1), 1
        db.session.commit()
        assert queue.queue_mode(pg_app) == "rq"
        assert requeue_stale_runs().requeued == 1
    workers.start(1)
    wait_for(lambda: _status(pg_app, ticket_id) == "answered", timeout=90)
    run = _run(pg_app, ticket_id)
    assert run.status == "done" and run.trigger == "requeue" and run.attempts == 2, workers.logs()


def test_real_workers_draft_a_reply_for_an_escalated_ticket(pg_app, workers):
    from portal.models import Draft

    ticket_id = _open(pg_app, "Please put me through to a human agent.", "D4001")
    workers.start(1)
    wait_for(lambda: _status(pg_app, ticket_id) == "escalated", timeout=90)

    def pending_draft():
        with pg_app.app_context():
            db.session.remove()
            return db.session.scalar(select(Draft).where(Draft.ticket_id == ticket_id))

    draft = wait_for(pending_draft, timeout=60)
    assert draft.status == "pending" and draft.body.startswith("Hello Sam,"), workers.logs()
