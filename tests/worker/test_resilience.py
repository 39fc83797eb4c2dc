"""The worker rides out Redis errors at every point between jobs (the fault suite covers whole outages)."""

from __future__ import annotations

import socket

import pytest
from redis import Redis

from worker.resilience import ResilientWorker


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.mark.redis
def test_setting_its_state_while_redis_is_down_does_not_end_the_worker(clean_redis, monkeypatch):
    monkeypatch.setattr("worker.resilience.time.sleep", lambda seconds: None)
    worker = ResilientWorker(["email"], connection=Redis.from_url(clean_redis))
    worker.connection = Redis(port=_closed_port(), socket_connect_timeout=0.2)  # Redis went away
    worker.set_state("idle")  # RQ's dequeue loop does this; a ConnectionError there used to quit the worker
    assert worker.get_state() == "idle"
