"""Background jobs (enqueued by dotted path, portal.jobs.queue). Thin: ids in, agent and services do the work.

process_ticket holds no transaction across the model: claim + load (short transaction) → the agent loop
(tools are their own transactions) → store (short transaction). On an error it re-raises so RQ records
it and retries with backoff; on the final attempt the ticket goes to a person first, never stuck.
"""

from __future__ import annotations

import logging
import time

from flask import current_app

from portal.config import settings
from portal.extensions import db
from portal.jobs.queue import is_final_attempt
from portal.telemetry.metrics import record_run
from worker.agent import runs
from worker.agent.backends import BackendError, backend_name
from worker.agent.pipeline import escalation_label, run_agent
from worker.app import get_app

logger = logging.getLogger(__name__)


def process_ticket(ticket_id: int) -> str | None:
    """Run the agent on the ticket's latest queued run; returns the action taken (None if nothing to do)."""
    with get_app().app_context():
        return _process(ticket_id)


def _process(ticket_id: int) -> str | None:
    started = time.perf_counter()
    claimed = runs.claim(ticket_id, job_id=_current_job_id())
    if claimed is None:
        return None
    db.session.close()  # no connection or transaction is held while the agent (and the model) works
    try:
        output = run_agent(
            claimed.snapshot,
            run_id=claimed.run_id,
            agent=settings().agent,
            instance_path=current_app.instance_path,
        )
        runs.save(claimed, output, duration_ms=(time.perf_counter() - started) * 1000)
    except Exception as exc:
        db.session.rollback()
        final = is_final_attempt() or (isinstance(exc, BackendError) and not exc.transient)
        logger.exception("ticket %s run %s failed (final=%s)", ticket_id, claimed.run_id, final)
        runs.fail(claimed, exc, final=final)
        if final:
            record_run("failed", backend_name(settings().agent), escalation="failed")
        raise
    record_run(
        "escalated" if output.escalate else "answered",
        output.backend,
        escalation=escalation_label(output) if output.escalate else None,
        usage=output.usage,
    )
    logger.info(
        "ticket %s run %s: %s in %.0f ms (agent %.1f ms)",
        ticket_id,
        claimed.run_id,
        output.action,
        (time.perf_counter() - started) * 1000,
        output.agent_ms,
    )
    return output.action


def _current_job_id() -> str | None:
    from rq import get_current_job

    job = get_current_job()
    return job.id if job is not None else None


def draft_reply(ticket_id: int) -> int | None:
    """Draft a reply for staff on a ticket that reached a person (never sent by itself); the draft id."""
    from worker.agent.drafting import draft_for_ticket

    with get_app().app_context():
        return draft_for_ticket(ticket_id, agent=settings().agent, instance_path=current_app.instance_path)


def rebuild_policy_index() -> int:
    """Rebuild the policy index after the policies changed; returns the number of passages."""
    from worker.agent.retrieval import build_index

    with get_app().app_context():
        index = build_index(settings().agent, current_app.instance_path, force=True)
        return len(index.chunks)


def reap_stale_runs() -> None:
    """Periodic job: re-enqueue agent runs and emails whose job was lost or hangs (see worker.reaper)."""
    from worker.reaper import run_periodic_checks

    with get_app().app_context():
        run_periodic_checks()


def warm_up_agent() -> None:
    """Load the classifier and the policy index now rather than on the first ticket."""
    from worker.agent.warmup import warm_up

    warm_up(get_app())
