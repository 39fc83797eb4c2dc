"""200 messages through real RQ workers to an SMTP server that drops every third connection.

Figures (delivered, duplicates, time, connections) are printed and written to
test-artifacts/email-stress.json; docs/email.md quotes a run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.mailer.notifications import notify
from portal.models import EmailOutbox
from tests.conftest import ROOT, wait_for
from tests.email.conftest import SMTPServer, make_ticket, make_user
from tests.overrides import override_settings

pytestmark = [pytest.mark.smtp, pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]
MESSAGES = 200


@pytest.fixture
def flaky_smtp():
    server = SMTPServer(drop_every=3)
    server.start()
    yield server
    server.stop()


def _record(app, count: int) -> None:
    with app.app_context():
        customer = make_user("casey@example.com", "Casey Customer")
        tickets = [make_ticket(customer, subject=f"Request {n}") for n in range(count // 4)]
        for n in range(count):
            notify("agent_answered", tickets[n % len(tickets)], summary=f"Answer number {n}.")
        db.session.commit()


def _states(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(select(EmailOutbox.status, func.count()).group_by(EmailOutbox.status))
        return dict(rows.all())


def test_200_messages_through_a_server_that_drops_every_third_connection(rq_workers, pg_app, flaky_smtp):
    rq_workers.env.update(flaky_smtp.env())
    # Immediate retries (interval 0): the drops are instant, and the test measures delivery, not backoff.
    override_settings(pg_app, MAIL_RETRY_INTERVALS=[0] * 8)
    rq_workers.start(2, queues=("email",))
    time.sleep(2)  # let the workers import the app, so the clock measures sending
    writing = time.monotonic()
    _record(pg_app, MESSAGES)
    started = time.monotonic()  # committed: the jobs are in the queue
    wait_for(lambda: len(flaky_smtp.messages) >= MESSAGES, timeout=60, interval=0.02)
    elapsed = time.monotonic() - started
    # A worker marks a row sent just after the server accepted it: under load that can lag a little.
    wait_for(lambda: _states(pg_app) == {"sent": MESSAGES}, timeout=30, interval=0.1)
    time.sleep(1)  # late duplicates would arrive now
    ids = [m["Message-ID"] for m in flaky_smtp.messages]
    states = _states(pg_app)
    with pg_app.app_context():
        attempts = db.session.scalar(select(func.sum(EmailOutbox.attempts)))
    figures = {
        "messages": MESSAGES,
        "delivered_unique": len(set(ids)),
        "duplicates": len(ids) - len(set(ids)),
        "seconds": round(elapsed, 2),  # from the commit to the last message accepted by the server
        "seconds_writing_rows": round(started - writing, 2),
        "messages_per_second": round(MESSAGES / elapsed, 1),
        "smtp_connections": flaky_smtp.connections,
        "dropped_connections": flaky_smtp.controller.dropped,
        "send_attempts": attempts,
        "outbox_states": states,
        "workers": 2,
    }
    print("\nemail stress:", json.dumps(figures))
    out = Path(ROOT) / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "email-stress.json").write_text(json.dumps(figures, indent=2) + "\n")
    assert figures["delivered_unique"] == MESSAGES and figures["duplicates"] == 0
    assert states == {"sent": MESSAGES}
    assert figures["dropped_connections"] >= MESSAGES // 3 - 1  # the server really was flaky
