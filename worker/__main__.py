"""`python -m worker`: an RQ worker for the `agent` and `email` queues, running inside the app context."""

from __future__ import annotations

import argparse
import logging

from portal.config import get_settings
from portal.jobs.queue import QUEUES, redis_connection

log = logging.getLogger("worker")


def main(argv: list[str] | None = None) -> None:
    """Start an RQ worker on the given queues inside the app (python -m worker)."""
    parser = argparse.ArgumentParser(description="Run a SupportOps background worker.")
    parser.add_argument("queues", nargs="*", default=list(QUEUES), help="queues to listen on (default: all)")
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--name", help="worker name (default: generated)")
    args = parser.parse_args(argv)

    from worker.app import get_app
    from worker.resilience import ResilientWorker, start_upkeep

    app = get_app()
    with app.app_context():
        connection = redis_connection(app)
        # SimpleWorker runs jobs in this process: no fork per job, so one app and one DB pool per worker.
        # Resilient: rides out a Redis outage, re-registers, keeps its scheduler alive (worker.resilience).
        worker = ResilientWorker(args.queues, connection=connection, name=args.name)
        if "agent" in args.queues and not args.burst:
            _start_agent_services(app)
        if not args.burst:
            start_upkeep(worker, app)  # also enqueues the jobs kept while Redis was down
        if "email" in args.queues and not args.burst and get_settings(app).inbound.imap_host:
            from worker.inbound_jobs import start_inbound_poller

            start_inbound_poller(app)  # Email in: poll the support mailbox (docs/email.md)
        log.info("worker %s listening on %s", worker.name, ", ".join(args.queues))
        try:
            worker.work(burst=args.burst, with_scheduler=True)
        finally:
            _forget_metrics_of_this_process()


def _forget_metrics_of_this_process() -> None:
    """Multiprocess metrics: this process's live values stop counting (its counters stay summed)."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())


def _start_agent_services(app) -> None:
    """Warm the classifier and policy index, and run the stale-run check (one worker per tick fleet-wide)."""
    from worker.agent.warmup import warm_up
    from worker.reaper import start_periodic_reaper

    warm_up(app)
    start_periodic_reaper(app)


if __name__ == "__main__":
    main()
