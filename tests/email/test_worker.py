"""Through the real thing: RQ worker processes over Redis and Postgres, sending to a real SMTP server."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.mailer.notifications import notify
from portal.models import EmailOutbox, Message, Refund, Role
from tests.conftest import wait_for
from tests.email.conftest import make_order, make_ticket, make_user, resolve
from tests.overrides import override_settings

pytestmark = [pytest.mark.smtp, pytest.mark.redis, pytest.mark.postgres]
BASE = "https://help.shop.example"


@pytest.fixture
def mail_workers(rq_workers, pg_app, smtp_server):
    """RQ workers on the email queue that send to the test SMTP server; short retries and digest window."""
    rq_workers.env.update(smtp_server.env(), MAIL_DEFAULT_SENDER="Shop Support <help@shop.example>")
    override_settings(
        pg_app,
        MAIL_RETRY_INTERVALS=[1, 1, 1, 1, 2, 2, 2],
        MAIL_STAFF_DIGEST_SECONDS=2,
        SERVER_NAME_FOR_LINKS=BASE,
        MAIL_DEFAULT_SENDER="Shop Support <help@shop.example>",
    )
    return rq_workers


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def _record_every_event(app) -> dict:
    """One ticket through its whole life (each step its own transaction), plus an opted-out customer."""
    with app.app_context():
        casey = make_user("casey@example.com", "Casey Customer")
        quiet = make_user("quiet@example.com", "Quinn Quiet", email_updates=False)
        stella = make_user("stella@example.com", "Stella Staff", Role.STAFF)
        order = make_order(casey)
        ticket = make_ticket(casey, order=order)
        db.session.commit()
        notify("ticket_received", ticket)
        db.session.commit()
        answer = Message(ticket=ticket, author_kind="agent", body="Please try pairing them again. " * 30)
        db.session.add(answer)
        db.session.flush()
        notify("agent_answered", ticket, message=answer)
        db.session.commit()
        refund = Refund(
            idempotency_key="r1", order=order, customer_id=casey.id, ticket_id=ticket.id,
            amount=Decimal("42.00"), currency="USD", method="paypal", status="issued",
            payment_reference="PAY-7781", items=["Wireless headphones"],
        )  # fmt: skip
        db.session.add(refund)
        db.session.flush()
        notify("action_done", ticket, refund=refund)
        db.session.commit()
        notify("action_held", ticket, action="refund", amount=Decimal("950.00"), currency="USD")
        ticket.status = "escalated"
        notify("escalated", ticket, reason="Refund above the approval limit")
        db.session.commit()
        notify("staff_replied", ticket, body="I approved it.", staff=stella)
        resolve(ticket)
        notify("resolved", ticket)
        db.session.commit()
        other = make_ticket(quiet, subject="Quiet one")
        notify("ticket_received", other)
        notify("action_done", other, action="cancellation", amount=Decimal("39.00"), currency="USD")
        db.session.commit()
        return {"reference": ticket.reference, "ticket_id": ticket.id, "quiet_ref": other.reference}


def test_every_event_is_delivered_by_the_worker_threaded_and_complete(mail_workers, pg_app, smtp_server):
    facts = _record_every_event(pg_app)
    mail_workers.start(1, queues=("email",))
    wait_for(lambda: len(smtp_server.messages) >= 9, timeout=30)
    time.sleep(1.5)  # anything extra would show up now
    messages = smtp_server.messages
    ref = facts["reference"]
    casey = [m for m in messages if m["To"] == "casey@example.com"]
    staff = [m for m in messages if m["To"] == "stella@example.com"]
    quiet = [m for m in messages if m["To"] == "quiet@example.com"]
    assert (len(casey), len(staff), len(quiet)) == (7, 1, 1), mail_workers.logs()

    root = f"<ticket-{ref}@shop.example>"
    by_event = {m["X-SupportOps-Event"]: m for m in casey}
    assert by_event["ticket_received"]["Message-ID"] == root
    assert by_event["ticket_received"]["Subject"] == f"[{ref}] Headphones stopped working"
    for event, message in by_event.items():
        assert message["From"] == "Shop Support <help@shop.example>"
        assert f"{BASE}/tickets/{ref}" in text_of(message) and f'href="{BASE}/tickets/{ref}"' in html_of(
            message
        )
        if event != "ticket_received":
            assert message["In-Reply-To"] == root and message["References"] == root, (event, dict(message))
            assert message["Subject"] == f"Re: [{ref}] Headphones stopped working"
    assert len({m["Message-ID"] for m in casey}) == 7

    assert "Please try pairing them again." in text_of(by_event["agent_answered"])
    assert len(text_of(by_event["agent_answered"])) < 1200  # a summary, not the whole answer
    done = text_of(by_event["action_done"])
    assert done.startswith("Your refund of 42.00 USD has been issued.") and "PAY-7781" in done
    assert "950.00 USD" in text_of(by_event["action_held"])
    assert "within 4 hours" in text_of(by_event["escalated"])
    assert "Stella Staff replied" in text_of(by_event["staff_replied"])
    assert by_event["action_done"]["List-Unsubscribe"] is None  # always sent: nothing to unsubscribe from
    assert by_event["staff_replied"]["List-Unsubscribe"] == f"<{BASE}/settings/>"

    [digest] = staff  # escalation and held refund arrived together: one digest
    assert digest["Subject"] == "2 tickets need your attention"
    assert "Action held for approval" in text_of(digest) and "Escalated to a person" in text_of(digest)
    assert f"{BASE}/desk/tickets/{ref}" in text_of(digest)

    assert quiet[0]["X-SupportOps-Event"] == "action_done"  # opted out: only the confirmation

    satisfied, _ = re.findall(rf"{BASE}(/feedback/\S+)", text_of(by_event["resolved"]))
    client = pg_app.test_client()
    assert b"Yes, I am satisfied" in client.get(satisfied).data  # a GET only asks
    assert b"Thank you" in client.post(satisfied).data
    assert b"already recorded" in client.post(satisfied).data
    with pg_app.app_context():
        states = dict(
            db.session.execute(select(EmailOutbox.status, func.count()).group_by(EmailOutbox.status)).all()
        )
        assert states == {"sent": 10}  # 7 for Casey, 2 staff alerts in one digest, 1 for the quiet customer


def test_smtp_down_is_retried_and_delivered_exactly_once_when_it_returns(mail_workers, pg_app, smtp_server):
    smtp_server.stop()
    with pg_app.app_context():
        casey = make_user("casey@example.com", "Casey Customer")
        for n in range(3):
            notify("ticket_received", make_ticket(casey, subject=f"Request {n}"))
        db.session.commit()
    mail_workers.start(1, queues=("email",))

    def retried():
        with pg_app.app_context():
            rows = db.session.scalars(select(EmailOutbox)).all()
            return all(r.attempts >= 2 and r.status == "pending" and r.last_error for r in rows)

    wait_for(retried, timeout=20)
    smtp_server.start()
    wait_for(lambda: len(smtp_server.messages) >= 3, timeout=30)
    time.sleep(2)
    assert len(smtp_server.messages) == 3
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 3
    with pg_app.app_context():
        rows = db.session.scalars(select(EmailOutbox)).all()
        assert {r.status for r in rows} == {"sent"} and all(r.attempts >= 2 for r in rows)
