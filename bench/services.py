"""Start and stop what the benchmarks need, and always clean up (also on Ctrl-C, SIGTERM or failure).

- `postgres_database()`: a private database `supportops_bench_<random>` on 127.0.0.1:5432, dropped at the end.
- `redis_server()`: a private `redis-server` on a free loopback port (or, without the binary, a leased
  database index on the shared server, using the same lease keys as tests/conftest.py).
- `rq_workers()`, `gunicorn()`: real `python -m worker` and `gunicorn wsgi:app` processes.

Every child process runs in its own session, so Ctrl-C reaches only the benchmark, which then stops the
children it started (by their process group id) in order.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SHARED_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
BENCH_SECRET = "bench-secret-key-not-for-production"  # noqa: S105 - a throwaway database only
# Every bench user gets this password; one hash is computed once and copied to every row.
BENCH_PASSWORD = "bench-password-1"  # noqa: S105
GENEROUS_LIMIT = "100000 per minute"  # all load comes from 127.0.0.1: per-IP limits would throttle it


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def install_signal_handlers() -> None:
    """Turn SIGTERM/SIGHUP into SystemExit so every `with` block below runs its cleanup."""

    def _exit(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit)


# --- Postgres ----------------------------------------------------------------------------------------------


def _drop_database(name: str) -> None:
    admin = create_engine(ADMIN_PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextlib.contextmanager
def postgres_database(schema: bool = True) -> Iterator[str]:
    """A fresh database (tables created from the models unless schema=False), dropped on exit."""
    name = f"supportops_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    atexit.register(_drop_database, name)  # last resort if the process dies between here and finally
    url = make_url(ADMIN_PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        if schema:
            create_schema(url)
        log.info("database %s ready", name)
        yield url
    finally:
        _drop_database(name)
        atexit.unregister(_drop_database)
        log.info("database %s dropped", name)


def create_schema(database_url: str) -> None:
    """Create every table from the models (what `flask db upgrade` does from the migration)."""
    app = make_app(database_url)
    from portal.extensions import db

    with app.app_context():
        db.create_all()
        db.engine.dispose()


def make_app(database_url: str, **extra):
    """An in-process app on the bench database (jobs kept in a manual queue unless told otherwise)."""
    from portal import create_app

    config = {
        "TESTING": True,  # lets the bench use a throwaway secret; nothing else depends on it
        "SECRET_KEY": BENCH_SECRET,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "QUEUE_MODE": "manual",
        "REDIS_URL": None,
        "MAIL_SUPPRESS_SEND": True,
        "MISTRAL_API_KEY": None,  # the offline backend unless a benchmark asks for Mistral
        "INSTANCE_PATH": str(bench_instance_path()),
    }
    config.update(extra)
    return create_app(config)


_instance_dir: Path | None = None


LOG_DIR = Path(__file__).resolve().parent / "results" / "logs"


def log_path(name: str) -> Path:
    """Where a child's output goes: bench/results/logs/ (gitignored), kept after the run for post-mortems."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    return LOG_DIR / name


def bench_instance_path() -> Path:
    """One scratch instance folder per bench run (policy index, dev mail), removed at exit."""
    global _instance_dir
    if _instance_dir is None:
        _instance_dir = Path(tempfile.mkdtemp(prefix="supportops-bench-"))
        atexit.register(shutil.rmtree, _instance_dir, True)
    return _instance_dir


# --- Redis -------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A private redis-server on a free port (no persistence); falls back to a leased DB index."""
    binary = shutil.which("redis-server")
    if binary is None:
        with leased_redis_db() as url:
            yield url
        return
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with managed_process(args, name="redis", log_path=log_path(f"redis-{port}.log")):
        url = f"redis://127.0.0.1:{port}/0"
        _wait_for_redis(url)
        yield url


def _wait_for_redis(url: str, timeout: float = 10.0) -> None:
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    client = Redis.from_url(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.ping()
            return
        except RedisConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextlib.contextmanager
def leased_redis_db() -> Iterator[str]:
    """A database index on the shared Redis, leased like tests/conftest.py does, flushed before and after."""
    from redis import Redis

    base = Redis.from_url(SHARED_REDIS_URL)
    for index in range(1, 16):
        key = f"supportops:test-lease:{index}"
        if base.set(key, os.getpid(), nx=True, ex=3600):
            break
    else:
        raise RuntimeError("no free Redis database index (all 15 leased)")
    scheme, rest = SHARED_REDIS_URL.split("://", 1)
    url = f"{scheme}://{rest.split('/', 1)[0]}/{index}"
    Redis.from_url(url).flushdb()
    try:
        yield url
    finally:
        Redis.from_url(url).flushdb()
        base.delete(key)


# --- Processes ---------------------------------------------------------------------------------------------


# pid (= process group id) -> role ("gunicorn", "worker", "redis") of every child running now.
CHILDREN: dict[int, str] = {}


def child_groups() -> dict[str, list[int]]:
    """Process group ids of the running children, by role (for CPU accounting)."""
    groups: dict[str, list[int]] = {}
    for pid, role in CHILDREN.items():
        groups.setdefault(role, []).append(pid)
    return groups


@contextlib.contextmanager
def managed_process(args: list[str], name: str, log_path: Path, env: dict[str, str] | None = None):
    """Run a child in its own process group; stop it (SIGTERM, then SIGKILL) on exit."""
    handle = open(log_path, "ab")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.debug("started %s pid %d", name, proc.pid)
    CHILDREN[proc.pid] = name.split()[0]
    try:
        yield proc
    finally:
        CHILDREN.pop(proc.pid, None)
        stop_process(proc)
        handle.close()


def stop_process(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """Stop one child we started, and its own process group, by id."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def app_env(database_url: str, redis_url: str | None, **extra: str) -> dict[str, str]:
    """Environment for gunicorn and workers: production mode on the bench database and Redis."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": BENCH_SECRET,
            "SUPPORTOPS_ENV": "production",
            "SESSION_COOKIE_SECURE": "false",  # plain http on loopback
            "INSTANCE_PATH": str(bench_instance_path()),
            "PYTHONPATH": str(ROOT),
            "HF_HUB_OFFLINE": "1",
            "LOGIN_RATE_LIMIT": GENEROUS_LIMIT,
            "TICKET_RATE_LIMIT": GENEROUS_LIMIT,
            "REPLY_RATE_LIMIT": GENEROUS_LIMIT,
        }
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    for key in ("MISTRAL_API_KEY", "MISTRAL_BASE_URL", "MAIL_SERVER"):
        if key not in extra:
            env.pop(key, None)  # the offline backend unless a benchmark asks for Mistral
    env.update(extra)
    return env


@contextlib.contextmanager
def rq_workers(env: dict[str, str], count: int, queues: tuple[str, ...] = ("agent", "email")):
    """`count` real RQ worker processes (`python -m worker`)."""
    with contextlib.ExitStack() as stack:
        procs = []
        for number in range(count):
            name = f"bench-{uuid.uuid4().hex[:8]}"
            path = log_path(f"worker-{name}.log")
            args = [sys.executable, "-m", "worker", *queues, "--name", name]
            procs.append(stack.enter_context(managed_process(args, f"worker {number}", path, env)))
        yield procs


def wait_for_workers(redis_url: str, count: int, timeout: float = 60.0) -> None:
    """Block until `count` RQ workers have registered with Redis (their app and index are loaded)."""
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while len(Worker.all(connection=connection)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(Worker.all(connection=connection))}/{count} RQ workers came up")
        time.sleep(0.2)


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workers: int = 2, threads: int = 4) -> Iterator[str]:
    """gunicorn serving wsgi:app on a free loopback port; yields its base URL once /healthz answers."""
    port = free_port()
    binary = str(Path(sys.executable).with_name("gunicorn"))
    args = [
        binary,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-tmp-dir",
        "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir(),
        "wsgi:app",
    ]
    path = log_path(f"gunicorn-{port}.log")
    base = f"http://127.0.0.1:{port}"
    # production mode refuses to start without the public URL its emailed links point at: the served one
    env = {**env, "PUBLIC_BASE_URL": base}
    with managed_process(args, "gunicorn", path, env) as proc:
        _wait_for_http(base + "/healthz", proc, path)
        yield base


def _wait_for_http(url: str, proc: subprocess.Popen, log_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited early; see {log_path}:\n{log_path.read_text()[-2000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def build_policy_index(database_url: str) -> None:
    """Build the policy index in the bench instance folder before timing anything (workers share it)."""
    try:
        from worker.agent.retrieval import build_index
    except ImportError:
        return
    from portal.config import get_settings

    app = make_app(database_url)
    with app.app_context():
        build_index(get_settings(app).agent, app.instance_path)
