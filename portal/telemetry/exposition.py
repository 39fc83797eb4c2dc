"""The text a scrape gets: every process's counters (multiprocess mode) plus values read at scrape time.

Queue depth and age come from Redis, the email outbox backlog from the database, at the moment of the
scrape; neither is a counter a process could keep, so they are read here, by the process answering.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import UTC

from flask import current_app
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from portal.extensions import db
from portal.jobs import queue
from portal.models import EmailOutbox, OutboxStatus, utcnow

log = logging.getLogger(__name__)


def latest() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST

    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(_AtScrape())
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _ThisProcess:
    """The default registry's metrics (one process: `make run`, tests)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class _AtScrape:
    def collect(self) -> Iterator[Metric]:
        yield from _outbox_backlog()
        yield from _queues()


def _outbox_backlog() -> Iterator[Metric]:
    pending = GaugeMetricFamily("supportops_outbox_pending", "Emails waiting in the outbox.")
    oldest = GaugeMetricFamily("supportops_outbox_oldest_seconds", "Age of the oldest email waiting.")
    query = select(func.count(EmailOutbox.id), func.min(EmailOutbox.created_at)).where(
        EmailOutbox.status == OutboxStatus.PENDING.value
    )
    count, first = db.session.execute(query).one()
    db.session.rollback()  # a scrape holds no transaction
    pending.add_metric([], count)
    oldest.add_metric([], (utcnow() - first).total_seconds() if first else 0.0)
    yield pending
    yield oldest


def _queues() -> Iterator[Metric]:
    if queue.queue_mode(current_app) != "rq":
        return
    depth = GaugeMetricFamily("supportops_queue_jobs", "Jobs waiting in each RQ queue.", labels=["queue"])
    age = GaugeMetricFamily(
        "supportops_queue_oldest_seconds", "Age of the oldest job waiting in each RQ queue.", labels=["queue"]
    )
    try:
        for name in queue.QUEUES:
            depth_value, age_value = _queue_state(name)
            depth.add_metric([name], depth_value)
            age.add_metric([name], age_value)
    except Exception:  # Redis down: the scrape still answers, without these (and /readyz says why)
        log.warning("metrics: the queues could not be read", exc_info=True)
        return
    yield depth
    yield age


def _queue_state(name: str) -> tuple[int, float]:
    rq = queue.rq_queue(name)
    ids = rq.get_job_ids(0, 0)
    job = rq.fetch_job(ids[0]) if ids else None
    enqueued = job.enqueued_at if job is not None else None
    if enqueued is None:
        return rq.count, 0.0
    if enqueued.tzinfo is None:  # RQ stores UTC; some versions hand it back without the zone
        enqueued = enqueued.replace(tzinfo=UTC)
    return rq.count, max((utcnow() - enqueued).total_seconds(), 0.0)
