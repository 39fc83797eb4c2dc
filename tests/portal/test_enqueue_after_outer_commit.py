"""Jobs and emails are enqueued when the outermost transaction commits, not when a savepoint is released
(SQLAlchemy fires after_commit / after_rollback for savepoints too)."""

from __future__ import annotations

from portal.extensions import db
from portal.jobs import queue
from portal.mailer.notifications import notify
from portal.support.tickets import enqueue_after_commit
from tests.email.conftest import make_ticket, make_user


def _jobs(app) -> list:
    return app.extensions["manual_queue"].jobs


def test_an_email_written_in_a_savepoint_waits_for_the_outer_commit(any_app):
    with any_app.app_context():
        ticket = make_ticket(make_user("casey@example.com", "Casey Customer"))
        db.session.commit()
        with db.session.begin_nested():
            notify("agent_answered", ticket, summary="Here it is.")
        assert _jobs(any_app) == []  # released, but the row is not committed yet
        db.session.commit()
        assert [path for path, _ in _jobs(any_app)] == [queue.SEND_EMAIL]


def test_a_job_requested_in_a_savepoint_waits_for_the_outer_commit(any_app):
    with any_app.app_context():
        with db.session.begin_nested():
            enqueue_after_commit(queue.PROCESS_TICKET, 7)
        assert _jobs(any_app) == []
        db.session.commit()
        assert _jobs(any_app) == [(queue.PROCESS_TICKET, (7,))]


def test_a_rolled_back_savepoint_keeps_the_outer_transactions_jobs(any_app):
    with any_app.app_context():
        ticket = make_ticket(make_user("casey@example.com", "Casey Customer"))
        enqueue_after_commit(queue.PROCESS_TICKET, ticket.id)
        notify("ticket_received", ticket)
        try:
            with db.session.begin_nested():
                notify("agent_answered", ticket, summary="Lost with its savepoint.")
                raise RuntimeError("the savepoint rolls back")
        except RuntimeError:
            pass
        db.session.commit()
        assert sorted(path for path, _ in _jobs(any_app)) == sorted([queue.PROCESS_TICKET, queue.SEND_EMAIL])


def test_an_outer_rollback_enqueues_nothing(any_app):
    with any_app.app_context():
        ticket = make_ticket(make_user("casey@example.com", "Casey Customer"))
        with db.session.begin_nested():
            enqueue_after_commit(queue.PROCESS_TICKET, ticket.id)
            notify("ticket_received", ticket)
        db.session.rollback()
        db.session.commit()
        assert _jobs(any_app) == []
