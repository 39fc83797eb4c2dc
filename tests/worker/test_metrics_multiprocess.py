"""/metrics is right under several gunicorn processes and RQ workers (PROMETHEUS_MULTIPROC_DIR):
the requests every process answered are all counted, and an agent run in a worker shows up on the web."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from bench.webclient import Browser, find_form
from portal.extensions import db
from portal.models import AgentRun, RunStatus, utcnow
from tests.conftest import ROOT, wait_for, worker_env

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _samples(base: str) -> dict[tuple[str, tuple], float]:
    text = requests.get(f"{base}/metrics", timeout=10).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
def stack(pg_app, rq_workers, tmp_path):
    from werkzeug.security import generate_password_hash

    from portal.models import User

    with pg_app.app_context():
        user = User(email="metrics@example.com", name="Mia Metrics", email_verified_at=utcnow())
        user.password_hash = generate_password_hash("metrics-pass", "pbkdf2:sha256:1")
        db.session.add(user)
        db.session.commit()
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    env = worker_env(pg_app.config["SQLALCHEMY_DATABASE_URI"], pg_app.config["REDIS_URL"])
    env.update(PROMETHEUS_MULTIPROC_DIR=str(multiproc), RATELIMIT_ENABLED="false")
    rq_workers.env = env
    rq_workers.start(1)
    port = _free_port()
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--workers", "3", "--bind",
         f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _up(base), timeout=60)
    yield base, multiproc
    web.terminate()
    web.wait(timeout=20)


def _up(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_every_process_counts_and_a_worker_run_reaches_the_scrape(stack, pg_app):
    base, multiproc = stack
    healthz = (
        "supportops_http_requests_total",
        (("endpoint", "main.healthz"), ("method", "GET"), ("status", "200")),
    )
    before = _samples(base).get(healthz, 0.0)
    for _ in range(60):  # a new connection each time: the three gunicorn workers share them
        requests.get(f"{base}/healthz", timeout=5, headers={"Connection": "close"})
    assert _samples(base)[healthz] - before == 60
    writers = {path.stem.rsplit("_", 1)[-1] for path in multiproc.glob("*.db")}
    assert len(writers) >= 2  # several processes wrote values, and the scrape added them up

    browser = Browser(base)
    browser.login("metrics@example.com", "metrics-pass")
    page, _ = browser.get("/tickets/new")
    form = find_form(page.text, "subject", "message")
    response, _ = browser.submit(
        "/tickets/new", form, {"subject": "Status", "message": "Where is my parcel?"}
    )
    assert response.status_code in (302, 303)

    def answered() -> bool:
        with pg_app.app_context():
            active = (RunStatus.QUEUED.value, RunStatus.RUNNING.value)
            done = db.session.scalar(select(AgentRun.id).where(AgentRun.status.not_in(active)))
            db.session.remove()
            return done is not None

    wait_for(answered, timeout=60)
    samples = wait_for(lambda: _runs_counted(base), timeout=10)
    assert samples[("supportops_tickets_created_total", ())] == 1
    assert ("supportops_queue_jobs", (("queue", "agent"),)) in samples


def _runs_counted(base: str):
    samples = _samples(base)
    runs = sum(v for (name, _), v in samples.items() if name == "supportops_agent_runs_total")
    return samples if runs == 1 else None
