"""The pages and commands around email: one-click feedback links, settings, the admins' failed list, CLI."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.mailer import feedback
from portal.mailer.notifications import notify
from portal.models import EmailOutbox, Ticket, utcnow
from tests.email.conftest import by_email, make_ticket, resolve

DAY = 24 * 3600


def resolved_links(app, reference=None):
    """Resolve a ticket of Casey's and return (ticket id, satisfied link, not-satisfied link)."""
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        resolve(ticket)
        notify("resolved", ticket)
        db.session.commit()
        row = db.session.scalars(select(EmailOutbox).where(EmailOutbox.event == "resolved")).all()[-1]
        good, bad = re.findall(r"http://\S+/feedback/\S+", row.text_body)
        return ticket.id, good, bad


def path(link: str) -> str:
    return link.split("5000", 1)[1]


def vote(client, link: str, **data):
    """Open the link (a GET only asks) and press the button, as a person would."""
    asked = client.get(path(link))
    assert asked.status_code == 200 and b'id="feedback-form"' in asked.data
    return client.post(path(link), data=data)


def satisfaction(app, ticket_id):
    with app.app_context():
        return db.session.get(Ticket, ticket_id).satisfaction


def test_feedback_link_works_without_login_and_only_once(people):
    client = people.test_client()
    ticket_id, good, bad = resolved_links(people)
    asked = client.get(path(bad))
    assert asked.headers["Cache-Control"] == "no-store"
    assert satisfaction(people, ticket_id) is None  # a mail scanner fetching the link records nothing
    first = vote(client, bad)
    assert first.status_code == 200 and b"not satisfied" in first.data
    assert first.headers["Cache-Control"] == "no-store"
    assert satisfaction(people, ticket_id) == "unsatisfied"
    again = vote(client, good)  # the other link of the same message: also used up
    assert again.status_code == 200 and b"already recorded" in again.data
    assert satisfaction(people, ticket_id) == "unsatisfied"


def test_feedback_link_expires(people, monkeypatch):
    client = people.test_client()
    now = feedback.clock()
    ticket_id, good, _ = resolved_links(people)
    monkeypatch.setattr(feedback, "clock", lambda: now + 14 * DAY + 60)
    response = client.get(path(good))
    assert response.status_code == 400 and b"expired" in response.data
    assert client.post(path(good)).status_code == 400
    assert satisfaction(people, ticket_id) is None
    monkeypatch.setattr(feedback, "clock", lambda: now + 14 * DAY - 60)
    assert vote(client, good).status_code == 200
    assert satisfaction(people, ticket_id) == "satisfied"


def test_tampered_feedback_link_is_refused(people):
    client = people.test_client()
    ticket_id, good, _ = resolved_links(people)
    forged = good.replace("eyJ0Ijo", "eyJ0Ijp")
    assert client.get(path(forged)).status_code == 400
    assert client.get("/feedback/not-a-token").status_code == 400
    assert satisfaction(people, ticket_id) is None


def test_a_new_resolution_gets_new_working_links(people):
    client = people.test_client()
    ticket_id, good, _ = resolved_links(people)
    assert vote(client, good).status_code == 200
    with people.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        ticket.resolved_at = utcnow() + timedelta(seconds=1)  # reopened and resolved again
        notify("resolved", ticket)
        db.session.commit()
        row = db.session.scalars(select(EmailOutbox).order_by(EmailOutbox.id.desc())).first()
        _, bad = re.findall(r"http://\S+/feedback/\S+", row.text_body)
    assert b"Thank you" in vote(client, bad).data
    assert satisfaction(people, ticket_id) == "unsatisfied"


def login(app, client, address):
    with app.app_context():
        by_email(address).set_password("correct horse battery")
        db.session.commit()
    return client.post("/auth/login", data={"email": address, "password": "correct horse battery"})


def test_settings_turn_update_emails_off_and_on(people):
    client = people.test_client()
    assert client.get("/settings/").status_code == 302  # login first
    login(people, client, "casey@example.com")
    page = client.get("/settings/")
    assert page.status_code == 200 and b"always sent" in page.data
    client.post("/settings/", data={})  # unchecked box
    with people.app_context():
        assert by_email("casey@example.com").email_updates is False
    client.post("/settings/", data={"email_updates": "y"})
    with people.app_context():
        assert by_email("casey@example.com").email_updates is True


def _failed_row(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        notify("ticket_received", ticket)
        db.session.commit()
        row = db.session.scalars(select(EmailOutbox)).one()
        row.status, row.attempts, row.last_error = "failed", 5, "SMTPServerDisconnected: gone"
        db.session.commit()
        app.extensions["manual_queue"].jobs.clear()
        return row.id


def test_admins_see_failed_messages_and_can_retry_them(people):
    row_id = _failed_row(people)
    client = people.test_client()
    login(people, client, "adam@example.com")
    page = client.get("/admin/email")
    assert page.status_code == 200 and b"SMTPServerDisconnected: gone" in page.data
    assert client.post("/admin/email/retry").status_code == 302
    with people.app_context():
        assert db.session.get(EmailOutbox, row_id).status == "pending"
    assert people.extensions["manual_queue"].jobs == [("worker.email_jobs.send_email", (row_id,))]


@pytest.mark.parametrize("address", ["casey@example.com", "stella@example.com"])
def test_failed_list_is_admin_only(people, address):
    client = people.test_client()
    login(people, client, address)
    assert client.get("/admin/email").status_code == 404


def test_cli_retry_failed_and_requeue_stale(people):
    row_id = _failed_row(people)
    runner = people.test_cli_runner()
    assert "requeued 1 message(s)" in runner.invoke(args=["mail", "retry-failed"]).output
    assert "pending  1" in runner.invoke(args=["mail", "status"]).output
    people.extensions["manual_queue"].jobs.clear()
    assert "requeued 0 message(s)" in runner.invoke(args=["mail", "requeue-stale"]).output
    with people.app_context():  # a claim whose worker died: the lease ran out
        row = db.session.get(EmailOutbox, row_id)
        row.status, row.send_after = "sending", utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert "requeued 1 message(s)" in runner.invoke(args=["mail", "requeue-stale", "--minutes", "5"]).output
    assert people.extensions["manual_queue"].jobs == [("worker.email_jobs.send_email", (row_id,))]
