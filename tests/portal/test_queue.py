"""The in-process queue (`make run`): same job functions, same retry policy, never blocking shutdown."""

from __future__ import annotations

import threading

from portal.jobs import queue
from tests.conftest import make_app, wait_for

ATTEMPTS: list[bool] = []
DONE = threading.Event()


def flaky_job(fail_times: int) -> None:
    """Fails `fail_times` times, then succeeds; records whether each attempt was the final one."""
    ATTEMPTS.append(queue.is_final_attempt())
    if len(ATTEMPTS) <= fail_times:
        raise RuntimeError("transient failure")
    DONE.set()


def thread_app(tmp_path, intervals):
    return make_app(
        f"sqlite:///{tmp_path / 'q.db'}", tmp_path, QUEUE_MODE="thread", AGENT_RETRY_INTERVALS=intervals
    )


def test_inprocess_job_is_retried_after_its_backoff(tmp_path):
    ATTEMPTS.clear()
    DONE.clear()
    app = thread_app(tmp_path, [1, 1])
    with app.app_context():
        queue.enqueue("tests.portal.test_queue.flaky_job", 1)
    assert DONE.wait(timeout=10)
    assert ATTEMPTS == [False, False]  # two retries allowed: neither attempt was the last


def test_inprocess_last_attempt_is_flagged(tmp_path):
    ATTEMPTS.clear()
    app = thread_app(tmp_path, [1])
    with app.app_context():
        queue.enqueue("tests.portal.test_queue.flaky_job", 5)
    wait_for(lambda: len(ATTEMPTS) == 2, timeout=10)
    assert ATTEMPTS == [False, True]


def _live_timers() -> list[threading.Timer]:
    return [t for t in threading.enumerate() if isinstance(t, threading.Timer) and t.is_alive()]


def test_retry_waits_on_a_daemon_timer_not_in_the_pool(tmp_path):
    ATTEMPTS.clear()
    app = thread_app(tmp_path, [30])
    with app.app_context():
        queue.enqueue("tests.portal.test_queue.flaky_job", 5)
    # The attempt is recorded before the job raises and the retry is scheduled: wait for the timer itself.
    pending = wait_for(_live_timers, timeout=10)
    assert all(t.daemon for t in pending)  # Ctrl-C does not wait 30 s for this retry
    for timer in pending:
        timer.cancel()
