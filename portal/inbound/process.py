"""What one inbound message does (docs/email.md, "Email in"), decided in this order:

1. automatic mail (auto-replies, lists, bounces, our own messages): recorded and ignored;
2. a reply address whose signature is not ours: refused (nobody posts into a ticket by guessing);
3. the ticket it answers (the signed reply address, else our Message-IDs in In-Reply-To / References),
   when the sender is that ticket's customer: the text joins the thread exactly as a reply on the portal
   does (portal.support.tickets.add_customer_reply: the agent runs again, or staff are alerted; a resolved
   ticket reopens);
4. any other mail from a known customer: a new ticket (portal.support.tickets.open_ticket);
5. an unknown sender: the sign-up pointer (at most once per address per INBOUND_SIGNUP_REPLY_HOURS).
Every message is recorded in inbound_emails under its Message-ID in the same transaction as its effect,
so a message taken in twice (a refetch after a crash, two pollers) has its effect once.
"""

from __future__ import annotations

import email
import hashlib
import logging
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.auth.accounts import find_user_by_email
from portal.config import settings
from portal.database.sqlite import write_transaction
from portal.extensions import db
from portal.inbound import headers, signup
from portal.inbound.addresses import ReplyTag, mailbox_address, read_tag
from portal.inbound.text import body_text, new_text
from portal.mailer.compose import one_line, summary
from portal.models import InboundEmail, InboundOutcome, Ticket, User
from portal.services.transaction import customer_transaction
from portal.support.tickets import BODY_MAX, SUBJECT_MAX, add_customer_reply, open_ticket

log = logging.getLogger(__name__)
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Decision:
    outcome: InboundOutcome
    reason: str | None = None
    customer: User | None = None
    ticket: Ticket | None = None
    text: str = ""


@dataclass(frozen=True)
class Received:
    """What taking one message in did (outcome 'duplicate' when it had been taken in before)."""

    outcome: str
    reason: str | None = None
    ticket_reference: str | None = None


def receive(raw: bytes) -> Received:
    """Take one raw RFC 5322 message in (commits); the same message again does nothing."""
    message = email.message_from_bytes(raw, policy=policy.default)
    key = message_key(message, raw)
    if _already_received(key):
        return Received(DUPLICATE)
    decision = decide(message)
    try:
        result = _apply(message, key, decision)
    except IntegrityError:
        db.session.rollback()
        if _already_received(key):  # another poller took it in a moment ago
            return Received(DUPLICATE)
        raise
    log.info("inbound %s: %s %s", key[:12], result.outcome, result.reason or result.ticket_reference or "")
    return result


def message_key(message: EmailMessage, raw: bytes) -> str:
    """The dedupe key: the Message-ID's hash, or the bytes' when a message has no Message-ID."""
    message_id = headers.header(message, "Message-ID")
    return hashlib.sha256(message_id.encode() if message_id else raw).hexdigest()


def _already_received(key: str) -> bool:
    found = db.session.scalar(select(InboundEmail.id).where(InboundEmail.message_key == key))
    db.session.commit()  # end the read transaction before the next step takes its own
    return found is not None


def decide(message: EmailMessage) -> Decision:
    """What the message should do (reads the database, changes nothing)."""
    reason = headers.automatic_reason(message, _own_addresses())
    if reason:
        return Decision(InboundOutcome.IGNORED, reason)
    tag = _reply_tag(message)
    if tag is not None and not tag.valid:
        return Decision(InboundOutcome.REFUSED, "reply address with a signature that is not ours")
    address = headers.sender(message)
    if not address:
        return Decision(InboundOutcome.IGNORED, "no sender address")
    user = find_user_by_email(address)
    if user is None:
        return _signup_decision(address)
    if user.is_staff:
        return Decision(InboundOutcome.IGNORED, "staff address: staff answer from the desk")
    if not user.active or user.closed_at is not None:
        return Decision(InboundOutcome.IGNORED, "inactive account")
    ticket = _answered_ticket(tag, message)
    if ticket is not None and ticket.customer_id != user.id:
        ticket = None  # not their ticket: their mail is a new request of their own
    return _text_decision(message, user, ticket)


def _own_addresses() -> set[str]:
    return {mailbox_address(), parseaddr(settings().mail.default_sender)[1].lower()}


def _reply_tag(message: EmailMessage) -> ReplyTag | None:
    tags = [tag for tag in map(read_tag, headers.recipients(message)) if tag is not None]
    valid = [tag for tag in tags if tag.valid]
    return valid[0] if valid else (tags[0] if tags else None)


def _answered_ticket(tag: ReplyTag | None, message: EmailMessage) -> Ticket | None:
    references = [tag.reference] if tag is not None else headers.referenced_tickets(message)
    for reference in references:
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        if ticket is not None:
            return ticket
    return None


def _signup_decision(address: str) -> Decision:
    if signup.pointed_recently(address):
        return Decision(InboundOutcome.IGNORED, "unknown sender, sign-up pointer already sent recently")
    return Decision(InboundOutcome.SIGNUP, "unknown sender")


def _text_decision(message: EmailMessage, user: User, ticket: Ticket | None) -> Decision:
    languages = list(settings().inbound.quote_languages)
    if ticket is not None and ticket.language:
        languages.insert(0, ticket.language)
    text = new_text(body_text(message), languages)
    if not text:
        return Decision(InboundOutcome.IGNORED, "no new text once quotes and signature are removed")
    if len(text) > BODY_MAX:
        text = text[: BODY_MAX - 1].rstrip() + "…"  # a ticket message's limit; the start says what matters
    outcome = InboundOutcome.THREADED if ticket is not None else InboundOutcome.OPENED
    return Decision(outcome, None, customer=user, ticket=ticket, text=text)


def _apply(message: EmailMessage, key: str, decision: Decision) -> Received:
    row = InboundEmail(
        message_key=key,
        message_id=headers.header(message, "Message-ID")[:255] or None,
        sender=headers.sender(message)[:254],
        subject=one_line(headers.header(message, "Subject"), SUBJECT_MAX),
        outcome=decision.outcome.value,
        reason=decision.reason,
    )
    if decision.customer is None:
        with write_transaction():
            _record(row)
            if decision.outcome is InboundOutcome.SIGNUP:
                signup.queue_pointer(row.sender, row.subject, key, row.message_id)
        return Received(row.outcome, row.reason)
    with customer_transaction(decision.customer.id):  # serialized with the customer's portal writes
        _record(row)
        ticket = _thread_or_open(row, decision)
        reference = ticket.reference
    return Received(decision.outcome.value, decision.reason, reference)


def _record(row: InboundEmail) -> None:
    db.session.add(row)
    db.session.flush()  # the unique key: a second copy of the message stops here


def _thread_or_open(row: InboundEmail, decision: Decision) -> Ticket:
    if decision.ticket is not None:
        ticket = db.session.get(Ticket, decision.ticket.id, populate_existing=True)  # as of the lock
        message = add_customer_reply(ticket, decision.text)
    else:
        subject = row.subject or summary(decision.text, 60) or "Email"
        ticket = open_ticket(decision.customer, subject, decision.text)
        message = ticket.messages[0]
    db.session.flush()
    row.ticket_id, row.ticket_message_id = ticket.id, message.id
    return ticket
