"""Jobs on the `email` queue: send one outbox row, or one staff member's digest of alerts.

Each job claims its rows with a conditional UPDATE (pending -> sending) before talking to the SMTP server,
so a retried or duplicated job never sends a message twice. Transient failures go back to pending and are
re-raised for RQ's retry with backoff; after the last retry (or a permanent 5xx refusal) the rows are
marked failed and listed for admins (/admin/email, `flask mail retry-failed`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from flask_mail import Message as MailMessage

from portal.config import settings
from portal.extensions import db
from portal.jobs.queue import is_final_attempt
from portal.mailer import outbox
from portal.mailer.links import mail_domain
from portal.mailer.messages import staff_digest
from worker import mail_transport

log = logging.getLogger(__name__)


def send_email(outbox_id: int) -> None:
    """Send the outbox row `outbox_id` unless another job already has it."""
    db.session.close()  # start clean: this worker's session may hold an earlier job's state
    envelope = outbox.claim(outbox_id)
    if envelope is None:
        log.info("outbox=%s already claimed or done; nothing to send", outbox_id)
        return
    message = partial(mail_transport.build_message, envelope, settings().mail)
    _deliver([envelope.id], message, name=f"outbox-{envelope.id}")


def send_staff_digest(user_id: int) -> None:
    """Send every pending alert for one staff member as one message (a digest when several are waiting)."""
    db.session.close()
    alerts = outbox.claim_staff_alerts(user_id)
    if not alerts:
        log.info("user=%s no pending staff alerts (merged into an earlier digest)", user_id)
        return
    _deliver([a.id for a in alerts], partial(_digest_message, alerts), name=f"staff-{user_id}-{alerts[0].id}")


def _digest_message(alerts: list[outbox.Envelope]) -> MailMessage:
    draft = staff_digest(alerts)
    digest = outbox.Envelope(
        id=alerts[0].id,
        to_address=alerts[-1].to_address,
        subject=draft.subject,
        text_body=draft.text,
        html_body=draft.html,
        headers={"Message-ID": _digest_id(alerts), "X-SupportOps-Event": "staff_digest"},
        attempts=alerts[0].attempts,
    )
    return mail_transport.build_message(digest, settings().mail)


def _digest_id(alerts: list[outbox.Envelope]) -> str:
    # Derived from the rows it carries: the same digest sent again has the same id.
    return f"<staff-digest.{alerts[0].id}-{alerts[-1].id}.{len(alerts)}@{mail_domain()}>"


def _deliver(ids: list[int], make_message: Callable[[], MailMessage], name: str) -> None:
    """Build and send the message for the claimed rows, then record the outcome on them."""
    db.session.close()  # never hold a database transaction across the SMTP conversation
    try:  # building is inside: a claimed row must never be left in 'sending' by an exception
        message = make_message()
        mail_transport.deliver(message, name, settings().mail)
    except Exception as exc:
        if _record_failure(ids, exc):
            raise
        return
    outbox.mark_sent(ids)
    log.info("outbox=%s sent to %s", ",".join(map(str, ids)), ", ".join(message.recipients))


def _record_failure(ids: list[int], exc: Exception) -> bool:
    """Mark the rows failed or back to pending; True when RQ should retry the job."""
    error = f"{type(exc).__name__}: {exc}"
    if mail_transport.is_permanent(exc) or is_final_attempt():
        outbox.mark_failed(ids, error)
        log.error("outbox=%s failed for good: %s", ids, error)
        return not mail_transport.is_permanent(exc)  # let RQ record the last transient failure
    outbox.release(ids, error)
    log.warning("outbox=%s will be retried: %s", ids, error)
    return True
