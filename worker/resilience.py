"""RQ's worker and scheduler, made to ride out a Redis outage instead of dying or vanishing.

Stock RQ 3 behaviour this changes (docs/architecture.md, "When Redis is down"):
- the scheduler process has no error handling: one failed heartbeat during a blip kills it, and the worker
  restarts it only at its next maintenance pass (every 10 minutes), so delayed jobs and retries stall;
- the worker quits on a Redis error anywhere outside its dequeue call (after a job, in maintenance);
- its reconnect backoff grows to 60 s, so a 30 s outage can cost another minute;
- a Redis that comes back empty has forgotten the worker: heartbeats refresh a hash that is no longer in
  `rq:workers`, so `rq info` shows no workers.
The upkeep thread also sweeps the jobs kept while Redis was down (portal.jobs.deferred).
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask
from rq import SimpleWorker, worker_registration
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT
from rq.scheduler import RQScheduler

from portal.jobs.deferred import flush_deferred, redis_unavailable_errors

log = logging.getLogger(__name__)

UPKEEP_SECONDS = 3.0


class ResilientScheduler(RQScheduler):
    """RQ's scheduler loop, which waits out Redis errors and registers again once Redis answers."""

    def work(self) -> None:
        self._install_signal_handlers()
        down = not self._try(self.register_birth)
        while not self._stop_requested:
            if down and self._try(self.register_birth):
                log.warning("scheduler %s: Redis answers again, registered", self.name)
                down = False
            if not down:
                down = not self._try(self._tick)
            time.sleep(self.interval)
        self._try(self.stop)

    def _tick(self) -> None:
        if self.should_reacquire_locks:
            self.acquire_locks()
        self.heartbeat()  # re-acquires a lock that expired while Redis was away
        self.enqueue_scheduled_jobs()

    def _try(self, step) -> bool:
        try:
            step()
            return True
        except redis_unavailable_errors() as exc:
            log.warning("scheduler %s: Redis unavailable (%s); retrying", self.name, exc)
            return False


class ResilientWorker(SimpleWorker):
    """SimpleWorker that keeps running through a Redis outage and reconnects within seconds."""

    max_connection_wait_time = 2.0  # RQ backs off to 60 s between reconnect attempts

    def _start_scheduler(
        self,
        burst: bool = False,
        logging_level: str | None = "INFO",
        date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
        log_format: str = DEFAULT_LOGGING_FORMAT,
    ) -> None:
        # RQ's own method, with our scheduler class (RQ names its class inline).
        self.scheduler = ResilientScheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format,
            log_format=log_format,
            serializer=self.serializer,
        )
        try:
            self.scheduler.acquire_locks()
        except redis_unavailable_errors() as exc:  # Redis went away as the worker started
            log.warning("worker %s: Redis unavailable (%s); scheduler starts when it answers", self.name, exc)
            return  # upkeep's ensure_scheduler starts it
        if not self.scheduler.acquired_locks:
            return  # another worker's scheduler has the queues; ensure_scheduler takes over if it dies
        if not burst:
            self.scheduler.start()
            return
        try:
            self.scheduler.register_birth()
            self.scheduler.enqueue_scheduled_jobs()
        finally:
            self.scheduler.release_locks()
            self.scheduler.register_death()

    def check_for_suspension(self, burst: bool) -> None:
        self._survive(super().check_for_suspension, burst)

    def run_maintenance_tasks(self) -> None:
        self._survive(super().run_maintenance_tasks)

    def heartbeat(self, timeout=None, pipeline=None) -> None:
        if pipeline is not None:  # only queued on the caller's pipeline; its execute() is the caller's
            return super().heartbeat(timeout, pipeline)
        self._survive(super().heartbeat, timeout)

    def set_state(self, state, pipeline=None) -> None:
        # Called between jobs (idle, busy): a Redis that went away there must not end the worker.
        if pipeline is not None:  # only queued on the caller's pipeline; its execute() is the caller's
            return super().set_state(state, pipeline)
        self._survive(super().set_state, state)

    def execute_job(self, job, queue) -> None:
        # The job's own work is in the database; only RQ's bookkeeping of it is lost, and a job that RQ
        # later retries finds nothing to do (runs and outbox rows are claimed by compare-and-set).
        self._survive(super().execute_job, job, queue)

    def _survive(self, step, *args) -> None:
        try:
            step(*args)
        except redis_unavailable_errors() as exc:
            log.warning("worker %s: Redis unavailable (%s); waiting for it", self.name, exc)
            time.sleep(1)

    def ensure_registered(self) -> bool:
        """Register again if Redis lost this worker (it came back empty); True when it had to."""
        if self.birth_date is None:  # not started yet: RQ registers it itself
            return False
        if self.connection.sismember(worker_registration.REDIS_WORKER_KEYS, self.key):
            return False
        with self.connection.pipeline() as pipeline:
            self.last_heartbeat = self.last_heartbeat or self.birth_date
            pipeline.hset(self.key, mapping={**self.serialize(), "state": self.get_state()})
            worker_registration.register(self, pipeline)
            pipeline.expire(self.key, self.worker_ttl + 60)
            pipeline.execute()
        log.warning("worker %s: Redis had forgotten this worker; registered again", self.name)
        return True

    def ensure_scheduler(self) -> None:
        """Start a scheduler again if ours has died and no other worker holds the lock."""
        scheduler = self.scheduler
        if scheduler is not None and (scheduler._process is None or not scheduler._process.is_alive()):
            scheduler.acquire_locks(auto_start=True)


def upkeep(worker: ResilientWorker, app: Flask) -> None:
    """One pass: kept jobs to RQ, this worker registered, a scheduler running. Each step on its own."""
    for step in (lambda: _flush(app), worker.ensure_registered, worker.ensure_scheduler):
        try:
            step()
        except redis_unavailable_errors():
            return  # Redis still away: the next pass tries again
        except Exception:  # never let upkeep kill the thread (the database may be down too)
            log.exception("worker upkeep step failed")


def _flush(app: Flask) -> None:
    with app.app_context():
        flush_deferred()


def start_upkeep(worker: ResilientWorker, app: Flask, interval: float = UPKEEP_SECONDS) -> threading.Thread:
    """A daemon thread running `upkeep` every `interval` seconds while the worker lives."""

    def loop() -> None:
        while not worker._stop_requested:
            time.sleep(interval)
            upkeep(worker, app)

    thread = threading.Thread(target=loop, name="worker-upkeep", daemon=True)
    thread.start()
    return thread
