"""Redis stopped under load: every ticket is stored and answered once it returns; workers and the
scheduler survive a blip. Real Postgres, real `python -m worker` processes, a private redis-server."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from redis import Redis
from rq import Worker
from rq.job import Job
from sqlalchemy import func, select

from portal import create_app
from portal.auth.passwords import hash_password
from portal.extensions import db, limiter
from portal.jobs import queue
from portal.models import AgentRun, AuthorKind, EmailOutbox, Message, Ticket, User
from tests.conftest import WorkerPool, base_config, truncate_all, wait_for, worker_env

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

CUSTOMERS = 50
OUTAGE_SECONDS = 30
PASSWORD = "outage-password-1"
SAVED = "is saved. Our assistant is briefly unavailable and will answer as soon as it is back"


@pytest.fixture
def outage_app(_pg_schema, private_redis, tmp_path):
    """The portal on Postgres and the private Redis, rate limits on, errors rendered as pages."""
    app = create_app(
        base_config(
            _pg_schema,
            tmp_path,
            QUEUE_MODE="rq",
            REDIS_URL=private_redis.url,
            RATELIMIT_ENABLED=True,
            PROPAGATE_EXCEPTIONS=False,  # a failure must show what a customer would see: the 500 page
        )
    )
    truncate_all(app)
    yield app
    limiter._storage_dead = False  # the limiter is one object for every app in this test session
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _pool(app, redis_url, tmp_path) -> WorkerPool:
    env = worker_env(app.config["SQLALCHEMY_DATABASE_URI"], redis_url, INSTANCE_PATH=str(tmp_path / "w"))
    return WorkerPool(env, tmp_path)


@pytest.fixture
def workers(outage_app, private_redis, tmp_path):
    pool = _pool(outage_app, private_redis.url, tmp_path)
    yield pool
    pool.stop()


def _registered(redis_url: str) -> int:
    return len(Worker.all(connection=Redis.from_url(redis_url)))


def _add_customers(app, count: int) -> None:
    with app.app_context():
        hashed = hash_password(PASSWORD)  # one hash for all: hashing 50 times is slow, not the point
        for i in range(count):
            db.session.add(User(email=f"c{i}@example.com", name=f"Customer {i}", password_hash=hashed))
        db.session.commit()


def _submit(app, i: int) -> tuple[int, int, str]:
    client = app.test_client()
    login = client.post("/auth/login", data={"email": f"c{i}@example.com", "password": PASSWORD})
    page = client.post(
        "/tickets/new",
        data={"subject": f"Refund timing {i}", "message": "How long does a refund take to arrive?"},
        follow_redirects=True,
    )
    return login.status_code, page.status_code, page.get_data(as_text=True)


def _progress(app) -> dict[str, int]:
    with app.app_context():
        db.session.remove()
        agent_messages = select(func.count()).where(Message.author_kind == AuthorKind.AGENT.value)
        return {
            "tickets": db.session.scalar(select(func.count()).select_from(Ticket)),
            "runs": db.session.scalar(select(func.count()).select_from(AgentRun)),
            "done": db.session.scalar(select(func.count()).where(AgentRun.status == "done")),
            "agent_messages": db.session.scalar(agent_messages),
            "tickets_answered_twice": len(
                db.session.execute(
                    select(Message.ticket_id)
                    .where(Message.author_kind == AuthorKind.AGENT.value)
                    .group_by(Message.ticket_id)
                    .having(func.count() > 1)
                ).all()
            ),
            "mail_not_sent": db.session.scalar(select(func.count()).where(EmailOutbox.status != "sent")),
            "mail": db.session.scalar(select(func.count()).select_from(EmailOutbox)),
        }


def test_redis_outage_under_load_loses_and_duplicates_nothing(outage_app, private_redis, workers, capsys):
    _add_customers(outage_app, CUSTOMERS)
    workers.start(2)
    wait_for(lambda: _registered(private_redis.url) == 2, timeout=60)
    client = outage_app.test_client()
    assert client.get("/readyz").get_json() == {"status": "ok", "database": "ok", "redis": "ok"}

    private_redis.kill()
    stopped = time.monotonic()
    readiness = client.get("/readyz")
    assert readiness.status_code == 503, readiness.get_data(as_text=True)
    assert readiness.get_json()["database"] == "ok" and readiness.get_json()["redis"].startswith("error")
    assert client.get("/healthz").status_code == 200  # liveness: the process itself is fine
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(lambda i: _submit(outage_app, i), range(CUSTOMERS)))
    submitted_in = time.monotonic() - stopped
    assert submitted_in < OUTAGE_SECONDS, "the submissions must all happen while Redis is down"

    assert [r[0] for r in results] == [302] * CUSTOMERS, "every login works while Redis is down"
    assert [r[1] for r in results] == [200] * CUSTOMERS, [r[2][:300] for r in results if r[1] != 200][:1]
    assert all("Something went wrong" not in page for _, _, page in results)
    assert all(SAVED in page for _, _, page in results), results[0][2]
    assert _progress(outage_app)["tickets"] == CUSTOMERS
    assert _progress(outage_app)["done"] == 0

    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
    private_redis.start()
    back = time.monotonic()
    wait_for(lambda: _progress(outage_app)["done"] == CUSTOMERS, timeout=60)
    answered_in = time.monotonic() - back
    wait_for(lambda: _progress(outage_app)["mail_not_sent"] == 0, timeout=60 - answered_in)
    final = _progress(outage_app)
    with capsys.disabled():
        print(
            f"\n  redis outage: {CUSTOMERS} submitted in {submitted_in:.1f}s while down; all answered "
            f"{answered_in:.1f}s after Redis returned; {final}"
        )
    assert final["runs"] == CUSTOMERS and final["agent_messages"] == CUSTOMERS, (final, workers.logs())
    assert final["tickets_answered_twice"] == 0
    assert client.get("/readyz").status_code == 200
    with outage_app.app_context():
        from portal.jobs import deferred

        assert deferred.backlog() == 0


def _delayed_job_runs(app, redis_url: str, queue_name: str = queue.AGENT_QUEUE) -> None:
    """A job enqueued with a delay goes through RQ's scheduler; it must still run."""
    with app.app_context():
        job_id = queue.enqueue(queue.REAP_STALE_RUNS, queue=queue_name, delay=1)
    assert job_id is not None
    connection = Redis.from_url(redis_url)
    wait_for(lambda: Job.fetch(job_id, connection=connection).get_status() == "finished", timeout=20)


def _blip(server, seconds: float) -> None:
    server.kill()
    time.sleep(seconds)
    server.start()


def test_workers_and_scheduler_survive_a_redis_blip(outage_app, private_redis, workers):
    workers.start(2)
    wait_for(lambda: _registered(private_redis.url) == 2, timeout=60)
    _delayed_job_runs(outage_app, private_redis.url)

    _blip(private_redis, 6)

    _delayed_job_runs(outage_app, private_redis.url)  # stock RQ: its scheduler died in the blip
    assert _registered(private_redis.url) == 2
    assert all(proc.poll() is None for proc in workers.procs), workers.logs()


@pytest.fixture
def forgetful_app(_pg_schema, forgetful_redis, tmp_path):
    app = create_app(base_config(_pg_schema, tmp_path, QUEUE_MODE="rq", REDIS_URL=forgetful_redis.url))
    truncate_all(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_workers_register_again_when_redis_comes_back_empty(forgetful_app, forgetful_redis, tmp_path):
    pool = _pool(forgetful_app, forgetful_redis.url, tmp_path)
    try:
        pool.start(1, queues=("email",))  # no agent warm-up needed to prove the point
        wait_for(lambda: _registered(forgetful_redis.url) == 1, timeout=60)

        _blip(forgetful_redis, 3)  # a restart without persistence: every key is gone

        wait_for(lambda: _registered(forgetful_redis.url) == 1, timeout=60)  # `rq info` lists it again
        _delayed_job_runs(forgetful_app, forgetful_redis.url, queue.EMAIL_QUEUE)
    finally:
        pool.stop()
