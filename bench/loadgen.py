"""Open-loop ticket load through the real portal, and submit-to-answer times read from the database.

`ticket_stack()` starts the whole product (private Postgres database with customers and orders, private
Redis, gunicorn serving wsgi:app, N RQ workers). `submit_at_rate()` opens tickets at a fixed rate the way
customers do (GET /tickets/new, fill the real form with its CSRF token, POST), each from a logged-in
customer's own session; a slow server does not slow the schedule down (open loop), so queueing shows up.
`measure_answers()` then reads ticket.created_at → first agent message (or run finished_at) from Postgres.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import make_url

from bench import cpu, services
from bench.stats import Skipped, summary
from bench.webclient import Browser, field_name, find_form
from bench.workload import create_customers, ticket_text

log = logging.getLogger(__name__)

ANSWERED = ("answered", "escalated", "resolved")


@dataclass
class Stack:
    base_url: str
    database_url: str
    redis_url: str
    customers: list
    env: dict = field(default_factory=dict)
    browsers: queue.Queue = field(default_factory=queue.Queue)


@contextlib.contextmanager
def ticket_stack(workers: int, customers: int = 40, web_workers: int = 2, threads: int = 4, **env_extra):
    """Everything running, customers logged in; yields a Stack."""
    check_parts()
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(services.postgres_database())
        app = services.make_app(database_url)
        with app.app_context():
            people = create_customers(customers, prefix="web")
            from portal.extensions import db

            db.engine.dispose()
        services.build_policy_index(database_url)  # built once here, shared by every worker
        redis_url = stack.enter_context(services.redis_server())
        env = services.app_env(database_url, redis_url, **env_extra)
        base_url = stack.enter_context(services.gunicorn(env, workers=web_workers, threads=threads))
        if workers:
            stack.enter_context(services.rq_workers(env, workers))
            services.wait_for_workers(redis_url, workers)
        result = Stack(base_url, database_url, redis_url, people, env)
        log_in(result)
        yield result


def check_parts() -> None:
    """Skip with a reason when the pages or the job this load needs are not there yet."""
    try:
        import worker.jobs  # noqa: F401
        from portal.support import bp  # noqa: F401
    except ImportError as exc:
        raise Skipped(f"the ticket pages or the agent job are missing ({exc})") from exc


def log_in(stack: Stack) -> None:
    """One browser session per customer, logged in through the real login form (in parallel)."""

    def one(customer):
        browser = Browser(stack.base_url)
        browser.login(customer.email, services.BENCH_PASSWORD)
        browser.customer = customer
        return browser

    with ThreadPoolExecutor(max_workers=8) as pool:
        for browser in pool.map(one, stack.customers):
            stack.browsers.put(browser)


@dataclass
class Submission:
    reference: str | None
    scheduled: float
    started: float
    http_ms: float
    status: int
    error: str | None = None


def submit_one(stack: Stack, rng: random.Random, scheduled: float) -> Submission:
    """Open one ticket as a customer would: load the form, fill it, post it, follow nothing."""
    browser = stack.browsers.get()
    started = time.monotonic()
    try:
        page, get_ms = browser.get("/tickets/new")
        form = find_form(page.text, "subject", "message")
        subject, body, order = ticket_text(rng, browser.customer.orders)
        values = {field_name(form, "subject"): subject, field_name(form, "message", "body"): body}
        if order and field_name(form, "order"):
            values[field_name(form, "order")] = order
        response, post_ms = browser.submit("/tickets/new", form, values)
        location = response.headers.get("Location", "")
        reference = location.rstrip("/").rsplit("/", 1)[-1] if response.status_code in (302, 303) else None
        return Submission(reference, scheduled, started, get_ms + post_ms, response.status_code)
    except Exception as exc:  # counted, never fatal: the run goes on
        return Submission(None, scheduled, started, (time.monotonic() - started) * 1000, 0, repr(exc))
    finally:
        stack.browsers.put(browser)


def submit_at_rate(stack: Stack, rate: float, seconds: float, seed: int = 1) -> list[Submission]:
    """Submit `rate` tickets per second for `seconds`, on schedule, from a pool of client threads."""
    total = int(rate * seconds)
    rngs = threading.local()
    results: list[Submission] = []

    def task(scheduled: float) -> None:
        if not hasattr(rngs, "rng"):
            rngs.rng = random.Random(f"{seed}-{threading.get_ident()}")
        results.append(submit_one(stack, rngs.rng, scheduled))

    start = time.monotonic() + 0.2
    with ThreadPoolExecutor(max_workers=min(64, stack.browsers.qsize())) as pool:
        for number in range(total):
            scheduled = start + number / rate
            delay = scheduled - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(task, scheduled)
    return results


def wait_for_answers(stack: Stack, references: list[str], timeout: float) -> float:
    """Wait until every ticket has left new/processing (or `timeout`); returns seconds waited."""
    from sqlalchemy import create_engine, text

    started = time.monotonic()
    engine = create_engine(stack.database_url)
    try:
        while time.monotonic() - started < timeout:
            with engine.connect() as conn:
                open_count = conn.execute(
                    text(
                        "SELECT count(*) FROM tickets "
                        "WHERE reference = ANY(:refs) AND status IN ('new', 'processing')"
                    ),
                    {"refs": references},
                ).scalar_one()
            if open_count == 0:
                break
            time.sleep(0.25)
    finally:
        engine.dispose()
    return time.monotonic() - started


ANSWER_QUERY = """
SELECT t.reference, t.status, t.created_at,
       (SELECT min(m.created_at) FROM messages m
         WHERE m.ticket_id = t.id AND m.author_kind IN ('agent', 'system')) AS answered_at,
       (SELECT max(r.finished_at) FROM agent_runs r WHERE r.ticket_id = t.id) AS finished_at,
       t.escalated_at
  FROM tickets t
 WHERE t.reference = ANY(:refs)
"""


def measure_answers(stack: Stack, submissions: list[Submission]) -> dict:
    """Submit-to-answer times, lost tickets and throughput for these submissions, from the database."""
    from sqlalchemy import create_engine, text

    references = [s.reference for s in submissions if s.reference]
    engine = create_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(ANSWER_QUERY), {"refs": references}).all()
    finally:
        engine.dispose()
    latencies, lost, done_times, created_times = [], [], [], []
    for reference, status, created, answered, finished, escalated in rows:
        done = answered or finished or escalated
        created_times.append(created)
        if status not in ANSWERED or done is None:
            lost.append(reference)
            continue
        latencies.append((done - created).total_seconds() * 1000.0)
        done_times.append(done)
    failed = [s for s in submissions if not s.reference]
    return {
        "submitted": len(submissions),
        "accepted": len(references),
        "http_errors": len(failed),
        "http_error_samples": sorted({s.error or f"HTTP {s.status}" for s in failed})[:5],
        "stored": len(rows),
        "answered": len(latencies),
        "lost": len(lost) + (len(references) - len(rows)),
        "answer_ms": summary(latencies, 1),
        "http_submit_ms": summary([s.http_ms for s in submissions if s.reference], 1),
        "offered_rate": None,
        "achieved_submit_rate": _rate([s.started for s in submissions]),
        "answer_throughput": _throughput(created_times, done_times),
    }


def _rate(starts: list[float]) -> float | None:
    if len(starts) < 2:
        return None
    return round((len(starts) - 1) / (max(starts) - min(starts)), 1)


def _throughput(created: list[datetime], done: list[datetime]) -> float | None:
    """Answers per second from the first ticket's creation to the last answer."""
    if len(done) < 2:
        return None
    span = (max(done) - min(created)).total_seconds()
    return round(len(done) / span, 1) if span > 0 else None


def backlog(stack: Stack) -> int:
    """Agent jobs still waiting in Redis."""
    from redis import Redis
    from rq import Queue

    return Queue("agent", connection=Redis.from_url(stack.redis_url)).count


def load_step(stack: Stack, rate: float, seconds: float, drain_timeout: float, seed: int = 1) -> dict:
    """One fixed-rate step: submit, note the backlog, wait for the answers, measure."""
    database = make_url(stack.database_url).database
    cpu_before = cpu.snapshot(services.child_groups(), database)
    submissions = submit_at_rate(stack, rate, seconds, seed=seed)
    waiting_at_end = backlog(stack)
    references = [s.reference for s in submissions if s.reference]
    drained_s = wait_for_answers(stack, references, drain_timeout)
    cpu_after = cpu.snapshot(services.child_groups(), database)
    figures = measure_answers(stack, submissions)
    figures["cpu_ms_per_ticket"] = cpu.per_item_ms(cpu_before, cpu_after, len(references))
    figures.update(
        offered_rate=rate, seconds=seconds, backlog_at_end=waiting_at_end, drain_s=round(drained_s, 1)
    )
    log.info("step %s/s: %s", rate, figures)
    return figures
