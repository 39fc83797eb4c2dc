"""The mailbox poll on the `email` queue: take in what waits in the support mailbox (portal/inbound).

Every INBOUND_POLL_SECONDS one worker of the fleet enqueues `fetch_inbound_mail` (the tick is guarded by a
Redis lock, like the stale-run check), and the job takes a second lock so two fetches never overlap; if
one did anyway, the Message-ID dedupe keeps each message's effect single. A mailbox that cannot be reached
is logged, not retried: the next tick is the retry.
"""

from __future__ import annotations

import imaplib
import logging
import secrets
import threading

from flask import Flask, current_app

from portal.config import get_settings, settings
from portal.inbound.imap import fetch_mailbox
from portal.jobs import queue
from worker.app import get_app

log = logging.getLogger(__name__)

TICK_LOCK_KEY = "supportops:inbound-poll-tick"
FETCH_LOCK_KEY = "supportops:inbound-fetch-lock"
NO_REDIS = "in-process"  # the lock "token" without Redis: one process, and the dedupe covers an overlap


def fetch_inbound_mail() -> str | None:
    """Take in the waiting messages; the fetch summary (None: not configured, or a fetch is running)."""
    with get_app().app_context():
        if not settings().inbound.imap_host:
            return None
        token = _acquire_fetch_lock()
        if token is None:
            log.info("inbound fetch already running elsewhere; skipped")
            return None
        try:
            report = fetch_mailbox()
        except (imaplib.IMAP4.error, OSError) as exc:
            log.error("inbound mailbox unreachable (%r); the next poll tries again", exc)
            return None
        finally:
            _release_fetch_lock(token)
        log.info("inbound fetch: %s", report.summary())
        return report.summary()


def _acquire_fetch_lock() -> str | None:
    if not settings().redis.url:
        return NO_REDIS
    token = secrets.token_hex(8)
    expiry = queue.job_timeout(queue.EMAIL_QUEUE, current_app)  # a killed job's lock frees itself
    held = queue.redis_connection().set(FETCH_LOCK_KEY, token, nx=True, ex=max(int(expiry), 1))
    return token if held else None


def _release_fetch_lock(token: str) -> None:
    if token == NO_REDIS:
        return
    connection = queue.redis_connection()
    if connection.get(FETCH_LOCK_KEY) == token.encode():  # not a lock that expired and was taken since
        connection.delete(FETCH_LOCK_KEY)


def start_inbound_poller(app: Flask) -> threading.Thread:
    """A daemon thread that enqueues the fetch every INBOUND_POLL_SECONDS (one worker per tick)."""
    interval = get_settings(app).inbound.poll_seconds
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                with app.app_context():
                    redis = queue.redis_connection(app)
                    if redis.set(TICK_LOCK_KEY, "1", nx=True, ex=max(interval - 1, 1)):
                        queue.enqueue(queue.FETCH_INBOUND_MAIL, queue=queue.EMAIL_QUEUE)
            except Exception:  # the next tick tries again; a failed tick must not kill the worker
                log.exception("inbound poll could not be enqueued")

    thread = threading.Thread(target=loop, name="inbound-poller", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread
