"""Email in through the real thing: a real RQ worker (Postgres, Redis) polls a private Dovecot mailbox on its
own schedule, threads the customer's reply to the mail it delivered to a real SMTP server (aiosmtpd), runs
the agent on it and mails the answer back with the same signed reply address."""

from __future__ import annotations

import email
import email.policy

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import InboundEmail, Message
from portal.support.tickets import open_ticket
from tests.conftest import wait_for
from tests.email.conftest import make_user
from tests.email.imap_server import DovecotServer
from tests.overrides import override_settings

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.redis, pytest.mark.postgres]
SENDER = "Shop Support <support@shop.example>"


@pytest.fixture
def imap_server():
    server = DovecotServer()
    server.start()
    yield server
    server.stop()


def _mails(smtp_server, event: str) -> list:
    return [m for m in smtp_server.messages if m["X-SupportOps-Event"] == event]


def _reply_to(delivered, text: str) -> bytes:
    """The customer pressing Reply on a delivered message: To its Reply-To, In-Reply-To its Message-ID."""
    reply = email.message.EmailMessage(policy=email.policy.SMTP)
    reply["From"] = "Casey Customer <casey@example.com>"
    reply["To"] = delivered["Reply-To"]
    reply["Subject"] = "Re: " + delivered["Subject"]
    reply["Message-ID"] = "<casey-reply-1@mail.example.net>"
    reply["In-Reply-To"] = delivered["Message-ID"]
    reply["References"] = f"{delivered['References'] or ''} {delivered['Message-ID']}".strip()
    quoted = "\n".join("> " + line for line in delivered.get_body(("plain",)).get_content().splitlines())
    reply.set_content(f"{text}\n\nBest regards,\nCasey\n\nOn Mon, 1 Dec 2025, {SENDER} wrote:\n{quoted}\n")
    return reply.as_bytes()


def test_worker_polls_the_mailbox_threads_the_reply_and_mails_the_answer(
    rq_workers, pg_app, smtp_server, imap_server
):
    rq_workers.env.update(
        **smtp_server.env(),
        **imap_server.env(),
        INBOUND_POLL_SECONDS="1",
        MAIL_REPLY_ADDRESS=SENDER,
        MAIL_DEFAULT_SENDER=SENDER,
    )
    override_settings(pg_app, MAIL_REPLY_ADDRESS=SENDER, MAIL_DEFAULT_SENDER=SENDER)
    with pg_app.app_context():
        casey = make_user("casey@example.com", "Casey Customer")
        ticket = open_ticket(casey, "Headphones crackle", "My headphones crackle in the left ear.")
        db.session.commit()
        ticket_id, reference = ticket.id, ticket.reference
    rq_workers.start(1)
    wait_for(lambda: _mails(smtp_server, "agent_answered"), timeout=90)
    [received] = _mails(smtp_server, "ticket_received")
    assert received["Reply-To"].startswith(f"support+{reference}.")

    imap_server.deliver(_reply_to(received, "It is still crackling after the firmware update."))

    def customer_email_in_thread():
        with pg_app.app_context():
            bodies = db.session.scalars(select(Message.body).where(Message.ticket_id == ticket_id))
            return "It is still crackling after the firmware update." in list(bodies)

    wait_for(customer_email_in_thread, timeout=60)
    wait_for(lambda: len(_mails(smtp_server, "agent_answered")) == 2, timeout=90)
    with pg_app.app_context():
        kinds = list(
            db.session.scalars(
                select(Message.author_kind).where(Message.ticket_id == ticket_id).order_by(Message.id)
            )
        )
        assert kinds == ["customer", "agent", "customer", "agent"], rq_workers.logs()
        [inbound] = db.session.scalars(select(InboundEmail)).all()
        assert (inbound.outcome, inbound.ticket_id) == ("threaded", ticket_id)
    second = _mails(smtp_server, "agent_answered")[1]
    assert second["Reply-To"] == received["Reply-To"]  # the next reply lands in the same thread
    assert "\\Seen" in imap_server.flags()[0]
