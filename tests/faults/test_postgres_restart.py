"""Fault: the database restarts while customers submit tickets over HTTP.

A private PostgreSQL server (never the shared one) is stopped in fast mode, which terminates every
session, and started again a few seconds later, while customers keep posting the new-ticket form to a
real threaded HTTP server. Every response must be a success (the redirect to the ticket) or the clear
"try again" page (503): no stack trace and no 500. Nothing may be half-written: each stored ticket has its
first message and its agent run, and the agent worker recovers and answers every stored ticket.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from portal.extensions import db
from portal.models import AgentRun, AuthorKind, Message, Ticket, User
from tests.conftest import WorkerPool, make_app, wait_for, worker_env
from tests.email.conftest import free_port
from tests.faults.private_postgres import private_postgres

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]
CUSTOMERS = 4
PASSWORD = "restart-test-pw"
TRY_AGAIN = "Please try again in a moment"


def _add_customers(app) -> list[str]:
    with app.app_context():
        emails = [f"pat{n}@example.com" for n in range(CUSTOMERS)]
        for email in emails:
            user = User(email=email, name="Pat Restart")
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
        return emails


class Customer(threading.Thread):
    """Logs in, then posts new tickets until told to stop, keeping every response."""

    def __init__(self, base: str, email: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.base, self.email, self.stop = base, email, stop
        self.http = requests.Session()
        self.responses: list[tuple[int, str, str]] = []  # (status, location, body)

    def login(self) -> None:
        reply = self.http.post(
            f"{self.base}/auth/login", data={"email": self.email, "password": PASSWORD}, allow_redirects=False
        )
        assert reply.status_code == 302, reply.text[:500]

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            form = {
                "subject": f"Question {n}",
                "message": f"Where is my parcel? ({self.email} #{n})",
                "order": "",
                "form_token": uuid.uuid4().hex,
            }
            try:
                reply = self.http.post(
                    f"{self.base}/tickets/new", data=form, allow_redirects=False, timeout=30
                )
            except requests.RequestException as exc:  # the HTTP server itself must never fail
                self.responses.append((0, "", repr(exc)))
                continue
            self.responses.append((reply.status_code, reply.headers.get("Location", ""), reply.text))
            time.sleep(0.05)


def _check_response(status: int, location: str, body: str) -> str:
    if status == 302 and "/tickets/" in location:
        return "stored"
    assert status == 503, f"unexpected {status}: {body[:800]}"
    assert TRY_AGAIN in body and "Traceback" not in body and "Nothing you sent was lost" not in body
    return "try again"


def _half_written(app) -> list[int]:
    """Ids of tickets missing their first customer message or their agent run."""
    with app.app_context():
        db.session.remove()
        with_message = select(Message.ticket_id).where(Message.author_kind == AuthorKind.CUSTOMER.value)
        with_run = select(AgentRun.ticket_id)
        query = select(Ticket.id).where(Ticket.id.not_in(with_message) | Ticket.id.not_in(with_run))
        return list(db.session.scalars(query))


def _unanswered(app) -> list[tuple]:
    """(ticket id, status, run status, attempts, error) of every ticket without a finished run."""
    with app.app_context():
        db.session.remove()
        answered = select(AgentRun.ticket_id).where(AgentRun.status == "done")
        query = (
            select(Ticket.id, Ticket.status, AgentRun.status, AgentRun.attempts, AgentRun.error)
            .join(AgentRun, AgentRun.ticket_id == Ticket.id)
            .where(Ticket.id.not_in(answered))
        )
        return [tuple(row) for row in db.session.execute(query)]


def _wait_until_answered(app, timeout: float) -> list[tuple]:
    deadline = time.monotonic() + timeout
    while (left := _unanswered(app)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def test_a_database_restart_under_load_gives_try_again_pages_and_loses_nothing(clean_redis, tmp_path):
    with private_postgres() as pg:
        app = make_app(pg.url, tmp_path, TESTING=False, QUEUE_MODE="rq", REDIS_URL=clean_redis)
        emails = _add_customers(app)
        workers = WorkerPool(
            worker_env(
                pg.url, clean_redis, AGENT_RETRY_INTERVALS="1,1,2,2,3,5,8", INSTANCE_PATH=str(tmp_path)
            ),
            tmp_path,
        )
        workers.start(1, queues=("agent",))
        # Ready (classifier and policy index warmed up) before the clock of the outage starts.
        wait_for(lambda: "listening on" in workers.logs(), timeout=120, interval=0.5)
        port = free_port()
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        stop = threading.Event()
        customers = [Customer(f"http://127.0.0.1:{port}", email, stop) for email in emails]
        try:
            for customer in customers:
                customer.login()
                customer.start()
            time.sleep(2)  # load before the restart
            pg.stop("fast")  # every session is terminated, new connections are refused
            time.sleep(3)
            pg.start()
            time.sleep(3)  # load after it
            stop.set()
            for customer in customers:
                customer.join(timeout=30)
            kinds = [_check_response(*reply) for c in customers for reply in c.responses]
            stored_refs = {
                loc.rsplit("/", 1)[-1] for c in customers for status, loc, _ in c.responses if status == 302
            }
            assert kinds.count("try again") > 0 and kinds.count("stored") > 0, kinds
            assert _half_written(app) == []
            with app.app_context():
                db.session.remove()
                in_db = set(db.session.scalars(select(Ticket.reference)))
            assert stored_refs <= in_db  # every success page points at a stored ticket
            assert _wait_until_answered(app, timeout=40) == [], workers.logs()[-4000:]  # the worker recovered
        finally:
            stop.set()
            server.shutdown()
            workers.stop()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    print(f"\npostgres restart: {kinds.count('stored')} stored, {kinds.count('try again')} try-again pages")
