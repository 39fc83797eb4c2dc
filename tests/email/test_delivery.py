"""The send jobs run in-process against a real aiosmtpd server: claim once, timeouts, failures, digests,
development .eml files, and no SMTP from inside a web request."""

from __future__ import annotations

import socket
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.jobs import queue
from portal.mailer.notifications import notify
from portal.models import EmailOutbox
from tests.email.conftest import SMTPServer, by_email, make_ticket, use_smtp
from tests.overrides import override_settings
from worker import email_jobs, mail_transport


def all_rows():
    return list(db.session.scalars(select(EmailOutbox).order_by(EmailOutbox.id)))


def drain(app):
    return app.extensions["manual_queue"].drain(app)


def test_without_mail_server_mail_goes_to_the_log_and_eml_files(people, tmp_path, caplog):
    with people.app_context():
        notify("ticket_received", make_ticket(by_email("casey@example.com")))
        db.session.commit()
    caplog.set_level("INFO", logger="worker.mail_transport")
    assert drain(people) == 1
    [eml] = (tmp_path / "mail").glob("*.eml")
    assert b"Subject: [T-" in eml.read_bytes() and b"Message-ID: <ticket-T-" in eml.read_bytes()
    assert "We received your request" in caplog.text
    with people.app_context():
        assert [r.status for r in all_rows()] == ["sent"]


@pytest.mark.smtp
def test_opening_a_ticket_in_a_web_request_writes_rows_but_never_connects(people, smtp_server):
    use_smtp(people, smtp_server)
    client = people.test_client()
    with people.app_context():
        by_email("casey@example.com").set_password("correct horse battery")
        db.session.commit()
    client.post("/auth/login", data={"email": "casey@example.com", "password": "correct horse battery"})
    response = client.post(
        "/tickets/new", data={"subject": "Where is my parcel?", "message": "It is late.", "order": ""}
    )
    assert response.status_code == 302
    with people.app_context():
        [row] = all_rows()
        assert row.event == "ticket_received" and row.status == "pending"
    assert smtp_server.connections == 0 and smtp_server.messages == []
    jobs = people.extensions["manual_queue"].jobs
    assert (queue.SEND_EMAIL, (row.id,)) in jobs
    people.extensions["manual_queue"].jobs = [j for j in jobs if j[0] == queue.SEND_EMAIL]
    drain(people)  # the job, not the request, sends it
    assert smtp_server.connections == 1 and len(smtp_server.messages) == 1


@pytest.mark.smtp
def test_job_sends_once_even_when_run_twice(people, smtp_server):
    use_smtp(people, smtp_server)
    with people.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        notify("agent_answered", ticket, summary="Hold the power button.")
        db.session.commit()
        reference, row_id = ticket.reference, all_rows()[0].id
        email_jobs.send_email(row_id)
        email_jobs.send_email(row_id)  # a retried or duplicated job
        row = db.session.get(EmailOutbox, row_id)
        assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    [message] = smtp_server.messages
    assert message["Message-ID"] == row.headers["Message-ID"]
    assert message["In-Reply-To"] == f"<ticket-{reference}@example.com>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_body(("plain",)).get_content().startswith("We answered your request")
    assert "Hold the power button." in message.get_body(("html",)).get_content()


class SilentServer:
    """Accepts TCP connections and never says a word (a hung SMTP server)."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.conns.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self):
        for conn in self.conns:
            conn.close()
        self.sock.close()


@pytest.mark.smtp
def test_hung_server_times_out_and_the_row_goes_back_to_pending(people):
    server = SilentServer()
    override_settings(
        people, MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_SUPPRESS_SEND=False, MAIL_TIMEOUT=0.5
    )
    try:
        with people.app_context():
            notify("ticket_received", make_ticket(by_email("casey@example.com")))
            db.session.commit()
            row_id = all_rows()[0].id
            token = queue._inprocess_final.set(False)  # a retry is left
            started = time.monotonic()
            with pytest.raises(
                (TimeoutError, mail_transport.smtplib.SMTPServerDisconnected), match="timed out"
            ):
                email_jobs.send_email(row_id)
            queue._inprocess_final.reset(token)
            assert time.monotonic() - started < 3
            row = db.session.get(EmailOutbox, row_id)
            assert row.status == "pending" and "timed out" in row.last_error
    finally:
        server.close()


@pytest.mark.smtp
def test_last_retry_marks_the_row_failed(people):
    down = SMTPServer()  # never started: connection refused
    override_settings(people, MAIL_SERVER="127.0.0.1", MAIL_PORT=down.port, MAIL_SUPPRESS_SEND=False)
    with people.app_context():
        notify("ticket_received", make_ticket(by_email("casey@example.com")))
        db.session.commit()
        row_id = all_rows()[0].id
        with pytest.raises(ConnectionRefusedError):
            email_jobs.send_email(row_id)  # in-process default: this is the final attempt
        row = db.session.get(EmailOutbox, row_id)
        assert row.status == "failed" and "ConnectionRefusedError" in row.last_error and row.attempts == 1


class RefusingHandler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user"


@pytest.mark.smtp
def test_permanent_refusal_fails_at_once_without_retry(people):
    from aiosmtpd.controller import Controller

    from tests.email.conftest import free_port

    port = free_port()
    controller = Controller(RefusingHandler(), hostname="127.0.0.1", port=port)
    controller.start()
    override_settings(people, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False)
    try:
        with people.app_context():
            notify("ticket_received", make_ticket(by_email("casey@example.com")))
            db.session.commit()
            row_id = all_rows()[0].id
            token = queue._inprocess_final.set(False)
            email_jobs.send_email(row_id)  # does not raise: retrying cannot help
            queue._inprocess_final.reset(token)
            row = db.session.get(EmailOutbox, row_id)
            assert row.status == "failed" and "550" in row.last_error
    finally:
        controller.stop()


@pytest.mark.smtp
def test_staff_alerts_arriving_together_become_one_digest(people, smtp_server):
    use_smtp(people, smtp_server)
    with people.app_context():
        stella = by_email("stella@example.com")
        tickets = [make_ticket(by_email("casey@example.com"), subject=f"Problem {n}") for n in range(3)]
        for ticket in tickets:
            ticket.assignee = stella
            notify("escalated", ticket, reason=f"reason {ticket.subject}")
            db.session.commit()
        expected = [(t.reference, f"reason {t.subject}") for t in tickets]
        digest_jobs = [j for j in people.extensions["manual_queue"].jobs if j[0] == queue.SEND_STAFF_DIGEST]
        assert digest_jobs == [(queue.SEND_STAFF_DIGEST, (stella.id,))] * 3  # each checks; the first merges
    drain(people)
    staff_mail = [m for m in smtp_server.messages if m["To"] == "stella@example.com"]
    assert len(staff_mail) == 1
    [digest] = staff_mail
    assert digest["Subject"] == "3 tickets need your attention"
    text = digest.get_body(("plain",)).get_content()
    for reference, reason in expected:
        assert reference in text and reason in text
    with people.app_context():
        staff_rows = [r for r in all_rows() if r.event == "alert:escalated"]
        assert len(staff_rows) == 3 and {r.status for r in staff_rows} == {"sent"}


@pytest.mark.smtp
def test_quit_failing_after_acceptance_does_not_resend(people, smtp_server, monkeypatch):
    use_smtp(people, smtp_server)

    def broken_quit(self):
        raise mail_transport.smtplib.SMTPServerDisconnected("gone during QUIT")

    monkeypatch.setattr(mail_transport.smtplib.SMTP, "quit", broken_quit)
    with people.app_context():
        notify("ticket_received", make_ticket(by_email("casey@example.com")))
        db.session.commit()
        row_id = all_rows()[0].id
        email_jobs.send_email(row_id)
        assert db.session.get(EmailOutbox, row_id).status == "sent"
    assert len(smtp_server.messages) == 1


@pytest.mark.smtp
def test_a_single_staff_alert_is_a_complete_html_message(people, smtp_server):
    use_smtp(people, smtp_server)
    with people.app_context():
        ticket = make_ticket(by_email("casey@example.com"))
        ticket.assignee = by_email("stella@example.com")
        notify("action_held", ticket, action="refund", amount=Decimal("700.00"), currency="USD")
        db.session.commit()
        reference = ticket.reference
    drain(people)
    [alert] = [m for m in smtp_server.messages if m["To"] == "stella@example.com"]
    assert alert["Subject"] == f"[{reference}] Action held for approval: Headphones stopped working"
    assert alert["Message-ID"].startswith("<staff-digest.")
    html = alert.get_body(("html",)).get_content()
    assert html.lstrip().startswith("<!doctype html>") and "700.00 USD" in html
    assert "tickets need your attention" not in alert.get_body(("plain",)).get_content()
