"""Jobs kept in the database while Redis is down, and handed to RQ as soon as it answers again.

A ticket, reply or email row is committed before its job is enqueued (portal.jobs.queue). When that enqueue
fails because Redis cannot be reached, the request must not fail: the row is already stored. Instead the
job is written to `deferred_jobs` (its own short transaction) and the request goes on; the page says the
answer waits. Every worker process sweeps the table every few seconds (worker.upkeep), and a web process
that deferred a job sweeps too, in a background thread, until its backlog is gone. Sweepers lock rows
with SKIP LOCKED, so two of them never enqueue the same job twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, g, has_request_context
from sqlalchemy import delete, exists, insert, select

from portal.extensions import db
from portal.models import DeferredJob, utcnow

log = logging.getLogger(__name__)

SWEEP_BATCH = 200
WEB_SWEEP_SECONDS = 3.0
WEB_SWEEP_MAX_FAILURES = 3


def redis_unavailable_errors() -> tuple[type[BaseException], ...]:
    """The errors that mean "Redis cannot be reached now" (worth waiting out), not a bug."""
    from redis.exceptions import ConnectionError, TimeoutError

    return (ConnectionError, TimeoutError)


def job_key(path: str, args: Sequence[Any]) -> str:
    return f"{path}:{','.join(str(a) for a in args)}"[:200]


def defer(app: Flask, path: str, args: Sequence[Any], queue: str, delay: float, error: Exception) -> None:
    """Keep a job that RQ could not take; it is enqueued when Redis answers (commits on its own)."""
    now = utcnow()
    row = {
        "path": path,
        "args": list(args),
        "queue": queue,
        "job_key": job_key(path, args),
        "run_after": now + timedelta(seconds=max(delay, 0)),
        "created_at": now,
    }
    # A connection of its own: this runs after the caller's commit, often inside its after_commit hook,
    # where the session itself can no longer emit SQL.
    with db.engine.begin() as conn:
        conn.execute(insert(DeferredJob).values(**row))
    log.warning("Redis unavailable (%s): job %s kept until Redis answers", error, row["job_key"])
    if has_request_context():
        g.jobs_deferred = True
    _start_web_sweeper(app)


def deferred_in_request() -> bool:
    """Whether this request stored work whose job waits for Redis (the page then says so)."""
    return bool(has_request_context() and g.get("jobs_deferred"))


def is_waiting(path: str, *args: Any) -> bool:
    """Whether the job `path(*args)` is kept here, waiting for Redis."""
    key = job_key(path, args)
    return bool(db.session.scalar(select(exists().where(DeferredJob.job_key == key))))


def flush_deferred(limit: int = SWEEP_BATCH) -> int:
    """Hand kept jobs to RQ, oldest first; returns how many went (stops at the first Redis failure)."""
    from portal.jobs.queue import push_rq

    app = current_app._get_current_object()
    query = select(DeferredJob).order_by(DeferredJob.id).limit(limit).with_for_update(skip_locked=True)
    sent = 0
    try:
        for job in db.session.scalars(query).all():
            wait = max(0.0, (job.run_after - utcnow()).total_seconds())
            push_rq(app, job.path, tuple(job.args), job.queue, None, wait)
            db.session.execute(delete(DeferredJob).where(DeferredJob.id == job.id))
            sent += 1
    except redis_unavailable_errors() as exc:
        log.info("Redis still unavailable (%s); %d kept job(s) enqueued before it failed", exc, sent)
    db.session.commit()  # the jobs RQ took are deleted; the rest stay for the next sweep
    if sent:
        log.warning("Redis answers again: %d kept job(s) enqueued", sent)
    return sent


def backlog() -> int:
    """How many jobs wait for Redis."""
    return len(db.session.scalars(select(DeferredJob.id).limit(SWEEP_BATCH)).all())


def _start_web_sweeper(app: Flask) -> None:
    """One daemon thread per process while it has a backlog: the web side does not wait for a worker."""
    state = app.extensions.setdefault("deferred_sweeper", {"lock": threading.Lock(), "thread": None})
    with state["lock"]:
        thread = state["thread"]
        if thread is not None and thread.is_alive():
            return
        thread = threading.Thread(target=_sweep_until_empty, args=(app,), name="deferred-jobs", daemon=True)
        state["thread"] = thread
        thread.start()


def _sweep_until_empty(app: Flask) -> None:
    failures = 0
    while failures < WEB_SWEEP_MAX_FAILURES:  # the workers sweep too; this thread only saves time
        time.sleep(WEB_SWEEP_SECONDS)
        try:
            with app.app_context():
                flush_deferred()
                if backlog() == 0:
                    return
            failures = 0
        except Exception:  # the database is down too: a few more tries, then the next deferral restarts us
            failures += 1
            log.exception("sweeping kept jobs failed")
