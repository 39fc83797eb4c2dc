"""Delivery for the email jobs: Flask-Mail over SMTP with a timeout, or .eml files in development.

Only worker code imports this module, so nothing in a web request can ever open an SMTP connection.
"""

from __future__ import annotations

import logging
import re
import smtplib
from pathlib import Path

from flask import current_app
from flask_mail import Connection
from flask_mail import Message as MailMessage

from portal.config_mail import MailSettings
from portal.extensions import mail
from portal.mailer.outbox import Envelope
from portal.models import utcnow

log = logging.getLogger(__name__)


class TimeoutConnection(Connection):
    """Flask-Mail 0.10's connection, plus a socket timeout and a QUIT that cannot undo a delivery.

    Flask-Mail builds `smtplib.SMTP(server, port)` with no timeout, so a silent server would hang the job
    until RQ kills it; and it lets an error from QUIT escape after the server has already accepted the
    message, which would make us send it again.
    """

    def __init__(self, state, timeout: float):
        super().__init__(state)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        """Flask-Mail's connection setup, with our timeout on the SMTP socket."""
        smtp_class = smtplib.SMTP_SSL if self.mail.use_ssl else smtplib.SMTP
        host = smtp_class(self.mail.server, self.mail.port, timeout=self.timeout)
        try:
            host.set_debuglevel(int(self.mail.debug))
            if self.mail.use_tls:
                host.starttls()
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host

    def __exit__(self, exc_type, exc_value, tb) -> None:
        if self.host is None:
            return
        try:
            self.host.quit()
        except (smtplib.SMTPException, OSError):
            self.host.close()


def build_message(envelope: Envelope, outgoing: MailSettings) -> MailMessage:
    """A Flask-Mail message from our sender, with the row's stable Message-ID and threading headers."""
    headers = dict(envelope.headers or {})
    message_id = headers.pop("Message-ID", None)
    headers.setdefault("Auto-Submitted", "auto-generated")  # RFC 3834: no out-of-office replies to us
    message = MailMessage(
        subject=envelope.subject,
        recipients=[envelope.to_address],
        body=envelope.text_body,
        html=envelope.html_body,
        sender=outgoing.default_sender,
        extra_headers=headers,
    )
    if message_id:
        message.msgId = message_id  # the same id on every retry: a duplicate is recognisable downstream
    return message


def smtp_configured(outgoing: MailSettings) -> bool:
    """True when mail goes to a real SMTP server (MAIL_SERVER set, sending not suppressed)."""
    return bool(outgoing.server) and not outgoing.suppress_send


def deliver(message: MailMessage, name: str, outgoing: MailSettings) -> None:
    """Hand the message to the SMTP server (raises on failure); in development, write it to instance/mail/."""
    if not smtp_configured(outgoing):
        write_dev_copy(message, name)
        return
    # Flask-Mail reads its server settings (MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS ...) from app.config itself.
    state = mail.init_mail(current_app.config, current_app.debug, current_app.testing)
    with TimeoutConnection(state, outgoing.timeout) as connection:
        connection.send(message)


def write_dev_copy(message: MailMessage, name: str) -> Path:
    """No MAIL_SERVER: log the message and keep it as an .eml file a developer can open."""
    folder = Path(current_app.instance_path) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    safe_name = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    path = folder / f"{utcnow().strftime('%Y%m%d-%H%M%S-%f')}-{safe_name}.eml"
    path.write_bytes(message.as_bytes())
    log.info(
        "mail (no MAIL_SERVER; saved to %s)\nTo: %s\nSubject: %s\n\n%s",
        path, ", ".join(message.recipients), message.subject, message.body,
    )  # fmt: skip
    return path


def is_permanent(exc: BaseException) -> bool:
    """A 5xx refusal will not get better by retrying; connection trouble and 4xx replies might."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False
