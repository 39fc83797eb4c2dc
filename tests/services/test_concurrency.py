"""The refund limit and idempotency hold under real concurrency: threads and processes, SQLite and Postgres.

Each attempt uses its own session and connection, exactly as parallel agent jobs would.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ActionLog, LedgerEntry, Refund
from portal.services import Actor, execute

ATTEMPTS = 20


def attempt(app, ticket_id, customer_id, number, barrier):
    """One refund request in its own app context, session and connection."""
    with app.app_context():
        try:
            barrier.wait(timeout=30)
            result = execute(
                "refund",
                ticket_id=ticket_id,
                customer_id=customer_id,
                args={"order_number": number},
                actor=Actor.agent(None),
            )
            return result.outcome, result.reason_code, result.replayed
        finally:
            db.session.remove()


def _child(app, ticket_id, customer_id, number, barrier, results):
    with app.app_context():
        db.engine.dispose(close=False)  # never share the parent's pooled connections after fork
    results.put(attempt(app, ticket_id, customer_id, number, barrier))


def run_threads(app, jobs):
    barrier = threading.Barrier(len(jobs))
    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(lambda job: attempt(app, *job, barrier), jobs))


def run_processes(app, jobs):
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(len(jobs)), ctx.Queue()
    with app.app_context():
        db.engine.dispose()
    procs = [ctx.Process(target=_child, args=(app, *job, barrier, results)) for job in jobs]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    return outcomes


RUNNERS = {"threads": run_threads, "processes": run_processes}


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("mode", list(RUNNERS))
def test_twenty_parallel_refunds_issue_exactly_two(shop, mode, record_property):
    customer = shop.customer()
    jobs = [(shop.ticket(customer), customer, shop.order(customer, total="30.00")) for _ in range(ATTEMPTS)]
    db.session.remove()
    started = time.perf_counter()
    outcomes = RUNNERS[mode](shop.app, jobs)
    elapsed = time.perf_counter() - started
    issued = sum(1 for outcome, _, _ in outcomes if outcome == "done")
    denied = [code for outcome, code, _ in outcomes if outcome == "denied"]
    figures = {
        "engine": db.engine.dialect.name,
        "mode": mode,
        "attempts": len(outcomes),
        "issued": issued,
        "denied": len(denied),
        "elapsed_s": round(elapsed, 3),
    }
    record_property("concurrency", figures)
    print(f"\nconcurrency {figures}")
    assert (issued, len(denied)) == (2, ATTEMPTS - 2)
    assert set(denied) == {"refund_limit_reached"}
    assert count(Refund) == 2 and count(LedgerEntry) == 2
    assert count(ActionLog, ActionLog.decision == "denied") == ATTEMPTS - 2
    assert count(ActionLog, ActionLog.decision == "done") == 2


@pytest.mark.parametrize("mode", list(RUNNERS))
def test_the_same_ticket_twice_at_once_makes_one_refund(shop, mode):
    customer = shop.customer()
    job = (shop.ticket(customer), customer, shop.order(customer, total="30.00"))
    db.session.remove()
    outcomes = RUNNERS[mode](shop.app, [job, job])
    assert sorted(outcomes) == [("done", None, False), ("done", None, True)]
    assert count(Refund) == 1 and count(LedgerEntry) == 1
