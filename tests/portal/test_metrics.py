"""portal.admin.metrics on both engines: per-day counts, resolution apart from silent closes, latency,
costs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from portal.admin import metrics
from portal.extensions import db
from portal.models import ActionLog, AgentRun, Ticket, User, utcnow


@pytest.fixture
def data(any_app):
    """Tickets, runs and log rows spread over the last days (and one outside the window).

    Every row carries the test's own clock (noon today): rows stamped with the real time would fall
    after the window's end in the afternoon.
    """
    now = utcnow().replace(hour=12)
    with any_app.app_context():
        customer = User(email="m@example.com", name="M", password_hash="x")
        db.session.add(customer)
        rows = [
            ("resolved", "satisfied", False, None, "refund", 0),
            ("resolved", "satisfied", True, "Customer asked for a person", "refund", 1),
            ("resolved", None, False, None, "order_status", 1),
            ("escalated", "unsatisfied", False, "Customer asked for a person", "cancel", 2),
            ("answered", None, False, None, "refund", 2),
            ("resolved", "satisfied", False, None, "refund", 45),  # outside the window
        ]
        for status, satisfaction, human, reason, intent, days_ago in rows:
            created = now - timedelta(days=days_ago)
            db.session.add(
                Ticket(
                    customer=customer,
                    subject="s",
                    body="b",
                    status=status,
                    satisfaction=satisfaction,
                    human_involved=human,
                    escalation_reason=reason,
                    intent=intent,
                    created_at=created,
                    escalated_at=created if reason else None,
                )
            )
        db.session.flush()
        ticket_id = db.session.query(Ticket.id).first()[0]
        for ms in range(100, 2100, 100):  # 20 runs: 100 ... 2000 ms
            db.session.add(
                AgentRun(
                    ticket_id=ticket_id, status="done", duration_ms=float(ms), backend="local", queued_at=now
                )
            )
        db.session.add(
            AgentRun(
                ticket_id=ticket_id,
                status="done",
                duration_ms=900.0,
                backend="mistral",
                queued_at=now,
                prompt_tokens=1000,
                completion_tokens=200,
                cost=Decimal("0.000160"),
            )
        )
        db.session.add(AgentRun(ticket_id=ticket_id, status="failed", backend="mistral", queued_at=now))
        for tool, decision in [
            ("refund", "done"),
            ("refund", "done"),
            ("refund", "held"),
            ("cancel", "denied"),
            ("desk.claim", "note"),
            ("refund", "approved"),
        ]:
            db.session.add(
                ActionLog(
                    actor_kind="agent", actor_name="agent", tool=tool, decision=decision, created_at=now
                )
            )
        db.session.commit()
    return any_app, now


def test_dashboard_figures(data):
    app, now = data
    with app.app_context():
        board = metrics.dashboard(30, now=now + timedelta(minutes=1))
    assert len(board.by_day) == 30
    today, yesterday = now.date().isoformat(), (now - timedelta(days=1)).date().isoformat()
    assert board.by_day[today] == {"resolved": 1}
    assert board.by_day[yesterday] == {"resolved": 2}
    o = board.outcomes
    assert (o.total, o.resolved_by_agent, o.satisfied_with_person, o.closed_without_feedback) == (5, 1, 1, 1)
    assert (o.unsatisfied, o.escalated, o.open) == (1, 2, 2)
    assert o.rate(o.resolved_by_agent) == pytest.approx(0.2)
    assert board.reasons == [("Customer asked for a person", 2)]
    assert board.intents[0] == ("refund", 3)
    assert board.tools == {
        "cancel": {"done": 0, "denied": 1, "held": 0},
        "refund": {"done": 2, "denied": 0, "held": 1},
    }
    assert board.latency.runs == 21 and board.latency.failed == 1
    assert board.latency.median_ms == 1000.0  # nearest rank 11 of 21 (900 twice)
    assert board.latency.p95_ms == 1900.0  # rank 20 of 21
    costs = {c.backend: c for c in board.costs}
    assert costs["mistral"].cost == Decimal("0.000160") and costs["mistral"].runs == 2
    assert costs["local"].cost == 0 and costs["local"].runs == 20


def test_empty_dashboard(any_app):
    with any_app.app_context():
        board = metrics.dashboard(7)
    assert len(board.by_day) == 7 and board.outcomes.total == 0 and board.outcomes.rate(0) is None
    assert board.latency.median_ms is None and board.costs == [] and board.tools == {}
