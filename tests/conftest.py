"""Shared fixtures (flaskr style): apps on SQLite and real Postgres, clients, login, Redis, RQ workers.

Postgres: each test session creates its own uniquely named database and drops it at the end, so runs never
depend on leftovers and never collide. Redis: each session leases its own database index (1-15) and
flushes it, so concurrent runs on one server do not steal each other's jobs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db
from tests.overrides import override_settings

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BASE_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def base_config(database_uri: str, instance_path: Path, **extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "QUEUE_MODE": "manual",
        "REDIS_URL": None,
        "MAIL_SUPPRESS_SEND": True,
        "INSTANCE_PATH": str(instance_path),
        # Fixed, as PUBLIC_BASE_URL would be: tests read links out of messages built in and out of requests.
        "SERVER_NAME_FOR_LINKS": "http://127.0.0.1:5000",
        # The cheapest argon2 (tests hash many demo passwords); a test of the real cost sets its own.
        "PASSWORD_HASH_TIME_COST": 1,
        "PASSWORD_HASH_MEMORY_KIB": 8,
        "PASSWORD_HASH_PARALLELISM": 1,
    }
    config.update(extra)
    return config


def make_app(database_uri: str, tmp_path: Path, **extra):
    app = create_app(base_config(database_uri, tmp_path, **extra))
    with app.app_context():
        db.create_all()
    return app


def rate_limited_demo_app(tmp_path: Path, **limits):
    """A SQLite app with rate limiting on, the demo data seeded and the limiter's counters cleared."""
    from portal.commands.demo import seed_demo
    from portal.extensions import limiter

    app = make_app(f"sqlite:///{tmp_path / 'limited.db'}", tmp_path, RATELIMIT_ENABLED=True, **limits)
    with app.app_context():
        seed_demo()
        db.session.commit()
    limiter.reset()
    return app


# --- Postgres -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_url():
    """A fresh Postgres database for this test session, dropped at the end."""
    name = f"supportops_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(ADMIN_PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def _pg_schema(pg_url, tmp_path_factory):
    app = make_app(pg_url, tmp_path_factory.mktemp("pg-schema"))
    with app.app_context():
        db.engine.dispose()
    return pg_url


def truncate_all(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def pg_app(_pg_schema, tmp_path):
    """The app on the session's Postgres database, emptied before each test."""
    app = create_app(base_config(_pg_schema, tmp_path))
    truncate_all(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- SQLite ---------------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_app(tmp_path):
    """The app on a fresh SQLite file (a file, not :memory:, so threads share it)."""
    app = make_app(f"sqlite:///{tmp_path / 'test.db'}", tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def temporary_settings():
    """`temporary_settings(app, KEY=value)`: override_settings, undone after the test (for the
    session-scoped apps of the browser tests, where monkeypatching app.config would miss the settings)."""
    overrides = []
    yield lambda app, **keys: overrides.append(override_settings(app, **keys))
    for override in reversed(overrides):
        override.restore()


@pytest.fixture
def app(sqlite_app):
    """The default app for portal tests: SQLite."""
    return sqlite_app


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_app(request):
    """The same test on both engines."""
    return request.getfixturevalue(f"{request.param}_app" if request.param == "sqlite" else "pg_app")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email="customer@example.com", password="customer-demo"):
        return self._client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def seeded(app):
    """The demo accounts and orders."""
    from portal.commands.demo import seed_demo

    with app.app_context():
        seed_demo()
        db.session.commit()
    return app


# --- Redis and RQ ----------------------------------------------------------------------------------------


def redis_url_with_db(url: str, index: int) -> str:
    scheme, rest = url.split("://", 1)
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{index}"


@pytest.fixture(scope="session")
def redis_url():
    """A Redis database index leased for this session and flushed before and after."""
    from redis import Redis

    base = Redis.from_url(BASE_REDIS_URL)
    lease_key = None
    for index in range(1, 16):
        key = f"supportops:test-lease:{index}"
        if base.set(key, os.getpid(), nx=True, ex=3600):
            lease_key, leased = key, index
            break
    if lease_key is None:
        pytest.fail("no free Redis database index for tests (all 15 leased)")
    url = redis_url_with_db(BASE_REDIS_URL, leased)
    Redis.from_url(url).flushdb()
    yield url
    Redis.from_url(url).flushdb()
    base.delete(lease_key)


@pytest.fixture
def clean_redis(redis_url):
    from redis import Redis

    Redis.from_url(redis_url).flushdb()
    return redis_url


def worker_env(database_uri: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_uri,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "test-secret",
            "SUPPORTOPS_ENV": "development",
            "PYTHONPATH": str(ROOT),
            "HF_HUB_OFFLINE": "1",
        }
    )
    env.update(extra)
    return env


class WorkerPool:
    """Real RQ worker processes (`python -m worker`) against the test database and Redis."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen] = []

    def start(self, count: int = 1, queues: tuple[str, ...] = ("agent", "email")) -> None:
        for _ in range(count):
            log = open(self.log_dir / f"worker-{len(self.procs)}.log", "w")  # noqa: SIM115
            name = f"test-{uuid.uuid4().hex[:8]}"
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "worker", *queues, "--name", name],
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.log_dir.glob("worker-*.log")))


@pytest.fixture
def rq_workers(pg_app, clean_redis, tmp_path):
    """Start real RQ workers with `rq_workers.start(n)`; pg_app enqueues into the same Redis."""
    override_settings(pg_app, QUEUE_MODE="rq", REDIS_URL=clean_redis)
    pool = WorkerPool(worker_env(pg_app.config["SQLALCHEMY_DATABASE_URI"], clean_redis), tmp_path)
    yield pool
    pool.stop()


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    """Poll until predicate() is truthy; returns its value or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")
