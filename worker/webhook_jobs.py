"""Jobs on the `webhook` queue: sign and POST one delivery from the webhook outbox.

The job claims its row (pending -> sending) before the HTTP call and holds no database transaction
during it. A non-2xx answer or a network error puts the row back to pending and re-raises, so RQ retries
with the WEBHOOK_RETRY_INTERVALS backoff; on the last attempt the row is marked failed (admins can retry
it from /admin/webhooks).
"""

from __future__ import annotations

import logging

import httpx

from portal.config import settings
from portal.extensions import db
from portal.jobs.queue import is_final_attempt
from portal.webhooks import outbox
from portal.webhooks.signing import SIGNATURE_HEADER, signature_header

log = logging.getLogger(__name__)


class DeliveryFailed(RuntimeError):
    """The receiver did not accept the delivery (non-2xx or no answer)."""


def deliver_webhook(delivery_id: str) -> None:
    """Send the webhook delivery `delivery_id` unless another job already has it."""
    db.session.close()  # start clean: this worker's session may hold an earlier job's state
    parcel = outbox.claim(delivery_id)
    if parcel is None:
        log.info("webhook delivery=%s already claimed, done or gone; nothing to send", delivery_id)
        return
    db.session.close()  # never hold a database transaction across the HTTP call
    status_code, error = _post(parcel)
    if error is None:
        outbox.mark_sent(parcel.id, status_code)
        log.info("webhook delivery=%s %s sent to %s (%s)", parcel.id, parcel.event, parcel.url, status_code)
        return
    if is_final_attempt():
        outbox.mark_failed(parcel.id, error, status_code)
        log.error("webhook delivery=%s failed for good: %s", parcel.id, error)
    else:
        outbox.release(parcel.id, error, status_code)
        log.warning("webhook delivery=%s will be retried: %s", parcel.id, error)
    raise DeliveryFailed(error)


def _post(parcel: outbox.Parcel) -> tuple[int | None, str | None]:
    """POST the signed body; (status code, None) on 2xx, else (status code or None, the error)."""
    body = parcel.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "SupportOps-Webhooks/1",
        "X-SupportOps-Event": parcel.event,
        "X-SupportOps-Delivery": parcel.id,
        SIGNATURE_HEADER: signature_header(parcel.secret, body),
    }
    try:
        response = httpx.post(parcel.url, content=body, headers=headers, timeout=settings().webhooks.timeout)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"
