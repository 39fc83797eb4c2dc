"""Email in through a real IMAP server (a private Dovecot): replies thread, new mail opens tickets, unknown
senders get the sign-up pointer, automatic mail is ignored, and each message counts once.

The app is on SQLite with the manual queue; agent jobs run through the real job function
(worker.jobs.process_ticket), as a worker would run them.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.inbound.addresses import reply_address
from portal.inbound.imap import fetch_mailbox
from portal.jobs import queue
from portal.models import AgentRun, EmailOutbox, InboundEmail, Message, Ticket, utcnow
from portal.support.tickets import open_ticket
from tests.email.conftest import make_user
from tests.email.imap_server import DovecotServer
from tests.overrides import override_settings

pytestmark = pytest.mark.imap
SUPPORT = "support@shop.example"
CASEY = "casey@example.com"


@pytest.fixture(autouse=True)
def shared_policy_index(tmp_path_factory, monkeypatch):
    """One policy index for the session instead of one per test's instance folder (faster)."""
    import worker.agent.retrieval as retrieval

    folder = tmp_path_factory.getbasetemp() / "shared-policy-index"
    monkeypatch.setattr(retrieval, "index_dir", lambda instance_path: folder)


@pytest.fixture
def imap_server():
    server = DovecotServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def inbox(app, imap_server):
    """The SQLite app reading the Dovecot mailbox, with a signed reply address on its mail."""
    override_settings(
        app,
        **imap_server.settings(),
        MAIL_REPLY_ADDRESS=f"Shop Support <{SUPPORT}>",
        MAIL_DEFAULT_SENDER=f"Shop Support <{SUPPORT}>",
    )
    return app


# --- helpers ------------------------------------------------------------------------------------------------


def mail(
    sender: str,
    to: str,
    subject: str,
    body: str,
    *,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> bytes:
    """A message as a customer's mail client would send it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="mail.example.net")
    if in_reply_to:
        message["In-Reply-To"] = message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def quoted_reply(new_text: str, quoted: str = "We received your request.") -> str:
    return (
        f"{new_text}\n\nThanks,\nCasey\n\n-- \nCasey Customer | ACME Ltd | +1 555 0100\n\n"
        f"On Mon, 1 Dec 2025 at 10:00, Shop Support <{SUPPORT}> wrote:\n\n> {quoted}\n> Ticket details\n"
    )


def open_casey_ticket(app) -> dict:
    """Casey's portal ticket, already answered once by the agent; what our first mail to her carried."""
    with app.app_context():
        casey = make_user(CASEY, "Casey Customer")
        ticket = open_ticket(casey, "Headphones crackle", "My headphones crackle in the left ear.")
        db.session.commit()
        first = db.session.scalar(select(EmailOutbox).where(EmailOutbox.event == "ticket_received"))
        facts = {
            "id": ticket.id,
            "reference": ticket.reference,
            "message_id": first.headers["Message-ID"],
            "reply_to": first.headers["Reply-To"],
        }
    drain_agent(app)
    return facts


def drain_agent(app) -> int:
    """Run the queued agent jobs through the real job function (the send jobs are not under test here)."""
    jobs, count = app.extensions["manual_queue"].jobs, 0
    while jobs:
        path, args = jobs.pop(0)
        if path == queue.PROCESS_TICKET:
            with app.app_context():
                queue.import_job(path)(*args)
            count += 1
    return count


def fetch(app):
    with app.app_context():
        return fetch_mailbox()


def thread(app, ticket_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id))
        return [(m.author_kind, m.body) for m in rows]


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- replies ------------------------------------------------------------------------------------------------


def test_reply_lands_in_its_thread_without_quotes_and_the_agent_answers(inbox, imap_server):
    ticket = open_casey_ticket(inbox)
    assert ticket["reply_to"].startswith(f"support+{ticket['reference']}.")
    before = thread(inbox, ticket["id"])
    assert [kind for kind, _ in before] == ["customer", "agent"]

    body = quoted_reply("It is order A1003 and I would like a replacement please.")
    subject = f"Re: [{ticket['reference']}] Headphones crackle"
    imap_server.deliver(mail(CASEY, ticket["reply_to"], subject, body, in_reply_to=ticket["message_id"]))
    report = fetch(inbox)

    assert report.outcomes == {"threaded": 1} and report.failed == 0
    after = thread(inbox, ticket["id"])
    assert after[len(before)] == ("customer", "It is order A1003 and I would like a replacement please.")
    assert "\\Seen" in imap_server.flags()[0]  # marked only after it was taken in
    with inbox.app_context():
        run = db.session.scalars(select(AgentRun).order_by(AgentRun.id.desc())).first()
        assert (run.trigger, run.status) == ("reply", "queued")

    assert drain_agent(inbox) == 1
    answered = thread(inbox, ticket["id"])
    assert len(answered) == len(after) + 1 and answered[-1][0] == "agent"
    with inbox.app_context():
        assert db.session.get(AgentRun, run.id).status == "done"
        assert db.session.get(Ticket, ticket["id"]).customer_turns == 2


def test_reply_by_references_alone_threads_too(inbox, imap_server):
    """Without the reply address (MAIL_REPLY_ADDRESS unset when it was sent), our Message-ID is enough."""
    ticket = open_casey_ticket(inbox)
    body = quoted_reply("Still crackling after the reset.")
    imap_server.deliver(mail(CASEY, SUPPORT, "Re: hi", body, in_reply_to=ticket["message_id"]))
    assert fetch(inbox).outcomes == {"threaded": 1}
    assert thread(inbox, ticket["id"])[-1] == ("customer", "Still crackling after the reset.")


def test_reply_to_a_resolved_ticket_reopens_it_for_the_agent(inbox, imap_server):
    ticket = open_casey_ticket(inbox)
    with inbox.app_context():
        row = db.session.get(Ticket, ticket["id"])
        row.status, row.resolved_at = "resolved", utcnow()
        db.session.commit()
    imap_server.deliver(mail(CASEY, ticket["reply_to"], "Re: done?", quoted_reply("It broke again today.")))
    assert fetch(inbox).outcomes == {"threaded": 1}
    with inbox.app_context():
        row = db.session.get(Ticket, ticket["id"])
        assert (row.status, row.resolved_at) == ("new", None)
    assert drain_agent(inbox) == 1
    assert thread(inbox, ticket["id"])[-1][0] == "agent"


def test_reply_to_a_ticket_a_person_owns_goes_to_staff(inbox, imap_server):
    ticket = open_casey_ticket(inbox)
    with inbox.app_context():
        row = db.session.get(Ticket, ticket["id"])
        row.status, row.human_involved = "escalated", True
        db.session.commit()
    imap_server.deliver(mail(CASEY, ticket["reply_to"], "Re: x", "Any news?"))
    assert fetch(inbox).outcomes == {"threaded": 1}
    assert drain_agent(inbox) == 0  # no agent run: the desk has it, as with a portal reply
    with inbox.app_context():
        assert db.session.get(Ticket, ticket["id"]).status == "escalated"


# --- new mail and unknown senders ---------------------------------------------------------------------------


def test_new_email_from_a_known_customer_opens_a_ticket(inbox, imap_server):
    with inbox.app_context():
        make_user("dana@example.com", "Dana Doe")
        db.session.commit()
    body = "Where is my order A2001? It has been two weeks.\n\nBest regards,\nDana"
    imap_server.deliver(mail("Dana Doe <Dana@Example.com>", SUPPORT, "Order not arrived", body))
    report = fetch(inbox)
    assert report.outcomes == {"opened": 1}
    with inbox.app_context():
        ticket = db.session.scalars(select(Ticket)).one()
        assert (ticket.customer.email, ticket.subject) == ("dana@example.com", "Order not arrived")
        assert ticket.body == "Where is my order A2001? It has been two weeks."
        events = set(db.session.scalars(select(EmailOutbox.event)))
        assert events == {"ticket_received"}
    assert drain_agent(inbox) == 1  # the agent answers emailed tickets like portal ones
    assert thread(inbox, ticket.id)[-1][0] == "agent"


def test_unknown_sender_gets_one_signup_pointer(inbox, imap_server):
    stranger = "stranger@elsewhere.example"
    first_id = make_msgid(domain="elsewhere.example")
    imap_server.deliver(mail(stranger, SUPPORT, "Refund please", "Refund my order", message_id=first_id))
    imap_server.deliver(mail(stranger, SUPPORT, "Hello??", "Anyone there?"))
    report = fetch(inbox)
    assert report.outcomes == {"signup": 1, "ignored": 1}
    assert count(inbox, Ticket) == 0
    with inbox.app_context():
        [pointer] = db.session.scalars(select(EmailOutbox)).all()
        assert (pointer.event, pointer.to_address, pointer.ticket_id) == ("signup_pointer", stranger, None)
        assert pointer.subject == "Re: Refund please"
        assert "http://127.0.0.1:5000/auth/signup" in pointer.text_body
        assert pointer.headers["Auto-Submitted"] == "auto-replied"
        assert pointer.headers["In-Reply-To"] == first_id
        reasons = set(db.session.scalars(select(InboundEmail.reason)))
        assert "unknown sender, sign-up pointer already sent recently" in reasons
    # the job sending it was enqueued on the email queue, through the outbox
    assert [p for p, _ in inbox.extensions["manual_queue"].jobs] == [queue.SEND_EMAIL]


def test_known_customer_writing_to_another_customers_ticket_gets_a_ticket_of_their_own(inbox, imap_server):
    ticket = open_casey_ticket(inbox)
    with inbox.app_context():
        make_user("eve@example.com", "Eve")
        db.session.commit()
    # Eve has Casey's (validly signed) reply address, e.g. a forwarded mail: not Casey's thread.
    imap_server.deliver(mail("eve@example.com", ticket["reply_to"], "Re: x", "Please cancel this order."))
    assert fetch(inbox).outcomes == {"opened": 1}
    assert [kind for kind, _ in thread(inbox, ticket["id"])] == ["customer", "agent"]
    with inbox.app_context():
        eves = db.session.scalars(select(Ticket).where(Ticket.id != ticket["id"])).one()
        assert (eves.customer.email, eves.body) == ("eve@example.com", "Please cancel this order.")


def test_forged_reply_address_is_refused(inbox, imap_server):
    ticket = open_casey_ticket(inbox)
    reference = ticket["reference"]
    forged = f"support+{reference}.aaaaaaaaaaaaaaaa@shop.example"
    unsigned = f"support+{reference}@shop.example"
    imap_server.deliver(mail(CASEY, forged, f"Re: [{reference}]", "Refund everything to my new card."))
    imap_server.deliver(mail(CASEY, unsigned, f"Re: [{reference}]", "Refund everything to my new card."))
    report = fetch(inbox)
    assert report.outcomes == {"refused": 2}
    assert [kind for kind, _ in thread(inbox, ticket["id"])] == ["customer", "agent"]
    assert count(inbox, Ticket) == 1
    with inbox.app_context():
        assert set(db.session.scalars(select(EmailOutbox.event))) == {"ticket_received", "agent_answered"}


# --- automatic mail -----------------------------------------------------------------------------------------


AUTOMATIC = {
    "out of office": {"Auto-Submitted": "auto-replied", "Subject": "Out of office"},
    "bulk": {"Precedence": "bulk"},
    "list": {"Precedence": "list"},
    "x-autoreply": {"X-Autoreply": "yes"},
    "mailing list": {"List-Id": "<news.example.net>"},
    "bounce": {"From": "MAILER-DAEMON@mx.example.com", "Subject": "Undelivered Mail Returned to Sender"},
    "our own looped back": {"X-SupportOps-Ticket": "T-AAAA2222"},
}


@pytest.mark.parametrize("name", AUTOMATIC)
def test_automatic_mail_creates_nothing(inbox, imap_server, name):
    ticket = open_casey_ticket(inbox)
    outbox_before = count(inbox, EmailOutbox)
    extra = dict(AUTOMATIC[name])
    sender = extra.pop("From", CASEY)
    subject = extra.pop("Subject", f"Re: [{ticket['reference']}]")
    raw = mail(sender, ticket["reply_to"], subject, "I am away until Monday.", headers=extra)
    imap_server.deliver(raw)
    stranger = "nobody@unknown.example" if sender == CASEY else sender  # an unknown sender gets no pointer
    imap_server.deliver(mail(stranger, SUPPORT, "x", "I am away.", headers=extra))
    report = fetch(inbox)
    assert report.outcomes == {"ignored": 2}
    assert len(thread(inbox, ticket["id"])) == 2 and count(inbox, Ticket) == 1
    assert count(inbox, EmailOutbox) == outbox_before  # no sign-up pointer to an autoresponder either
    assert drain_agent(inbox) == 0


def test_our_own_message_id_coming_back_is_ignored(inbox, imap_server):
    ticket = open_casey_ticket(inbox)
    imap_server.deliver(mail(CASEY, SUPPORT, "Re: x", "Looped", message_id=ticket["message_id"]))
    assert fetch(inbox).outcomes == {"ignored": 1}
    assert len(thread(inbox, ticket["id"])) == 2


# --- at least once, once ------------------------------------------------------------------------------------


def test_the_same_message_fetched_twice_is_taken_in_once(inbox, imap_server):
    ticket = open_casey_ticket(inbox)
    raw = mail(CASEY, ticket["reply_to"], "Re: x", quoted_reply("Second pair crackles too."))
    imap_server.deliver(raw)
    imap_server.deliver(raw)  # the MTA delivered it twice
    assert fetch(inbox).outcomes == {"threaded": 1, "duplicate": 1}
    imap_server.clear_seen()  # the poller died after taking them in, before marking them
    assert fetch(inbox).outcomes == {"duplicate": 2}
    assert fetch(inbox).fetched == 0  # now they are marked
    bodies = [body for kind, body in thread(inbox, ticket["id"]) if body == "Second pair crackles too."]
    assert len(bodies) == 1 and count(inbox, InboundEmail) == 1
    with inbox.app_context():
        assert db.session.scalar(select(func.count()).where(AgentRun.trigger == "reply")) == 1


def test_done_folder_receives_processed_mail(inbox, imap_server):
    override_settings(inbox, INBOUND_IMAP_DONE_FOLDER="Processed by SupportOps")
    with inbox.app_context():
        make_user("dana@example.com", "Dana Doe")
        db.session.commit()
    imap_server.deliver(mail("dana@example.com", SUPPORT, "Hello", "Is my order shipped?"))
    imap_server.deliver(mail("x@unknown.example", SUPPORT, "Hello", "Hi", headers={"Precedence": "junk"}))
    assert fetch(inbox).outcomes == {"opened": 1, "ignored": 1}
    assert imap_server.count("INBOX") == 0 and imap_server.count("Processed by SupportOps") == 2


def test_flask_mail_fetch_command(inbox, imap_server):
    with inbox.app_context():
        make_user("dana@example.com", "Dana Doe")
        db.session.commit()
    imap_server.deliver(mail("dana@example.com", SUPPORT, "Hello", "Is my order shipped?"))
    result = inbox.test_cli_runner().invoke(args=["mail", "fetch"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "fetched 1, opened 1, failed 0"


def test_fetch_command_explains_an_unreachable_mailbox(inbox, imap_server):
    imap_server.stop()
    result = inbox.test_cli_runner().invoke(args=["mail", "fetch"])
    assert result.exit_code != 0 and "IMAP" in result.output


# --- the reply address on our mail --------------------------------------------------------------------------


def test_customer_mail_carries_the_signed_reply_address_only_when_configured(inbox):
    with inbox.app_context():
        address = reply_address("T-ABCD2345")
        assert address.startswith("support+T-ABCD2345.") and address.endswith("@shop.example")
        assert reply_address("T-ABCD2346") != address.replace("2345", "2346")  # signed, not derived
        override_settings(inbox, MAIL_REPLY_ADDRESS=None)
        assert reply_address("T-ABCD2345") is None
