"""The customer's ticket pages: opening a ticket, the thread, live status, satisfied, escalate, reply."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ActionLog, AgentRun, Message, Ticket
from tests.portal.conftest import login

CITATION = {
    "policy": "refunds",
    "heading": "Refund window: 30 days after delivery",
    "text": "You have 30 days.",
}


def _only_ticket(app) -> Ticket:
    with app.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        db.session.expunge(ticket)
        return ticket


def test_new_ticket_offers_only_own_orders(customer):
    page = customer.get("/tickets/new").get_data(as_text=True)
    assert "A1003" in page and "B2001" not in page


def test_order_page_link_preselects_the_order(customer):
    assert "/tickets/new?order=A1003" in customer.get("/orders/A1003").get_data(as_text=True)
    page = customer.get("/tickets/new?order=A1003").get_data(as_text=True)
    assert '<option selected value="A1003">' in page
    assert customer.get("/tickets/new?order=B2001").status_code == 404


def test_opening_a_ticket_keeps_the_text_and_redirects_to_it(customer, demo):
    body = "My headphones <b>broke</b>.\n\n  Card 4111 1111 1111 1111, order A1003."
    response = customer.post("/tickets/new", data={"subject": "Broken", "message": body, "order": "A1003"})
    ticket = _only_ticket(demo)
    assert response.status_code == 302 and response.headers["Location"] == f"/tickets/{ticket.reference}"
    assert "4111 1111 1111 1111" not in ticket.body
    assert ticket.body.startswith("My headphones <b>broke</b>.\n\n  Card ")
    with demo.app_context():
        assert db.session.scalar(select(AgentRun.trigger)) == "created"
    assert demo.extensions["manual_queue"].jobs[0][0] == "worker.jobs.process_ticket"
    page = customer.get(response.headers["Location"]).get_data(as_text=True)
    assert "My headphones &lt;b&gt;broke&lt;/b&gt;." in page
    assert 'data-working="true"' in page and "ticket.js" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"subject": "", "message": "Hello"}, "Please write a subject."),
        ({"subject": "Hi", "message": "   "}, "Please write a message."),
        (
            {"subject": "Hi", "message": "x" * 5001},
            "The message is too long (5001 characters; at most 5000).",
        ),
        ({"subject": "Hi", "message": "Hello", "order": "B2001"}, "Not a valid choice"),
    ],
)
def test_bad_ticket_input_is_explained(customer, demo, data, message):
    response = customer.post("/tickets/new", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_thread_shows_answer_citation_and_outcome_but_never_notes(customer, make_ticket):
    ref = make_ticket(subject="Refund please", order="A1003")
    outcome = {
        "tool": "refund",
        "outcome": "done",
        "message": "Your refund has been issued.",
        "order_number": "A1003",
        "amount": "42.00",
        "currency": "USD",
        "payment_reference": "LE-ABC123",
    }
    make_ticket.add_message(
        ref, author_kind="agent", body="Done: refund issued.", citations=[CITATION], outcome=outcome
    )
    make_ticket.add_message(ref, author_kind="staff", body="SECRET staff-only remark", internal=True)
    page = customer.get(f"/tickets/{ref}").get_data(as_text=True)
    assert "Done: refund issued." in page
    assert '<details class="citation mb-1">' in page and "Refund window: 30 days after delivery" in page
    assert "Refund of 42.00 USD for order A1003 issued, reference LE-ABC123." in page
    assert "SECRET" not in page and "Internal note" not in page
    assert ">Satisfied<" in page and "Escalate to a person" in page


def test_held_outcome_is_worded_for_the_customer(customer, make_ticket):
    ref = make_ticket(status="escalated")
    make_ticket.add_message(
        ref,
        author_kind="agent",
        body="Sent for review.",
        outcome={
            "tool": "refund",
            "outcome": "held",
            "amount": "899.00",
            "currency": "USD",
            "order_number": "A1007",
        },
    )
    page = customer.get(f"/tickets/{ref}").get_data(as_text=True)
    assert "Refund of 899.00 USD for order A1007 held for review by our team." in page
    assert "Escalate to a person" not in page  # already with the team


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("get", "/status.json"), ("post", "/reply"), ("post", "/satisfied"), ("post", "/escalate")],
)
def test_other_customers_tickets_are_not_found(client, make_ticket, method, suffix):
    ref = make_ticket(email="second@example.com", subject="Sam's grinder", body="Sam's secret text")
    login(client, "customer@example.com")
    response = getattr(client, method)(f"/tickets/{ref}{suffix}", data={"body": "hi", "comment": "x"})
    assert response.status_code == 404
    assert b"Sam's" not in response.data
    assert make_ticket.get(ref).status == "answered"


def test_staff_do_not_use_customer_ticket_pages(staff, make_ticket):
    ref = make_ticket()
    assert staff.get(f"/tickets/{ref}").status_code == 404
    assert staff.get("/tickets/new").status_code == 404


def test_pages_need_login(client, make_ticket):
    ref = make_ticket()
    for path in ("/tickets/", "/tickets/new", f"/tickets/{ref}", f"/tickets/{ref}/status.json"):
        assert client.get(path).headers["Location"].startswith("/auth/login")


def test_status_json_reports_progress(customer, make_ticket):
    ref = make_ticket(status="processing")
    make_ticket.add_run(ref, status="running", trace=[{"step": "triage", "ms": 1.0}])
    data = customer.get(f"/tickets/{ref}/status.json").get_json()
    assert data["status"] == "processing" and data["working"] is True
    assert data["run"] == {"status": "running", "steps": ["triage"]}
    assert "checking our policies" in data["words"]


def test_satisfied_closes_the_ticket_once(customer, make_ticket, notified, demo):
    ref = make_ticket()
    response = customer.post(f"/tickets/{ref}/satisfied")
    assert response.status_code == 302
    ticket = make_ticket.get(ref)
    assert (ticket.status, ticket.satisfaction) == ("resolved", "satisfied")
    assert notified == [("resolved", ref)]
    page = customer.get(f"/tickets/{ref}").get_data(as_text=True)
    assert "We&#39;re glad we could help" in page and ">Satisfied<" not in page
    customer.post(f"/tickets/{ref}/satisfied")
    assert notified == [("resolved", ref)]
    with demo.app_context():
        assert db.session.scalar(select(func.count()).where(ActionLog.tool == "ticket.satisfied")) == 1


def test_satisfied_is_refused_while_the_agent_works(customer, make_ticket):
    ref = make_ticket(status="new")
    customer.post(f"/tickets/{ref}/satisfied")
    assert make_ticket.get(ref).satisfaction is None


def test_escalate_hands_the_ticket_to_a_person(customer, make_ticket, notified, demo):
    ref = make_ticket()
    response = customer.post(f"/tickets/{ref}/escalate", data={"comment": "I want a human, please."})
    assert response.status_code == 302
    ticket = make_ticket.get(ref)
    assert ticket.status == "escalated" and ticket.escalation_reason == "Customer asked for a person"
    assert ticket.satisfaction == "unsatisfied" and ticket.sla_due_at > ticket.escalated_at
    assert notified == [("escalated", ref)]
    page = customer.get(f"/tickets/{ref}").get_data(as_text=True)
    assert "I want a human, please." in page and "You asked for a person." in page
    assert "A member of our support team has this ticket" in page


def test_reply_reruns_the_agent(customer, make_ticket, demo):
    ref = make_ticket()
    response = customer.post(f"/tickets/{ref}/reply", data={"body": "It is order A1003."})
    assert response.status_code == 302
    assert make_ticket.get(ref).status == "new"
    with demo.app_context():
        assert db.session.scalar(select(AgentRun.trigger)) == "reply"


def test_reply_goes_to_staff_once_a_person_owns_the_ticket(customer, make_ticket, demo):
    ref = make_ticket(human_involved=True)
    customer.post(f"/tickets/{ref}/reply", data={"body": "Thanks, one more question."})
    assert make_ticket.get(ref).status == "escalated"
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(AgentRun)) == 0


def test_empty_reply_is_explained(customer, make_ticket):
    ref = make_ticket()
    response = customer.post(f"/tickets/{ref}/reply", data={"body": " "})
    assert response.status_code == 400 and "Please write a reply." in response.get_data(as_text=True)


def test_script_in_ticket_text_is_inert(customer, make_ticket):
    payload = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    ref = make_ticket(subject=payload, body=payload)
    page = customer.get(f"/tickets/{ref}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def test_home_links_tickets(customer, make_ticket):
    ref = make_ticket(subject="Where is my parcel?")
    page = customer.get("/").get_data(as_text=True)
    assert f'href="/tickets/{ref}"' in page and 'href="/tickets/new"' in page
    assert f'href="/tickets/{ref}"' in customer.get("/tickets/").get_data(as_text=True)


def test_ticket_creation_is_rate_limited(tmp_path):
    from portal.commands.demo import seed_demo
    from portal.extensions import limiter
    from tests.conftest import make_app

    app = make_app(
        f"sqlite:///{tmp_path / 'rl.db'}", tmp_path, RATELIMIT_ENABLED=True, TICKET_RATE_LIMIT="2 per minute"
    )
    with app.app_context():
        seed_demo()
        db.session.commit()
    limiter.reset()
    client = app.test_client()
    login(client, "customer@example.com")
    codes = [client.post("/tickets/new", data={"subject": "S", "message": "M"}).status_code for _ in range(3)]
    limiter.reset()
    assert codes == [302, 302, 429]


def test_forms_need_a_csrf_token(demo, make_ticket):
    ref = make_ticket()
    client = demo.test_client()
    login(client, "customer@example.com")
    demo.config["WTF_CSRF_ENABLED"] = True
    for path in (
        f"/tickets/{ref}/satisfied",
        f"/tickets/{ref}/escalate",
        f"/tickets/{ref}/reply",
        "/tickets/new",
    ):
        assert client.post(path, data={"body": "x", "subject": "s", "message": "m"}).status_code == 400
    assert make_ticket.get(ref).status == "answered"
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)) == 1


def test_pages_load_bootstrap_from_the_app_not_a_cdn(customer, make_ticket):
    ref = make_ticket()
    for path in ("/", f"/tickets/{ref}", "/tickets/new"):
        page = customer.get(path).get_data(as_text=True)
        assert "/bootstrap/static/css/bootstrap.min.css" in page and "cdn." not in page, path
    assert customer.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200


def test_outcome_words_for_the_agents_outcome_shape():
    from portal.support.outcomes import describe_outcome

    agent = {"action": "refund", "decision": "done", "order": "A1003", "amount": "42.00", "currency": "USD"}
    view = describe_outcome(agent, {("refund", "A1003"): "LE-1"})
    assert (
        view.headline == "Refund of 42.00 USD for order A1003 issued, reference LE-1."
        and view.style == "success"
    )
    assert (
        describe_outcome({"action": "cancel", "decision": "held"}).headline
        == "Cancellation held for review by our team."
    )
    assert describe_outcome({"action": "order_status", "decision": "done"}) is None
    assert describe_outcome({"action": "refund", "decision": "denied", "order": "A1004"}).headline == (
        "Refund for order A1004 not possible."
    )
    assert describe_outcome(None) is None and describe_outcome("junk") is None
