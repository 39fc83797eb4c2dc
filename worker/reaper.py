"""The stale-run check: no ticket may wait forever because a worker died or a job was lost.

A run that has been queued or running longer than AGENT_STALE_AFTER_SECONDS is put back in the queue
(compare-and-set on its status and start time, so a run that just finished is left alone); after
AGENT_MAX_REQUEUES requeues the ticket goes to a person instead. Run every minute by one worker of the
fleet (`python -m worker`, guarded by a Redis lock), by the in-process mode, and by `flask agent reap`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import func, or_, select, update

from portal.config import get_settings, settings
from portal.database.sqlite import write_transaction
from portal.extensions import db
from portal.jobs import queue
from portal.models import AgentRun, RunStatus, utcnow
from portal.support.tickets import enqueue_after_commit
from worker.agent.runs import ACTIVE, hand_to_person

logger = logging.getLogger(__name__)

LOCK_KEY = "supportops:reaper-lock"


@dataclass
class ReapReport:
    """What one check did, by ticket id."""

    requeued: int = 0
    escalated: int = 0
    tickets: list[int] = field(default_factory=list)


def requeue_stale_runs(now: datetime | None = None) -> ReapReport:
    """Re-enqueue tickets whose run is stale, or hand them to a person after too many requeues."""
    now = now or utcnow()
    agent = settings().agent
    cutoff = now - timedelta(seconds=agent.stale_after_seconds)
    max_requeues = agent.max_requeues
    report = ReapReport()
    for run_id in _stale_run_ids(cutoff):
        _reap_one(run_id, cutoff, max_requeues, now, report)
    db.session.close()
    if report.tickets:
        logger.warning("stale runs: %d requeued, %d handed to a person", report.requeued, report.escalated)
    return report


def _stale_run_ids(cutoff: datetime) -> list[int]:
    last_seen = func.coalesce(AgentRun.started_at, AgentRun.queued_at)
    query = select(AgentRun.id).where(AgentRun.status.in_(ACTIVE), last_seen < cutoff).order_by(AgentRun.id)
    ids = list(db.session.scalars(query))
    db.session.commit()
    return ids


def _reap_one(run_id: int, cutoff: datetime, max_requeues: int, now: datetime, report: ReapReport) -> None:
    with write_transaction():
        run = db.session.get(AgentRun, run_id, populate_existing=True, with_for_update=True)
        if run is None or run.status not in ACTIVE or (run.started_at or run.queued_at) >= cutoff:
            return  # finished or restarted meanwhile
        requeues = sum(1 for step in run.trace or [] if step.get("step") == "requeue")
        if requeues >= max_requeues:
            _give_up(run, requeues, now)
            report.escalated += 1
        else:
            _requeue(run, now)
            report.requeued += 1
        report.tickets.append(run.ticket_id)


def _requeue(run: AgentRun, now: datetime) -> None:
    entry = {"step": "requeue", "ms": 0.0, "input": {"was": run.status}, "output": {"at": now.isoformat()}}
    db.session.execute(
        update(AgentRun)
        .where(AgentRun.id == run.id, AgentRun.status == run.status)
        .where(or_(AgentRun.started_at == run.started_at, AgentRun.started_at.is_(None)))
        .values(
            status=RunStatus.QUEUED.value,
            queued_at=now,
            started_at=None,
            trigger="requeue",
            trace=[*(run.trace or []), entry],
        )
        .execution_options(synchronize_session=False)
    )
    enqueue_after_commit(queue.PROCESS_TICKET, run.ticket_id)
    logger.info("ticket %s: stale run %s requeued", run.ticket_id, run.id)


def _give_up(run: AgentRun, requeues: int, now: datetime) -> None:
    run.error = f"stale: still {run.status} after {requeues} requeues"
    run.status = RunStatus.FAILED.value
    run.finished_at = now
    hand_to_person(
        run.ticket_id, "the assistant did not finish in time", f"no result after {requeues} retries", now
    )
    logger.warning(
        "ticket %s: run %s stale after %d requeues; handed to a person", run.ticket_id, run.id, requeues
    )


def requeue_stale_mail() -> int:
    """Re-enqueue outbox rows whose send job was lost (pending too long, or a dead worker's claim)."""
    from portal.mailer import outbox

    minutes = settings().mail.stale_minutes
    customer_ids, staff_ids = outbox.requeue_stale(timedelta(minutes=minutes))
    outbox.enqueue_sends(customer_ids, staff_ids)
    return len(customer_ids) + len(staff_ids)


def requeue_stale_webhooks() -> int:
    """Re-enqueue webhook deliveries whose job was lost (a dead worker's claim, or never tried)."""
    from portal.webhooks import outbox

    ids = outbox.requeue_stale(timedelta(minutes=settings().webhooks.stale_minutes))
    outbox.enqueue(ids)
    if ids:
        logger.warning("re-enqueued %d webhook deliveries whose job was lost", len(ids))
    return len(ids)


def run_periodic_checks() -> None:
    """Everything that makes sure no ticket, email or webhook delivery waits forever."""
    requeue_stale_runs()
    requeue_stale_mail()
    requeue_stale_webhooks()


def start_periodic_reaper(app: Flask, interval: float | None = None) -> threading.Thread:
    """A daemon thread running the check every `interval` seconds (REAP_EVERY_SECONDS by default); with
    Redis, one process of the fleet per tick."""
    interval = interval or get_settings(app).jobs.reap_every_seconds
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                with app.app_context():
                    if _holds_fleet_lock(app, interval):
                        run_periodic_checks()
            except Exception:  # the next tick tries again; a failed check must not kill the worker
                logger.exception("stale-run check failed")

    thread = threading.Thread(target=loop, name="stale-run-reaper", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread


def _holds_fleet_lock(app: Flask, interval: float) -> bool:
    if not get_settings(app).redis.url:
        return True  # in-process mode: this process is the whole fleet
    # SET NX with an expiry a little under the interval: one worker per tick, none stuck holding it.
    return bool(queue.redis_connection(app).set(LOCK_KEY, "1", nx=True, ex=max(int(interval) - 5, 1)))
