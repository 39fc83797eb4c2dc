"""Redis unreachable (a closed port): pages still work, jobs are kept, /readyz tells, the 500 page renders.

The fault suite (tests/faults/test_redis_outage.py) stops a real Redis under load; these are the fast
checks of each piece on SQLite.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db, limiter
from portal.jobs import deferred, queue
from portal.models import DeferredJob, Ticket
from portal.support import tickets
from tests.conftest import AuthActions, make_app
from tests.faults.conftest import free_port
from tests.overrides import override_settings


@pytest.fixture
def down_app(tmp_path):
    """The demo data, rate limits on, and REDIS_URL pointing at a port nobody listens on."""
    from portal.commands.demo import seed_demo

    url = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app(
        f"sqlite:///{tmp_path / 'down.db'}", tmp_path, RATELIMIT_ENABLED=True, QUEUE_MODE="rq", REDIS_URL=url
    )
    app.config["PROPAGATE_EXCEPTIONS"] = False  # customers get pages, not tracebacks
    with app.app_context():
        seed_demo()
        db.session.commit()
    yield app
    limiter._storage_dead = False  # one limiter object serves every app of the session


def _kept(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(DeferredJob.job_key).order_by(DeferredJob.id)))


def test_login_and_ticket_work_and_the_job_is_kept(down_app, caplog):
    client = down_app.test_client()
    assert AuthActions(client).login().status_code == 302
    page = client.post("/tickets/new", data={"subject": "Refunds", "message": "How long do refunds take?"})
    assert page.status_code == 302
    shown = client.get(page.headers["Location"]).get_data(as_text=True)
    assert "is saved. Our assistant is briefly unavailable" in shown
    with down_app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id))
    assert f"{queue.PROCESS_TICKET}:{ticket_id}" in _kept(down_app)
    assert "falling back to in-memory storage" in caplog.text


def test_rate_limits_still_apply_in_memory(down_app):
    override_settings(down_app, TICKET_RATE_LIMIT="2 per minute")
    client = down_app.test_client()
    AuthActions(client).login()
    codes = [
        client.post("/tickets/new", data={"subject": f"S{i}", "message": f"Question {i}?"}).status_code
        for i in range(3)
    ]
    assert codes == [302, 302, 429]


def test_flush_keeps_jobs_while_redis_is_still_down(down_app):
    with down_app.app_context():
        queue.enqueue(queue.REAP_STALE_RUNS)
        assert deferred.flush_deferred() == 0
    assert _kept(down_app) == [f"{queue.REAP_STALE_RUNS}:"]


def test_readyz_reports_each_dependency(down_app, app):
    answer = down_app.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["database"] == "ok" and answer.get_json()["redis"].startswith("error")
    assert down_app.test_client().get("/healthz").status_code == 200
    plain = app.test_client().get("/readyz")  # no REDIS_URL at all
    assert plain.status_code == 200
    assert plain.get_json() == {"status": "ok", "database": "ok", "redis": "not used"}


def test_error_after_commit_still_renders_the_500_page(down_app, monkeypatch):
    def broken(_session):
        raise RuntimeError("after-commit hook failed")

    monkeypatch.setattr(tickets, "_flush_enqueues", broken)
    client = down_app.test_client()
    AuthActions(client).login()
    page = client.post("/tickets/new", data={"subject": "Hook", "message": "Does this page render?"})
    assert page.status_code == 500
    assert "What you sent was saved" in page.get_data(as_text=True)
    with down_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
