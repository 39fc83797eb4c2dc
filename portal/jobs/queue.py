"""The one place that knows background job paths, queue names, timeouts and retries.

With REDIS_URL set, jobs go to RQ (named queues `agent`, `email` and `webhook`) and real workers run them
(`python -m worker`). Without it (`make run`), the same job functions run in a small in-process thread
pool inside an app context. The web side enqueues by dotted path, so it never imports worker code.
Always commit before enqueueing: a job must find the rows it is given. When Redis cannot be reached,
the job is kept in the database and enqueued once Redis answers (portal.jobs.deferred); `enqueue` then
returns None and never raises for it.
"""

from __future__ import annotations

import contextvars
import importlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask, current_app

from portal.config import get_settings

log = logging.getLogger(__name__)

AGENT_QUEUE = "agent"
EMAIL_QUEUE = "email"
WEBHOOK_QUEUE = "webhook"  # its own queue: a slow receiver never holds up email
QUEUES = (AGENT_QUEUE, EMAIL_QUEUE, WEBHOOK_QUEUE)

PROCESS_TICKET = "worker.jobs.process_ticket"
DRAFT_REPLY = "worker.jobs.draft_reply"
REBUILD_POLICY_INDEX = "worker.jobs.rebuild_policy_index"
REAP_STALE_RUNS = "worker.jobs.reap_stale_runs"
WARM_UP_AGENT = "worker.jobs.warm_up_agent"
SEND_EMAIL = "worker.email_jobs.send_email"
SEND_STAFF_DIGEST = "worker.email_jobs.send_staff_digest"
FETCH_INBOUND_MAIL = "worker.inbound_jobs.fetch_inbound_mail"
DELIVER_WEBHOOK = "worker.webhook_jobs.deliver_webhook"


def retry_intervals(queue: str, app: Flask) -> list[int]:
    """The backoff between retries (seconds) for `queue` under `app`'s settings (AGENT_RETRY_INTERVALS,
    MAIL_RETRY_INTERVALS, WEBHOOK_RETRY_INTERVALS); the job itself decides which failures are transient."""
    settings = get_settings(app)
    if queue == AGENT_QUEUE:
        return list(settings.agent.retry_intervals)
    if queue == WEBHOOK_QUEUE:
        return list(settings.webhooks.retry_intervals)
    return list(settings.mail.retry_intervals)


_inprocess_final = contextvars.ContextVar("inprocess_final_attempt", default=True)


def is_final_attempt() -> bool:
    """Whether the running job has no retry left (so a failure now must hand the work to a person)."""
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        return _inprocess_final.get()
    return not job.retries_left


@dataclass
class ManualQueue:
    """Test mode: jobs wait in a list until the test drains them."""

    jobs: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def drain(self, app: Flask) -> int:
        count = 0
        while self.jobs:
            path, args = self.jobs.pop(0)
            with app.app_context():
                import_job(path)(*args)
            count += 1
        return count


def import_job(path: str):
    """Resolve a dotted job path to its function."""
    module_name, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def queue_mode(app: Flask) -> str:
    settings = get_settings(app)
    mode = settings.jobs.queue_mode
    if mode == "auto":
        return "rq" if settings.redis.url else "thread"
    return mode


class InProcessQueue:
    """`make run`'s queue: a small thread pool, plus daemon timers for delayed jobs and retries
    (a waiting job never holds a pool thread, and Ctrl-C never waits for a timer)."""

    def __init__(self, workers: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self.timers: set[threading.Timer] = set()
        self.lock = threading.Lock()

    def submit(self, fn, *args: Any, delay: float = 0, **kwargs: Any) -> None:
        """Run fn(*args, **kwargs) on the pool, now or after `delay` seconds."""
        if delay <= 0:
            self.pool.submit(fn, *args, **kwargs)
            return
        timer = threading.Timer(delay, self._fire, args=(fn, args, kwargs))
        timer.daemon = True
        with self.lock:
            self.timers.add(timer)
        timer.start()

    def _fire(self, fn, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        with self.lock:
            self.timers.discard(threading.current_thread())  # type: ignore[arg-type]
        try:
            self.pool.submit(fn, *args, **kwargs)
        except RuntimeError:  # stopped meanwhile: the work is dropped, as a stopped RQ worker's would wait
            log.info("in-process queue stopped; %s not run", getattr(fn, "__name__", fn))

    def stop(self) -> None:
        """Cancel pending timers, drop queued jobs and wait for the running ones."""
        with self.lock:
            timers, self.timers = self.timers, set()
        for timer in timers:
            timer.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)


def init_app(app: Flask) -> None:
    mode = queue_mode(app)
    settings = get_settings(app)
    if mode == "thread":
        app.extensions["inprocess_queue"] = InProcessQueue(settings.jobs.inprocess_workers)
        if not app.testing:
            _every(app, settings.jobs.reap_every_seconds, REAP_STALE_RUNS)  # RQ workers: worker.reaper
            if settings.inbound.imap_host:  # RQ workers poll the mailbox themselves
                _every(app, settings.inbound.poll_seconds, FETCH_INBOUND_MAIL, queue=EMAIL_QUEUE)
            _warm_up_on_first_request(app)
    elif mode == "manual":
        app.extensions["manual_queue"] = ManualQueue()


def _warm_up_on_first_request(app: Flask) -> None:
    """Load the agent's classifier and index in the background once the server takes requests, so the
    first ticket is not the one that waits (RQ workers warm up when they start)."""
    started = threading.Event()

    @app.before_request
    def warm_up_once() -> None:
        if not started.is_set():
            started.set()
            enqueue(WARM_UP_AGENT)


def _every(app: Flask, seconds: float, path: str, queue: str = AGENT_QUEUE) -> None:
    """Enqueue the job at `path` every `seconds` (in-process mode's stand-in for a scheduler)."""

    def tick() -> None:
        try:
            with app.app_context():
                enqueue(path, queue=queue)
        except Exception:
            log.exception("periodic job %s could not be enqueued", path)
        _every(app, seconds, path, queue)

    timer = threading.Timer(seconds, tick)
    timer.daemon = True
    timer.start()


def redis_connection(app: Flask | None = None):
    """The app's Redis client (one connection pool per app and process)."""
    from redis import Redis

    app = app or current_app
    redis = get_settings(app).redis
    url = redis.url
    cached = app.extensions.get("redis")
    if cached is None or cached[0] != url:
        # Bounded waits: a Redis that hangs must not hang a request (RQ workers raise socket_timeout
        # above their blocking dequeue's own timeout themselves).
        client = Redis.from_url(
            url,
            socket_connect_timeout=redis.connect_timeout,
            socket_timeout=redis.socket_timeout,
        )
        cached = app.extensions["redis"] = (url, client)
    return cached[1]


def rq_queue(name: str, app: Flask | None = None):
    from rq import Queue

    return Queue(name, connection=redis_connection(app))


def job_timeout(queue: str, app: Flask) -> int:
    settings = get_settings(app)
    if queue == AGENT_QUEUE:
        return settings.agent.job_timeout
    if queue == WEBHOOK_QUEUE:
        return int(settings.webhooks.timeout * 3)
    return int(settings.mail.timeout * 6)


def enqueue(
    path: str, *args: Any, queue: str = AGENT_QUEUE, job_id: str | None = None, delay: float = 0
) -> str | None:
    """Run the job at `path` with primitive `args` in the background, after `delay` seconds; the RQ job id."""
    app = current_app._get_current_object()
    mode = queue_mode(app)
    if mode == "rq":
        return _enqueue_rq(app, path, args, queue, job_id, delay)
    if mode == "manual":  # tests drain by hand; a delay means nothing there
        app.extensions["manual_queue"].jobs.append((path, args))
        return None
    jobs = app.extensions["inprocess_queue"]
    jobs.submit(_run_inprocess, app, path, args, retry_intervals(queue, app), delay=delay)
    return None


def _enqueue_rq(
    app: Flask, path: str, args: tuple[Any, ...], queue: str, job_id: str | None, delay: float = 0
) -> str | None:
    from portal.jobs import deferred

    try:
        return push_rq(app, path, args, queue, job_id, delay)
    except deferred.redis_unavailable_errors() as exc:
        # The rows this job works on are committed already: keep the job, never fail the request.
        deferred.defer(app, path, args, queue, delay, exc)
        return None


def push_rq(
    app: Flask, path: str, args: tuple[Any, ...], queue: str, job_id: str | None, delay: float = 0
) -> str:
    """Put the job on its RQ queue now (raises redis errors; `enqueue` keeps the job instead)."""
    from rq import Retry

    intervals = retry_intervals(queue, app)
    options = dict(
        job_id=job_id,
        job_timeout=job_timeout(queue, app),
        retry=Retry(max=len(intervals), interval=intervals),
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )
    target = rq_queue(queue, app)
    if delay > 0:  # the workers run RQ's scheduler (`with_scheduler=True`)
        job = target.enqueue_in(timedelta(seconds=delay), path, *args, **options)
    else:
        job = target.enqueue(path, *args, **options)
    return job.id


def _run_inprocess(
    app: Flask, path: str, args: tuple[Any, ...], intervals: list[int], attempt: int = 0
) -> None:
    """Run a job with the same retry policy RQ would apply; a retry waits on a timer, not in the pool."""
    final = attempt == len(intervals)
    _inprocess_final.set(final)
    try:
        with app.app_context():
            import_job(path)(*args)
    except Exception:
        log.exception("job %s%r failed (attempt %d)", path, args, attempt + 1)
        if final:
            return
        # On a daemon timer: Ctrl-C never waits for a pending retry (the stale-run check picks the work up).
        app.extensions["inprocess_queue"].submit(
            _run_inprocess, app, path, args, intervals, attempt=attempt + 1, delay=intervals[attempt]
        )
