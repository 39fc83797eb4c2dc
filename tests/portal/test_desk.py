"""The staff desk: who may enter, the queue's filters and counts, and every action on a ticket."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from portal.extensions import db
from portal.models import ActionLog, AgentRun, EmailOutbox, Message, Refund, Ticket, utcnow
from tests.portal.conftest import login, user_id


@contextmanager
def count_queries(app):
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _queue_refs(client, **args) -> list[str]:
    page = client.get("/desk/", query_string=args).get_data(as_text=True)
    return [chunk.split('"', 1)[0] for chunk in page.split('data-reference="')[1:]]


def _log_tools(app, reference: str) -> list[tuple[str, str, str]]:
    with app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id).where(Ticket.reference == reference))
        rows = db.session.execute(
            select(ActionLog.tool, ActionLog.actor_name, ActionLog.decision).where(
                ActionLog.ticket_id == ticket_id
            )
        )
        return [tuple(row) for row in rows]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/desk/"),
        ("get", "/desk/tickets/{ref}"),
        ("post", "/desk/tickets/{ref}/claim"),
        ("post", "/desk/tickets/{ref}/reply"),
        ("post", "/desk/tickets/{ref}/note"),
        ("post", "/desk/tickets/{ref}/resolve"),
        ("post", "/desk/tickets/{ref}/rerun"),
        ("post", "/desk/tickets/{ref}/refunds/1"),
    ],
)
def test_customers_get_404_on_the_desk(customer, make_ticket, method, path):
    ref = make_ticket(status="escalated")
    response = getattr(customer, method)(path.format(ref=ref), data={"body": "x", "approve": "1"})
    assert response.status_code == 404
    assert make_ticket.get(ref).assignee_id is None


def test_staff_land_on_the_queue(staff):
    response = staff.get("/")
    assert response.headers["Location"] == "/desk/"
    assert "Support desk" in staff.get("/desk/").get_data(as_text=True)


def test_queue_shows_tickets_that_need_a_person_with_counts(staff, make_ticket, demo):
    now = utcnow()
    late = make_ticket(
        subject="Late one",
        status="escalated",
        escalation_reason="refund held: above 500",
        sla_due_at=now - timedelta(hours=1),
    )
    soon = make_ticket(
        subject="Soon",
        status="escalated",
        escalation_reason="Customer asked for a person",
        sla_due_at=now + timedelta(hours=1),
        priority="P1",
    )
    answered = make_ticket(subject="Fine", status="answered")
    with demo.app_context():
        db.session.get(Ticket, make_ticket.get(soon).id).assignee_id = user_id("staff@example.com")
        db.session.commit()
    page = staff.get("/desk/").get_data(as_text=True)
    assert _queue_refs(staff) == [late, soon]  # SLA due first
    assert answered not in page
    assert 'class="overdue" data-reference="' + late in page
    counts = {
        key: page.split(f'data-count="{key}">')[1].split("<")[0]
        for key in ("escalated", "unassigned", "mine", "overdue")
    }
    assert counts == {"escalated": "2", "unassigned": "1", "mine": "1", "overdue": "1"}


def test_queue_filters_and_sorting(staff, make_ticket, demo):
    now = utcnow()
    a = make_ticket(
        status="escalated", priority="P2", escalation_reason="refund denied: limit", sla_due_at=now
    )
    b = make_ticket(
        status="escalated",
        priority="P1",
        escalation_reason="Customer asked for a person",
        sla_due_at=now + timedelta(hours=3),
        created_at=now - timedelta(days=1),
    )
    c = make_ticket(status="resolved", priority="P4")
    with demo.app_context():
        db.session.get(Ticket, make_ticket.get(b).id).assignee_id = user_id("staff@example.com")
        db.session.commit()
    assert _queue_refs(staff, priority="P1") == [b]
    assert _queue_refs(staff, assignee="mine") == [b]
    assert _queue_refs(staff, assignee="unassigned") == [a]
    assert _queue_refs(staff, reason="refund denied: limit") == [a]
    assert _queue_refs(staff, sort="priority") == [b, a]
    assert _queue_refs(staff, sort="created") == [a, b]
    assert _queue_refs(staff, status="resolved") == [c]
    assert _queue_refs(staff, status="with_agent") == []
    assert set(_queue_refs(staff, status="all")) == {a, b, c}
    assert _queue_refs(staff, status="nonsense", sort="nonsense") == [a, b]


def test_queue_is_paginated_with_a_fixed_number_of_queries(staff, make_ticket, demo):
    for n in range(3):
        make_ticket(subject=f"T{n}", status="escalated", order="A1003")
    with count_queries(demo) as few:
        staff.get("/desk/")
    for n in range(25):
        ref = make_ticket(subject=f"U{n}", status="escalated", order="A1007")
        make_ticket.add_run(ref, status="failed")
    with count_queries(demo) as many:
        first = staff.get("/desk/").get_data(as_text=True)
    assert len(many) == len(few), many
    assert first.count("data-reference=") == 20 and "page 1 of 2" in first and "agent failed" in first
    assert staff.get("/desk/?page=2").get_data(as_text=True).count("data-reference=") == 8


def test_claim_assigns_and_logs_with_the_staff_name(staff, make_ticket, notified, demo):
    ref = make_ticket(status="escalated")
    staff.post(f"/desk/tickets/{ref}/claim")
    staff.post(f"/desk/tickets/{ref}/claim")  # a second click changes nothing
    with demo.app_context():
        assert make_ticket.get(ref).assignee_id == user_id("staff@example.com")
    assert _log_tools(demo, ref) == [("desk.claim", "Stella Staff", "note")]
    assert notified == [("escalated", ref)]
    assert "Stella Staff" in staff.get(f"/desk/tickets/{ref}").get_data(as_text=True)


def test_assign_to_another_staff_member(staff, make_ticket, demo):
    ref = make_ticket(status="escalated")
    with demo.app_context():
        admin_id = user_id("admin@example.com")
    staff.post(f"/desk/tickets/{ref}/assign", data={"assignee": admin_id})
    assert make_ticket.get(ref).assignee_id == admin_id
    with demo.app_context():
        customer_id = user_id("customer@example.com")
    staff.post(f"/desk/tickets/{ref}/assign", data={"assignee": customer_id})  # not staff: refused
    assert make_ticket.get(ref).assignee_id == admin_id
    assert _log_tools(demo, ref) == [("desk.assign", "Stella Staff", "note")]


def test_reply_and_note_customer_sees_reply_but_never_the_note(client, make_ticket, notified, demo):
    ref = make_ticket(status="escalated")
    login(client, "staff@example.com")
    client.post(f"/desk/tickets/{ref}/reply", data={"body": "We are sending a new one today."})
    client.post(f"/desk/tickets/{ref}/note", data={"body": "Customer is a VIP; courier notified."})
    desk_page = client.get(f"/desk/tickets/{ref}").get_data(as_text=True)
    assert (
        "We are sending a new one today." in desk_page and "Customer is a VIP; courier notified." in desk_page
    )
    assert "Internal note" in desk_page
    ticket = make_ticket.get(ref)
    assert ticket.status == "answered" and ticket.human_involved and ticket.first_response_at is not None
    assert ticket.assignee_id is not None
    assert [tool for tool, _name, _d in _log_tools(demo, ref)] == ["desk.reply", "desk.note"]
    assert notified == [("staff_replied", ref)]
    client.post("/auth/logout")
    login(client, "customer@example.com")
    page = client.get(f"/tickets/{ref}").get_data(as_text=True)
    assert "We are sending a new one today." in page and "Stella Staff (support team)" in page
    assert "VIP" not in page and "courier" not in page
    assert "VIP" not in str(client.get(f"/tickets/{ref}/status.json").get_json())


def test_first_response_time_is_kept(staff, make_ticket):
    ref = make_ticket(status="escalated")
    staff.post(f"/desk/tickets/{ref}/reply", data={"body": "One"})
    first = make_ticket.get(ref).first_response_at
    staff.post(f"/desk/tickets/{ref}/reply", data={"body": "Two"})
    assert make_ticket.get(ref).first_response_at == first


def test_empty_reply_and_note_are_explained(staff, make_ticket):
    ref = make_ticket(status="escalated")
    response = staff.post(f"/desk/tickets/{ref}/note", data={"body": ""})
    assert response.status_code == 400 and "Please write a note." in response.get_data(as_text=True)


def test_resolve_reopen_and_rerun(staff, make_ticket, notified, demo):
    ref = make_ticket(status="escalated")
    staff.post(f"/desk/tickets/{ref}/resolve")
    assert make_ticket.get(ref).status == "resolved"
    staff.post(f"/desk/tickets/{ref}/reopen")
    ticket = make_ticket.get(ref)
    assert ticket.status == "escalated" and ticket.resolved_at is None
    staff.post(f"/desk/tickets/{ref}/rerun")
    staff.post(f"/desk/tickets/{ref}/rerun")  # already queued: not twice
    with demo.app_context():
        assert db.session.scalars(select(AgentRun.trigger)).all() == ["rerun"]
    assert make_ticket.get(ref).status == "new"
    assert [t for t, _n, _d in _log_tools(demo, ref)] == ["desk.resolve", "desk.reopen", "desk.rerun"]
    assert notified == [("resolved", ref)]


def test_ticket_view_shows_runs_trace_citations_and_log(staff, make_ticket, demo):
    ref = make_ticket(status="escalated", intent="refund", confidence=0.93)
    run_id = make_ticket.add_run(
        ref,
        status="done",
        backend="local",
        duration_ms=812.0,
        action="refund",
        outcome="held",
        trace=[{"step": "retrieve", "ms": 3.5, "output": {"hits": ["<b>x</b>"]}}],
    )
    make_ticket.add_message(
        ref,
        author_kind="agent",
        body="Sent for review.",
        agent_run_id=run_id,
        citations=[{"policy": "refunds", "heading": "Refunds above 500.00", "text": "Staff review."}],
    )
    with demo.app_context():
        ticket_id = make_ticket.get(ref).id
        db.session.add(
            ActionLog(
                actor_kind="agent",
                actor_id=run_id,
                actor_name="agent",
                ticket_id=ticket_id,
                tool="refund",
                decision="held",
                order_number="A1007",
            )
        )
        db.session.commit()
    page = staff.get(f"/desk/tickets/{ref}").get_data(as_text=True)
    assert f"#{run_id}" in page and "812 ms" in page and "retrieve" in page
    assert "\\u003cb\\u003ex\\u003c/b\\u003e" in page  # trace JSON is escaped
    assert "Refunds above 500.00" in page and "confidence 0.93" in page
    assert "<code>refund</code>" in page and "held" in page


def test_a_run_whose_model_reply_was_replaced_is_flagged_on_the_desk(staff, make_ticket):
    ref = make_ticket(status="answered")
    why = "reply claims done but no action was carried out"
    grounding = {"step": "grounding", "ms": 0.1, "input": {"reply": "All done"}, "output": {"why": why}}
    flagged = make_ticket.add_run(ref, status="done", backend="mistral", action="cancel", trace=[grounding])
    plain = make_ticket.add_run(ref, status="done", backend="mistral", action="refund", trace=[])
    page = staff.get(f"/desk/tickets/{ref}").get_data(as_text=True)
    assert page.count("reply replaced") == 1 and f"The model's reply was not sent ({why})" in page
    assert page.index(f"#{flagged}") < page.index("reply replaced") < page.index(f"#{plain}")


def test_approve_a_held_refund_once(staff, make_ticket, notified, demo):
    ref = make_ticket(status="escalated", order="A1007")
    refund_id = make_ticket.held_refund(ref)
    page = staff.get(f"/desk/tickets/{ref}").get_data(as_text=True)
    assert "Approve" in page and "Reject" in page
    first = staff.post(f"/desk/tickets/{ref}/refunds/{refund_id}", data={"approve": "Approve"})
    second = staff.post(
        f"/desk/tickets/{ref}/refunds/{refund_id}", data={"approve": "Approve"}, follow_redirects=True
    )
    assert first.status_code == 302
    assert "Already decided earlier" in second.get_data(as_text=True)
    with demo.app_context():
        refund = db.session.get(Refund, refund_id)
        assert refund.status == "issued" and refund.payment_reference
        staff_messages = db.session.scalars(select(Message).where(Message.author_kind == "staff")).all()
        assert len(staff_messages) == 1 and staff_messages[0].outcome["outcome"] == "done"
        decisions = db.session.scalars(select(ActionLog.decision).where(ActionLog.tool == "refund")).all()
        assert decisions == ["approved", "note"]
        reference = refund.payment_reference
    assert make_ticket.get(ref).status == "answered"
    assert notified == [("action_done", ref)]
    staff.post("/auth/logout")
    login(staff, "customer@example.com")
    page = staff.get(f"/tickets/{ref}").get_data(as_text=True)
    assert f"Refund of 899.00 USD for order A1007 issued, reference {reference}." in page


def test_an_approved_refund_sends_the_refund_confirmation_even_to_customers_without_updates(
    staff, make_ticket, demo
):
    ref = make_ticket(status="escalated", order="A1007")
    refund_id = make_ticket.held_refund(ref)
    with demo.app_context():
        customer = db.session.get(Ticket, make_ticket.get(ref).id).customer
        customer.email_updates = False
        db.session.commit()
    staff.post(f"/desk/tickets/{ref}/refunds/{refund_id}", data={"approve": "Approve"})
    with demo.app_context():
        rows = db.session.scalars(select(EmailOutbox).where(EmailOutbox.event != "action_held")).all()
        reference = db.session.get(Refund, refund_id).payment_reference
    assert [row.event for row in rows] == ["action_done"]
    assert rows[0].to_address == "customer@example.com"
    assert "Your refund of 899.00 USD has been issued." in rows[0].text_body
    assert reference in rows[0].text_body


def test_reject_a_held_refund(staff, make_ticket, demo):
    ref = make_ticket(status="escalated", order="A1007")
    refund_id = make_ticket.held_refund(ref)
    staff.post(
        f"/desk/tickets/{ref}/refunds/{refund_id}",
        data={"reject": "Reject", "reason": "suspected_misuse", "note": "Looks like fraud"},
    )
    with demo.app_context():
        refund = db.session.get(Refund, refund_id)
        assert refund.status == "rejected" and refund.decision_note == "Looks like fraud"
        message = db.session.scalars(select(Message).where(Message.author_kind == "staff")).one()
        assert "not approved" in message.body and "fraud" not in message.body


def test_refund_of_another_ticket_is_not_found(staff, make_ticket, demo):
    ref = make_ticket(status="escalated", order="A1007")
    other = make_ticket(status="escalated", order="A1007")
    refund_id = make_ticket.held_refund(other)
    response = staff.post(f"/desk/tickets/{ref}/refunds/{refund_id}", data={"approve": "Approve"})
    assert response.status_code == 404
    with demo.app_context():
        assert db.session.get(Refund, refund_id).status == "held"
        assert db.session.scalar(select(func.count()).select_from(ActionLog)) == 0


def test_script_in_ticket_text_is_inert_on_the_desk(staff, make_ticket):
    payload = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    ref = make_ticket(subject=payload, body=payload, status="escalated", escalation_reason=payload)
    for path in ("/desk/", f"/desk/tickets/{ref}"):
        page = staff.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_desk_forms_need_a_csrf_token(demo, make_ticket):
    ref = make_ticket(status="escalated")
    client = demo.test_client()
    login(client, "staff@example.com")
    demo.config["WTF_CSRF_ENABLED"] = True
    for action in ("claim", "resolve", "reply", "note"):
        assert client.post(f"/desk/tickets/{ref}/{action}", data={"body": "x"}).status_code == 400
    assert make_ticket.get(ref).status == "escalated" and make_ticket.get(ref).assignee_id is None


def test_the_desk_shows_the_language_the_agent_detected(staff, make_ticket):
    spanish = make_ticket(subject="Pedido", status="escalated", intent="track_order", language="es")
    page = staff.get(f"/desk/tickets/{spanish}").get_data(as_text=True)
    assert '<span id="ticket-language">Spanish</span>' in page and "intent track_order" in page
    unknown = make_ticket(subject="Old", status="escalated")
    assert "ticket-language" not in staff.get(f"/desk/tickets/{unknown}").get_data(as_text=True)


def test_reasons_are_shown_in_words_not_codes(staff, make_ticket):
    reason = "not_covered: The customer asks for something no tool or policy covers."
    ref = make_ticket(status="escalated", escalation_reason=reason)
    for page in (
        staff.get("/desk/").get_data(as_text=True),
        staff.get(f"/desk/tickets/{ref}").get_data(as_text=True),
    ):
        shown = re.sub(r'value="[^"]*"', "", page)  # a filter's option value may keep the stored code
        assert "not_covered" not in shown
        assert "Not something the assistant can do" in shown


def test_a_resolved_ticket_shows_no_countdown(staff, make_ticket):
    from portal.models import utcnow

    ref = make_ticket(status="resolved", sla_due_at=utcnow() - timedelta(hours=3))
    page = staff.get(f"/desk/tickets/{ref}").get_data(as_text=True)
    assert "overdue" not in page
