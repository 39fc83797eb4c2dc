"""notify(): outbox rows written in the caller's transaction; content, headers, opt-out, recipients."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.jobs import queue
from portal.mailer.notifications import notify
from portal.models import EmailOutbox, Message, Refund, Role
from tests.email.conftest import by_email, make_order, make_ticket, make_user, resolve
from tests.overrides import override_settings

BASE = "https://help.shop.example"


@pytest.fixture
def app(people):
    override_settings(
        people, SERVER_NAME_FOR_LINKS=BASE + "/", MAIL_DEFAULT_SENDER="Shop Support <help@shop.example>"
    )
    return people


def jobs(app):
    return app.extensions["manual_queue"].jobs


def rows(event=None):
    query = select(EmailOutbox).order_by(EmailOutbox.id)
    if event:
        query = query.where(EmailOutbox.event == event)
    return list(db.session.scalars(query))


def test_row_is_written_in_the_callers_transaction_and_sent_after_commit(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        notify("ticket_received", ticket)
        assert jobs(app) == []  # nothing leaves before the commit
        db.session.commit()
        [row] = rows()
        assert row.status == "pending" and row.to_address == "casey@example.com"
        assert jobs(app) == [(queue.SEND_EMAIL, (row.id,))]


def test_rolled_back_event_leaves_no_row_and_no_job(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        db.session.commit()
        notify("agent_answered", ticket, summary="Try the reset button.")
        db.session.rollback()
        db.session.commit()
        assert rows() == [] and jobs(app) == []


def test_ticket_received_is_the_thread_root_and_links_are_absolute(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        notify("ticket_received", ticket)
        db.session.commit()
        [row] = rows()
        assert row.subject == f"[{ticket.reference}] Headphones stopped working"
        assert row.headers["Message-ID"] == f"<ticket-{ticket.reference}@shop.example>"
        assert "In-Reply-To" not in row.headers
        assert f"{BASE}/tickets/{ticket.reference}" in row.text_body
        assert f'href="{BASE}/tickets/{ticket.reference}"' in row.html_body
        assert f"{BASE}/settings/" in row.text_body  # how to turn these off


def test_later_messages_reply_to_the_root(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        notify("agent_answered", ticket, summary="Hold the power button for ten seconds.")
        notify(
            "staff_replied", ticket, body="I have checked your order.", staff=by_email("stella@example.com")
        )
        db.session.commit()
        root = f"<ticket-{ticket.reference}@shop.example>"
        first, second = rows()
        for row in (first, second):
            assert row.subject == f"Re: [{ticket.reference}] Headphones stopped working"
            assert row.headers["In-Reply-To"] == root and row.headers["References"] == root
            assert row.headers["Message-ID"].endswith("@shop.example>")
        assert first.headers["Message-ID"] != second.headers["Message-ID"]


def _refund(ticket, order):
    refund = Refund(
        idempotency_key=f"k-{ticket.id}", order=order, customer_id=ticket.customer_id, ticket_id=ticket.id,
        amount=Decimal("42.00"), currency="USD", method="paypal", status="issued",
        payment_reference="PAY-7781", items=["Wireless headphones"],
    )  # fmt: skip
    db.session.add(refund)
    db.session.flush()
    return refund


CASES = {
    "agent_answered": ({"summary": "Hold the power button for ten seconds."}, ["Hold the power button"]),
    "escalated": ({"reason": "Customer asked for a person"}, ["has taken over", "within 4 hours"]),
    "staff_replied": (
        {"body": "A new pair is on its way.", "staff": "stella"},
        ["Stella Staff replied", "new pair"],
    ),
    "action_held": (
        {
            "action": "refund",
            "amount": Decimal("950.00"),
            "currency": "USD",
            "reason": "above the approval limit",
        },
        ["waiting for review", "950.00 USD", "Nothing has been refunded yet", "within 4 hours"],
    ),
    "action_done": (
        {
            "action": "cancellation",
            "amount": Decimal("42.00"),
            "currency": "USD",
            "reference": "LED-991",
            "method": "card",
            "order_number": "A1003",
        },
        ["Your order A1003 has been cancelled and 42.00 USD is on its way back", "LED-991", "your card"],
    ),  # fmt: skip
}


@pytest.mark.parametrize("event", sorted(CASES))
def test_each_event_says_what_happened(app, event):
    context, expected = CASES[event]
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        if context.get("staff") == "stella":
            context = {**context, "staff": by_email("stella@example.com")}
        notify(event, ticket, **context)
        db.session.commit()
        [row] = rows(event)
        for phrase in expected:
            assert phrase in row.text_body, phrase
            assert phrase in row.html_body.replace("<strong>", "").replace("</strong>", ""), phrase
        assert "Hello Casey Customer" in row.text_body


def test_action_done_reads_the_refund_row(app):
    with app.app_context():
        customer = by_email("casey@example.com")
        order = make_order(customer)
        ticket = make_ticket(customer, order=order)
        notify("action_done", ticket, refund=_refund(ticket, order))
        db.session.commit()
        [row] = rows("action_done")
        assert row.text_body.startswith("Your refund of 42.00 USD has been issued.")
        for phrase in ("PAY-7781", "A1003", "your PayPal account", "Wireless headphones", "always sent"):
            assert phrase in row.text_body


def test_replacement_done(app):
    with app.app_context():
        customer = by_email("casey@example.com")
        ticket = make_ticket(customer, order=make_order(customer))
        notify(
            "action_done", ticket, action="replacement", items=["Wireless headphones"], reference="SHIP-55"
        )
        db.session.commit()
        [row] = rows()
        assert "A free replacement for order A1003 is on its way." in row.text_body
        assert "SHIP-55" in row.text_body and "Wireless headphones" in row.html_body


def test_user_text_is_escaped_in_html(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"), subject="<script>alert(1)</script>")
        notify("staff_replied", ticket, body="<b>hi</b>", staff=by_email("stella@example.com"))
        db.session.commit()
        [row] = rows()
        assert "<script>" not in row.html_body and "&lt;b&gt;hi&lt;/b&gt;" in row.html_body
        assert "<b>hi</b>" in row.text_body  # plain text stays as written


def test_subject_cannot_inject_headers(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"), subject="Hi\r\nBcc: evil@example.com")
        notify("ticket_received", ticket)
        db.session.commit()
        assert "\n" not in rows()[0].subject and "\r" not in rows()[0].subject


@pytest.mark.parametrize(
    ("event", "sent"),
    [("ticket_received", False), ("agent_answered", False), ("staff_replied", False), ("resolved", False),
     ("escalated", False), ("action_done", True), ("action_held", True)],
)  # fmt: skip
def test_opted_out_customers_get_only_action_confirmations(app, event, sent):
    with app.app_context():
        ticket = make_ticket(by_email("quiet@example.com"))
        notify(event, ticket, action="refund", amount=Decimal("10.00"), currency="USD", summary="x", body="x")
        db.session.commit()
        customer_rows = [r for r in rows() if r.to_address == "quiet@example.com"]
        assert bool(customer_rows) is sent


def test_resolved_by_the_customer_sends_them_nothing(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        resolve(ticket)
        notify("resolved", ticket, by="customer")
        db.session.commit()
        assert rows() == []


def test_unassigned_escalation_alerts_every_active_staff_member_as_a_delayed_digest(app):
    override_settings(app, MAIL_STAFF_DIGEST_SECONDS=120)
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        notify("escalated", ticket, reason="Customer is angry")
        db.session.commit()
        staff_rows = [r for r in rows() if r.event == "alert:escalated"]
        assert sorted(r.to_address for r in staff_rows) == ["adam@example.com", "stella@example.com"]
        assert all(r.send_after is not None for r in staff_rows)
        assert "Reason: Customer is angry" in staff_rows[0].text_body
        assert f"/desk/tickets/{ticket.reference}" in staff_rows[0].text_body
        digest_jobs = [args for path, args in jobs(app) if path == queue.SEND_STAFF_DIGEST]
        assert sorted(digest_jobs) == sorted((r.user_id,) for r in staff_rows)


def test_assigned_ticket_alerts_only_the_assignee(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        ticket.assignee = by_email("stella@example.com")
        reply = Message(ticket=ticket, author_kind="customer", body="Any news?")
        db.session.add(reply)
        db.session.flush()
        notify("customer_replied", ticket, message=reply)
        db.session.commit()
        [row] = rows()
        assert row.event == "alert:customer_replied" and row.to_address == "stella@example.com"
        assert "Customer wrote: Any news?" in row.text_body


def test_the_same_event_recorded_twice_is_one_row(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        answer = Message(ticket=ticket, author_kind="agent", body="Here is how.")
        db.session.add(answer)
        db.session.flush()
        notify("agent_answered", ticket, message=answer)
        notify("agent_answered", ticket, message=answer)
        db.session.commit()
        notify("agent_answered", ticket, message=answer)
        db.session.commit()
        assert len(rows()) == 1 and len(jobs(app)) == 1


def test_unknown_event_is_a_programming_error(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        with pytest.raises(ValueError, match="unknown notification event"):
            notify("ticket_exploded", ticket)


def test_inactive_customer_gets_nothing(app):
    with app.app_context():
        customer = make_user("left@example.com", "Lee Left", Role.CUSTOMER, active=False)
        notify("action_done", make_ticket(customer), action="refund", amount=Decimal("5.00"), currency="USD")
        db.session.commit()
        assert rows() == []


def test_desk_claim_tells_the_customer_who_took_over_and_alerts_no_staff(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        db.session.commit()
        ticket.assignee_id = by_email("stella@example.com").id  # as the desk does: the id, no flush
        notify("escalated", ticket, by="staff", staff_name="Stella Staff")
        db.session.commit()
        [row] = rows()
        assert row.to_address == "casey@example.com"
        assert row.text_body.startswith("Stella Staff from our support team has taken over")


def test_assignee_set_by_id_without_flush_gets_the_alert(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        db.session.commit()
        ticket.assignee_id = by_email("adam@example.com").id
        notify("escalated", ticket, reason="Angry customer")
        db.session.commit()
        assert [r.to_address for r in rows() if r.event.startswith("alert:")] == ["adam@example.com"]


def test_agent_style_action_done_finds_the_reference_on_the_refund_row(app):
    with app.app_context():
        customer = by_email("casey@example.com")
        order = make_order(customer)
        ticket = make_ticket(customer, order=order)
        _refund(ticket, order)
        notify("action_done", ticket, action="refund", amount=Decimal("42.00"), currency="USD",
               order_number="A1003", items=["Wireless headphones"], method="paypal")  # fmt: skip
        db.session.commit()
        [row] = rows()
        assert "Reference:    PAY-7781" in row.text_body and "your PayPal account" in row.text_body


def test_staff_reply_names_the_author_of_a_new_message(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        message = Message(author_kind="staff", author_id=by_email("stella@example.com").id, body="Sorted!")
        ticket.messages.append(message)
        notify("staff_replied", ticket, message=message)
        db.session.commit()
        assert rows()[0].text_body.startswith("Stella Staff replied to your request")


def test_customer_event_named_staff_replied_is_not_mistaken_for_a_staff_alert(app):
    with app.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        notify("staff_replied", ticket, body="Done.", staff=by_email("stella@example.com"))
        db.session.commit()
        [row] = rows()
        assert jobs(app) == [(queue.SEND_EMAIL, (row.id,))]
