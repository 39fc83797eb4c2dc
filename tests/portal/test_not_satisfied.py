"""Not satisfied reopens the ticket to the desk, from the ticket page and from the email link (issue 11)."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.mailer.feedback import make_token
from portal.models import Ticket, utcnow
from tests.portal.conftest import login


def test_not_satisfied_on_the_ticket_page_reopens_it_to_the_desk(demo, customer, make_ticket):
    ref = make_ticket(status="resolved", resolved_at=utcnow(), satisfaction="satisfied")
    page = customer.get(f"/tickets/{ref}").get_data(as_text=True)
    assert "Not satisfied" in page and f"/tickets/{ref}/not-satisfied" in page
    response = customer.post(
        f"/tickets/{ref}/not-satisfied", data={"feedback_comment": "The refund never arrived."}
    )
    assert response.status_code == 302
    ticket = make_ticket.get(ref)
    assert ticket.status == "escalated" and ticket.escalation_reason == "Customer not satisfied"
    assert ticket.satisfaction == "unsatisfied" and ticket.resolved_at is None
    page = customer.get(f"/tickets/{ref}").get_data(as_text=True)
    assert "The refund never arrived." in page and "You told us you are not satisfied" in page
    desk = demo.test_client()
    login(desk, "staff@example.com")
    assert ref in desk.get("/desk/").get_data(as_text=True)


def test_not_satisfied_without_a_comment_and_only_once(customer, make_ticket):
    ref = make_ticket(status="answered")
    customer.post(f"/tickets/{ref}/not-satisfied", data={})
    again = customer.post(f"/tickets/{ref}/not-satisfied", data={}, follow_redirects=True)
    assert "already with our team" in again.get_data(as_text=True)
    assert make_ticket.get(ref).status == "escalated"


def test_not_satisfied_is_refused_while_the_agent_works(customer, make_ticket):
    ref = make_ticket(status="processing")
    customer.post(f"/tickets/{ref}/not-satisfied", data={})
    assert make_ticket.get(ref).status == "processing"


def feedback_link(app, ref: str, verdict: str) -> str:
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == ref))
        return f"/feedback/{make_token(ticket, verdict)}"


def test_email_link_asks_first_and_the_button_reopens_to_the_desk(demo, make_ticket):
    ref = make_ticket(status="resolved", resolved_at=utcnow())
    link = feedback_link(demo, ref, "unsatisfied")
    scanner = demo.test_client()
    for _ in range(2):  # a mail scanner pre-fetching the link changes nothing
        page = scanner.get(link)
        assert page.status_code == 200 and b"reopen my request" in page.data
    assert make_ticket.get(ref).status == "resolved" and make_ticket.get(ref).satisfaction is None
    person = demo.test_client()
    done = person.post(link, data={"comment": "Still crackles."})
    assert done.status_code == 200 and b"open again" in done.data
    ticket = make_ticket.get(ref)
    assert (ticket.status, ticket.satisfaction) == ("escalated", "unsatisfied")
    assert ticket.escalation_reason == "Customer not satisfied"
    customer = demo.test_client()
    login(customer, "customer@example.com")
    assert "Still crackles." in customer.get(f"/tickets/{ref}").get_data(as_text=True)
    assert b"already recorded" in person.post(link, data={}).data


def test_email_satisfied_link_leaves_the_ticket_resolved(demo, make_ticket):
    ref = make_ticket(status="resolved", resolved_at=utcnow())
    link = feedback_link(demo, ref, "satisfied")
    client = demo.test_client()
    assert b"Yes, I am satisfied" in client.get(link).data
    assert b"Thank you" in client.post(link).data
    ticket = make_ticket.get(ref)
    assert (ticket.status, ticket.satisfaction) == ("resolved", "satisfied")


def test_email_feedback_post_needs_the_csrf_token(demo, make_ticket):
    demo.config["WTF_CSRF_ENABLED"] = True
    ref = make_ticket(status="resolved", resolved_at=utcnow())
    link = feedback_link(demo, ref, "unsatisfied")
    client = demo.test_client()
    assert client.post(link, data={}).status_code == 400
    assert make_ticket.get(ref).satisfaction is None
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(link).get_data(as_text=True)
    )
    assert client.post(link, data={"csrf_token": token.group(1)}).status_code == 200
    assert make_ticket.get(ref).status == "escalated"
