"""AI-drafted replies: a ticket that reaches a person gets one pending draft with citations, written by the
agent's read-only path and never sent; staff send it (unchanged or edited) or discard it, and it counts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.desk import drafts
from portal.extensions import db
from portal.jobs import queue
from portal.models import AgentRun, Draft, Message, Refund, Ticket
from portal.support.tickets import open_ticket
from tests.portal.conftest import login
from tests.worker.test_pipeline import add_customer, add_order, shared_policy_index  # noqa: F401


def run_jobs(app, path: str) -> int:
    """Run the queued jobs at `path` (others, such as mail, are dropped)."""
    jobs, count = app.extensions["manual_queue"].jobs, 0
    while jobs:
        job_path, args = jobs.pop(0)
        if job_path == path:
            with app.app_context():
                queue.import_job(job_path)(*args)
            count += 1
    return count


def queued(app, path: str) -> list[tuple]:
    return [args for job_path, args in app.extensions["manual_queue"].jobs if job_path == path]


_customers = iter(range(1000, 10_000))


def new_ticket(app, body: str) -> int:
    """A ticket of a new customer (Sam Carter, with an order of their own) through the real intake."""
    number = next(_customers)
    with app.app_context():
        customer = add_customer(email=f"sam{number}@example.com")
        add_order(customer, f"A{number}")
        ticket = open_ticket(customer, "Help", body)
        db.session.commit()
        return ticket.id


def run_agent_then_drafts(app) -> tuple[int, int]:
    ran = run_jobs_keeping(app, queue.PROCESS_TICKET)
    return ran, run_jobs(app, queue.DRAFT_REPLY)


def run_jobs_keeping(app, path: str) -> int:
    """Run the jobs at `path`, keep the others queued (the agent's run queues the draft)."""
    jobs, count = app.extensions["manual_queue"].jobs, 0
    for job in [j for j in jobs if j[0] == path]:
        jobs.remove(job)
        with app.app_context():
            queue.import_job(job[0])(*job[1])
        count += 1
    return count


def test_an_escalated_ticket_gets_one_pending_draft_that_is_not_sent(any_app):
    ticket_id = new_ticket(any_app, "Please put me through to a human agent about my refund.")
    assert run_agent_then_drafts(any_app) == (1, 1)
    with any_app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "escalated"
        [draft] = db.session.scalars(select(Draft).where(Draft.ticket_id == ticket_id)).all()
        assert draft.status == "pending" and draft.body.startswith("Hello Sam,")
        assert draft.citations and set(draft.citations[0]) == {"policy", "heading", "text"}
        # Never sent: the conversation holds the customer's message and the agent's hand-over only.
        bodies = db.session.scalars(select(Message.body).where(Message.ticket_id == ticket_id)).all()
        assert draft.body not in bodies
        # The draft took no action: no refund, no second agent run.
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 0
        assert db.session.scalar(select(func.count()).select_from(AgentRun)) == 1
    with any_app.app_context():  # the job again (an RQ retry, a second escalation): still one draft
        queue.import_job(queue.DRAFT_REPLY)(ticket_id)
        assert db.session.scalar(select(func.count()).select_from(Draft)) == 1


def test_a_ticket_the_agent_answered_gets_no_draft(any_app):
    ticket_id = new_ticket(any_app, "What is your refund policy for damaged items?")
    run_jobs_keeping(any_app, queue.PROCESS_TICKET)
    with any_app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "answered"
    assert queued(any_app, queue.DRAFT_REPLY) == []
    with any_app.app_context():  # run anyway (a stale job): not with a person, so nothing to draft
        assert queue.import_job(queue.DRAFT_REPLY)(ticket_id) is None


def _escalated_with_draft(app) -> tuple[str, Draft]:
    ticket_id = new_ticket(app, "I want to speak to a real person about my order.")
    run_agent_then_drafts(app)
    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        draft = drafts.pending_for(ticket_id)
        db.session.expunge(draft)
        return ticket.reference, draft


@pytest.fixture
def desk_app(sqlite_app, monkeypatch):

    from portal.auth.accounts import create_user
    from portal.models import Role

    with sqlite_app.app_context():
        create_user("staff@example.com", "Stella Staff", "staff-demo", Role.STAFF)
        create_user("admin@example.com", "Ada Admin", "admin-demo", Role.ADMIN)
        db.session.commit()
    return sqlite_app


def _staff(app):
    client = app.test_client()
    login(client, "staff@example.com")
    return client


def test_staff_send_the_draft_unchanged_edited_or_discard_it_and_it_counts(desk_app):
    staff = _staff(desk_app)
    ref, draft = _escalated_with_draft(desk_app)
    page = staff.get(f"/desk/tickets/{ref}").get_data(as_text=True)
    assert 'id="ai-draft"' in page and f'name="draft_id" type="hidden" value="{draft.id}"' in page
    first_line = draft.body.splitlines()[0]
    assert first_line in page  # in the reply box, ready to edit

    # Sent as written (the browser's CRLF line ends are not an edit): the reply carries the citations.
    body = draft.body.replace("\n", "\r\n")
    assert (
        staff.post(f"/desk/tickets/{ref}/reply", data={"body": body, "draft_id": draft.id}).status_code == 302
    )
    with desk_app.app_context():
        sent = db.session.get(Draft, draft.id)
        message = db.session.get(Message, sent.message_id)
        assert (sent.status, message.author_kind, message.citations) == ("sent", "staff", draft.citations)
        assert drafts.pending_for(sent.ticket_id) is None
    assert 'id="ai-draft"' not in staff.get(f"/desk/tickets/{ref}").get_data(as_text=True)

    ref2, draft2 = _escalated_with_draft(desk_app)
    edited = draft2.body + "\n\nI've also checked with the courier."
    staff.post(f"/desk/tickets/{ref2}/reply", data={"body": edited, "draft_id": draft2.id})
    ref3, draft3 = _escalated_with_draft(desk_app)
    assert staff.post(f"/desk/tickets/{ref3}/drafts/{draft3.id}/discard").status_code == 302
    with desk_app.app_context():
        assert db.session.get(Draft, draft2.id).status == "sent_edited"
        assert db.session.get(Draft, draft3.id).status == "discarded"
        assert db.session.get(Draft, draft3.id).message_id is None
        stats = drafts.stats()
        assert (stats["sent"], stats["sent_edited"], stats["discarded"], stats["pending"]) == (1, 1, 1, 0)
        assert stats["unchanged_share"] == pytest.approx(1 / 3)
    # A discarded draft cannot be sent afterwards (a stale form): the reply goes out, the draft stays put.
    staff.post(f"/desk/tickets/{ref3}/reply", data={"body": draft3.body, "draft_id": draft3.id})
    with desk_app.app_context():
        assert db.session.get(Draft, draft3.id).status == "discarded"

    admin = desk_app.test_client()
    login(admin, "admin@example.com")
    metrics = admin.get("/admin/").get_data(as_text=True)
    assert '<strong data-drafts="sent">1</strong>' in metrics
    assert '<strong data-drafts="sent_edited">1</strong>' in metrics
    assert '<strong data-drafts="discarded">1</strong>' in metrics


def test_stats_with_no_drafts(desk_app):
    with desk_app.app_context():
        assert drafts.stats()["unchanged_share"] is None
    admin = desk_app.test_client()
    login(admin, "admin@example.com")
    assert "No drafts yet." in admin.get("/admin/").get_data(as_text=True)


def test_taking_over_an_answered_ticket_asks_for_a_draft(desk_app):
    ticket_id = new_ticket(desk_app, "What is your refund policy for damaged items?")
    run_jobs_keeping(desk_app, queue.PROCESS_TICKET)
    with desk_app.app_context():
        ref = db.session.get(Ticket, ticket_id).reference
    assert queued(desk_app, queue.DRAFT_REPLY) == []
    _staff(desk_app).post(f"/desk/tickets/{ref}/claim")
    assert queued(desk_app, queue.DRAFT_REPLY) == [(ticket_id,)]
    run_jobs(desk_app, queue.DRAFT_REPLY)
    with desk_app.app_context():
        assert drafts.pending_for(ticket_id) is not None


def test_a_customer_asking_for_a_person_asks_for_a_draft(desk_app):
    ticket_id = new_ticket(desk_app, "What is your refund policy for damaged items?")
    run_jobs_keeping(desk_app, queue.PROCESS_TICKET)
    with desk_app.app_context():
        ref = db.session.get(Ticket, ticket_id).reference
    customer = desk_app.test_client()
    with desk_app.app_context():
        session_id = db.session.get(Ticket, ticket_id).customer.get_id()  # "<id>:<session token>"
    with customer.session_transaction() as session:
        session["_user_id"], session["_fresh"] = session_id, True
    assert customer.post(f"/tickets/{ref}/escalate", data={"comment": "Please"}).status_code == 302
    assert queued(desk_app, queue.DRAFT_REPLY) == [(ticket_id,)]


def test_closing_the_account_removes_the_drafts_text(desk_app):
    from portal.services import privacy
    from portal.services.audit import Actor

    ref, draft = _escalated_with_draft(desk_app)
    assert "Sam" in draft.body
    with desk_app.app_context():
        customer = db.session.get(Ticket, draft.ticket_id).customer
        privacy.close_account(customer, Actor.staff(1, "Stella Staff"))
        db.session.commit()
        assert db.session.get(Draft, draft.id).body == privacy.REMOVED
