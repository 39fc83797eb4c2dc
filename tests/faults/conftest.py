"""Fault injection: a private redis-server this test owns, so it can be stopped and restarted.

Never the shared Redis on 6379 (other runs use it). The server runs with an append-only file synced on
every write, as a production Redis with persistence would, so a restart keeps the queues and the
registrations; `persist=False` gives one that comes back empty.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest
from redis import Redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    def __init__(self, workdir: Path, persist: bool = True):
        self.port = free_port()
        self.dir = workdir
        self.persist = persist
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
        args += ["--save", "", "--appendonly", "yes" if self.persist else "no", "--appendfsync", "always"]
        log = open(self.dir / "redis.log", "a")  # noqa: SIM115
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if Redis.from_url(self.url, socket_connect_timeout=0.2).ping():
                    return
            except Exception:
                time.sleep(0.05)
        pytest.fail("private redis-server did not start")

    def kill(self) -> None:
        """A crash, not a shutdown: SIGKILL, so nothing is saved on the way out."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def forgetful_redis(tmp_path):
    """A private Redis that comes back empty after a restart (no persistence)."""
    server = PrivateRedis(tmp_path, persist=False)
    server.start()
    yield server
    server.kill()
