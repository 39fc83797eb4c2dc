"""Account emails (password reset, email-address confirmation and verification): outbox rows.

Like every other message they go through the outbox.

They carry a signed link (portal/auth/account_links.py) and no ticket; they are always sent, whatever the
customer's update-email setting, because the customer asked for them a moment ago.
"""

from __future__ import annotations

import secrets
import time

from portal.auth import account_links as links
from portal.config import settings
from portal.mailer import outbox
from portal.mailer.compose import render
from portal.mailer.links import external_url, mail_domain
from portal.mailer.notifications import add_outbox_row
from portal.models import EmailOutbox, User

LINK_MINUTES = int(links.LINK_MAX_AGE.total_seconds() // 60)
VERIFY_HOURS = int(links.VERIFY_MAX_AGE.total_seconds() // 3600)


def _queue(
    event: str, user: User, to_address: str, template: str, subject: str, url: str, unique: str = ""
) -> None:
    draft = render(template, subject, user=user, url=url, minutes=LINK_MINUTES, hours=VERIFY_HOURS)
    unique = unique or secrets.token_hex(8)  # by default every request is a new message
    row = EmailOutbox(
        dedupe_key=f"{event}:{user.id}:{unique}",
        event=event,
        to_address=to_address,
        user_id=user.id,
        subject=draft.subject,
        text_body=draft.text,
        html_body=draft.html,
        headers={
            "Message-ID": f"<{event.replace('_', '-')}.{unique}@{mail_domain()}>",
            "X-SupportOps-Event": event,
        },
    )
    add_outbox_row(row)


def send_password_reset(user: User) -> None:
    """Queue the reset link to the user's address (the caller commits)."""
    url = external_url("auth.reset_password", token=links.reset_token(user))
    _queue("password_reset", user, user.email, "password_reset", "Reset your SupportOps password", url)


def send_email_confirmation(user: User, new_email: str) -> None:
    """Queue the confirmation link to the NEW address (the caller commits)."""
    url = external_url("settings.confirm_email", token=links.email_change_token(user, new_email))
    _queue("email_change", user, new_email, "email_change", "Confirm your new SupportOps email address", url)


def send_email_verification(user: User) -> None:
    """Queue the "confirm your address" link to the user's address (the caller commits)."""
    url = external_url("auth.verify_email", token=links.verification_token(user))
    _queue("email_verify", user, user.email, "email_verify", "Confirm your SupportOps email address", url)


def _window(minutes: int) -> str:
    """The number of the current `minutes`-long window: one notice per account and window."""
    return str(int(time.time() // (max(1, minutes) * 60)))


def _queue_notice(event: str, user: User, template: str, subject: str, minutes: int) -> bool:
    """Queue a security notice unless this window already has one (the caller commits); True if queued.

    Two requests racing for the same window meet at the outbox's unique dedupe key.
    """
    unique = _window(minutes)
    if outbox.is_known(f"{event}:{user.id}:{unique}"):
        return False
    url = external_url("auth.forgot_password")
    _queue(event, user, user.email, template, subject, url, unique=unique)
    return True


def send_failed_logins_notice(user: User) -> bool:
    """Tell the owner that logins to their account are being refused after repeated wrong passwords."""
    minutes = settings().auth.login_notice_minutes
    subject = "Repeated failed logins to your SupportOps account"
    return _queue_notice("login_failures", user, "login_failures", subject, minutes)


def send_signup_attempt_notice(user: User) -> bool:
    """Tell the owner someone tried to sign up with their address (sign-up never says it is taken)."""
    minutes = settings().auth.login_notice_minutes
    subject = "Someone tried to sign up with your email address"
    return _queue_notice("signup_attempt", user, "signup_attempt", subject, minutes)
