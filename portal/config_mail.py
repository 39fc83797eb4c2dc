"""Mail settings of the typed settings (portal.config_types): mail out, email in, webhooks.

MAIL_SERVER, MAIL_DEFAULT_SENDER and MAIL_SUPPRESS_SEND are read by Flask-Mail too (from app.config, with
its other MAIL_* server settings); our own code reads them here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def intervals(value: Any) -> tuple[int, ...]:
    """Retry backoffs (seconds) as a tuple, from the list or tuple a config key holds."""
    return tuple(int(seconds) for seconds in value)


@dataclass(frozen=True, slots=True)
class MailSettings:
    """Mail out: our own MAIL_* settings (Flask-Mail reads its server settings from app.config itself)."""

    server: str | None  # MAIL_SERVER; None: mail goes to the log and instance/mail/
    suppress_send: bool
    default_sender: str
    timeout: float
    retry_intervals: tuple[int, ...]
    staff_digest_seconds: int
    message_id_domain: str | None  # None: the sender's domain
    feedback_max_age_days: int
    stale_minutes: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        return cls(
            server=config["MAIL_SERVER"],
            suppress_send=bool(config["MAIL_SUPPRESS_SEND"]),
            default_sender=config["MAIL_DEFAULT_SENDER"],
            timeout=float(config["MAIL_TIMEOUT"]),
            retry_intervals=intervals(config["MAIL_RETRY_INTERVALS"]),
            staff_digest_seconds=int(config["MAIL_STAFF_DIGEST_SECONDS"]),
            message_id_domain=config["MAIL_MESSAGE_ID_DOMAIN"],
            feedback_max_age_days=int(config["MAIL_FEEDBACK_MAX_AGE_DAYS"]),
            stale_minutes=int(config["MAIL_STALE_MINUTES"]),
        )


@dataclass(frozen=True, slots=True)
class InboundSettings:
    """Email in: the Reply-To address and the IMAP mailbox polled for mail (INBOUND_*)."""

    reply_address: str | None  # MAIL_REPLY_ADDRESS
    imap_host: str | None  # None: no polling
    imap_port: int
    imap_ssl: bool
    imap_user: str | None
    imap_password: str | None
    imap_folder: str
    imap_done_folder: str | None
    imap_timeout: float
    batch: int
    poll_seconds: int
    signup_reply_hours: int
    quote_languages: tuple[str, ...]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> InboundSettings:
        return cls(
            reply_address=config["MAIL_REPLY_ADDRESS"],
            imap_host=config["INBOUND_IMAP_HOST"],
            imap_port=int(config["INBOUND_IMAP_PORT"]),
            imap_ssl=bool(config["INBOUND_IMAP_SSL"]),
            imap_user=config["INBOUND_IMAP_USER"],
            imap_password=config["INBOUND_IMAP_PASSWORD"],
            imap_folder=config["INBOUND_IMAP_FOLDER"],
            imap_done_folder=config["INBOUND_IMAP_DONE_FOLDER"],
            imap_timeout=float(config["INBOUND_IMAP_TIMEOUT"]),
            batch=int(config["INBOUND_BATCH"]),
            poll_seconds=int(config["INBOUND_POLL_SECONDS"]),
            signup_reply_hours=int(config["INBOUND_SIGNUP_REPLY_HOURS"]),
            quote_languages=tuple(code.strip() for code in config["INBOUND_QUOTE_LANGUAGES"].split(",")),
        )


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Seconds to wait for a receiver, the backoff between attempts before `failed`, and the age at which a
    never-tried delivery counts as lost."""

    timeout: float
    retry_intervals: tuple[int, ...]
    stale_minutes: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WebhookSettings:
        return cls(
            float(config["WEBHOOK_TIMEOUT"]),
            intervals(config["WEBHOOK_RETRY_INTERVALS"]),
            int(config["WEBHOOK_STALE_MINUTES"]),
        )
