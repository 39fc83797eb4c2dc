"""What an inbound message's headers tell: is it automatic (never answer it), and which ticket it replies to.

Automatic mail is recognised the way RFC 3834 and the large desks do it: Auto-Submitted other than "no",
Precedence bulk/junk/list, the X-Autoreply family, mailing-list and delivery-report markers, bounces
(null return path, mailer-daemon or postmaster senders) and our own messages coming back (our
X-SupportOps headers or a Message-ID we made). Answering any of them could start a mail loop.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from portal.mailer.links import mail_domain

AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Response")
BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_REFERENCE = re.compile(r"^T-[A-Z0-9]{4,12}$")
# The first part of the Message-IDs our other messages carry (account mails, digests, the sign-up pointer).
OWN_ID_PREFIXES = frozenset(
    {"password-reset", "email-change", "email-verify", "address-changed", "staff-digest", "signup-pointer"}
)


def header(message: EmailMessage, name: str) -> str:
    """A header as one plain string ('' when absent or unreadable)."""
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a malformed header the parser could not model
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def sender(message: EmailMessage) -> str:
    """The From address, lower-cased ('' when there is none)."""
    return parseaddr(header(message, "From"))[1].strip().lower()


def recipients(message: EmailMessage) -> list[str]:
    values = [header(message, name) for name in RECIPIENT_HEADERS]
    return [address.lower() for _, address in getaddresses([v for v in values if v]) if address]


def automatic_reason(message: EmailMessage, own_addresses: set[str]) -> str | None:
    """Why this message must not be answered (auto-reply, list, bounce, our own); None for a person's mail."""
    auto_submitted = header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"[:200]
    if header(message, "Precedence").lower() in BULK_PRECEDENCE:
        return f"Precedence: {header(message, 'Precedence').lower()}"
    for name in (*AUTO_REPLY_HEADERS, "List-Id", "X-Failed-Recipients"):
        if header(message, name):
            return f"{name} header"
    return _bounce_reason(message) or _own_reason(message, own_addresses)


def _bounce_reason(message: EmailMessage) -> str | None:
    if header(message, "Return-Path") == "<>":
        return "bounce (null return path)"
    if message.get_content_type() == "multipart/report":
        return "delivery or read report"
    if sender(message).partition("@")[0] in BOUNCE_SENDERS:
        return "bounce (mailer-daemon sender)"
    return None


def _own_reason(message: EmailMessage, own_addresses: set[str]) -> str | None:
    if header(message, "X-SupportOps-Ticket") or header(message, "X-SupportOps-Event"):
        return "our own message (X-SupportOps header)"
    if any(is_our_message_id(mid) for mid in _MESSAGE_ID.findall(header(message, "Message-ID"))):
        return "our own message (Message-ID)"
    if sender(message) in own_addresses:
        return "sent from our own address"
    return None


def _on_our_domain(message_id: str) -> bool:
    return message_id.rpartition("@")[2].lower() == mail_domain().lower()


def is_our_message_id(message_id: str) -> bool:
    """Whether we made this id: our domain and one of our shapes (a customer may share our domain)."""
    first_part = message_id.rpartition("@")[0].split(".", 1)[0].lower()
    return _reference_in(message_id) is not None or (
        _on_our_domain(message_id) and first_part in OWN_ID_PREFIXES
    )


def referenced_tickets(message: EmailMessage) -> list[str]:
    """Ticket references named by our Message-IDs in In-Reply-To and References, newest first."""
    ids = _MESSAGE_ID.findall(header(message, "In-Reply-To"))
    ids += reversed(_MESSAGE_ID.findall(header(message, "References")))
    found: list[str] = []
    for message_id in ids:
        reference = _reference_in(message_id)
        if reference and reference not in found:
            found.append(reference)
    return found


def _reference_in(message_id: str) -> str | None:
    """T-XXXX from <ticket-T-XXXX@domain> or <T-XXXX.event.random@domain> (portal/mailer/links.py)."""
    if not _on_our_domain(message_id):
        return None
    local = message_id.rpartition("@")[0]
    candidate = local.removeprefix("ticket-").split(".", 1)[0].upper()
    return candidate if _REFERENCE.match(candidate) else None
