"""The answer to mail from an address with no account: how to sign up, through the outbox, rate-limited.

At most one pointer per address per INBOUND_SIGNUP_REPLY_HOURS, because the From address of any mail can
be forged: without the limit anyone could make us mail a stranger over and over.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select

from portal.config import settings
from portal.extensions import db
from portal.mailer.compose import render
from portal.mailer.links import external_url, mail_domain
from portal.mailer.notifications import add_outbox_row
from portal.models import EmailOutbox, InboundEmail, InboundOutcome, utcnow

EVENT = "signup_pointer"


def pointed_recently(address: str) -> bool:
    """Whether this address got the sign-up pointer within the configured window."""
    since = utcnow() - timedelta(hours=settings().inbound.signup_reply_hours)
    query = select(func.count(InboundEmail.id)).where(
        InboundEmail.sender == address,
        InboundEmail.outcome == InboundOutcome.SIGNUP.value,
        InboundEmail.received_at >= since,
    )
    return bool(db.session.scalar(query))


def queue_pointer(address: str, subject: str, message_key: str, in_reply_to: str | None) -> None:
    """Add the sign-up pointer to the outbox (sent after the caller commits)."""
    draft = render(
        EVENT,
        f"Re: {subject}" if subject else "Your email to our support",
        signup_url=external_url("auth.signup"),
        login_url=external_url("auth.login"),
        address=address,
        hours=settings().inbound.signup_reply_hours,
    )
    headers = {
        "Message-ID": f"<signup-pointer.{secrets.token_hex(8)}@{mail_domain()}>",
        "Auto-Submitted": "auto-replied",  # RFC 3834: an answer made by a program; nobody should answer it
        "X-SupportOps-Event": EVENT,
    }
    if in_reply_to:
        headers["In-Reply-To"] = headers["References"] = in_reply_to
    row = EmailOutbox(
        dedupe_key=f"{EVENT}:{message_key}",
        event=EVENT,
        to_address=address,
        subject=draft.subject,
        text_body=draft.text,
        html_body=draft.html,
        headers=headers,
    )
    add_outbox_row(row)
