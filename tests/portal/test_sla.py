"""SLA clocks on real tickets: per-priority first responses, the resolution clock paused while the
ticket waits for the customer, no countdown once resolved, breaches counted."""

from __future__ import annotations

from datetime import timedelta

from portal.desk import sla
from portal.desk.actions import reply
from portal.extensions import db
from portal.models import Ticket, User, utcnow
from portal.services.effects import mark_escalated
from portal.support.tickets import add_customer_reply
from tests.overrides import override_settings
from tools.sla import BusinessCalendar, parse_targets


def _ticket(reference: str) -> Ticket:
    return db.session.query(Ticket).filter_by(reference=reference).one()


def test_escalation_starts_the_resolution_clock_by_priority(app, make_ticket):
    override_settings(app, SLA_RESOLUTION_HOURS=parse_targets("P1=8,P4=100", 50))
    refs = make_ticket(status="answered", priority="P1"), make_ticket(status="answered", priority="P4")
    with app.app_context():
        now = utcnow()
        urgent, calm = _ticket(refs[0]), _ticket(refs[1])
        mark_escalated(urgent.id, "human_requested: asks for a person", now)
        mark_escalated(calm.id, "human_requested: asks for a person", now)
        assert urgent.resolution_due_at == now + timedelta(hours=8)
        assert calm.resolution_due_at == now + timedelta(hours=100)


def test_first_response_targets_per_priority_in_working_time(app):
    override_settings(
        app,
        SLA_FIRST_RESPONSE_HOURS=parse_targets("P1=1", None),
        SLA_CALENDAR=BusinessCalendar.parse("mon-fri 09:00-17:00", "UTC"),
    )
    with app.app_context():
        friday = utcnow().replace(year=2026, month=12, day=4, hour=16, minute=30, second=0, microsecond=0)
        assert sla.first_response_due(friday, "P1") == friday.replace(day=7, hour=9, minute=30)
        assert sla.first_response_due(friday, "P3") == friday.replace(day=7, hour=12, minute=30)  # SLA_HOURS


def test_waiting_for_the_customer_pauses_the_resolution_clock(app, make_ticket, demo):
    ref = make_ticket(status="answered", priority="P2")
    with app.app_context():
        start = utcnow() - timedelta(hours=10)
        ticket = _ticket(ref)
        mark_escalated(ticket.id, "complaint: unhappy", start)
        due = ticket.resolution_due_at
        staff = db.session.query(User).filter_by(email="staff@example.com").one()
        reply(ticket, staff, "We are looking into it.")
        assert ticket.waiting_since is not None
        ticket.waiting_since = start + timedelta(hours=1)  # staff answered an hour in; 9 h of waiting since
        assert not sla.resolution_overdue(ticket, start + timedelta(days=30))  # paused: never overdue
        add_customer_reply(ticket, "Any news?")
        assert ticket.waiting_since is None
        moved = ticket.resolution_due_at - due
        assert timedelta(hours=8, minutes=59) < moved < timedelta(hours=9, minutes=1)
        db.session.commit()


def test_breaches_are_counted(app, make_ticket):
    refs = make_ticket(status="answered", priority="P2"), make_ticket(status="answered", priority="P2")
    with app.app_context():
        now = utcnow()
        late = _ticket(refs[0])
        mark_escalated(late.id, "complaint: unhappy", now - timedelta(days=5))
        late.sla_due_at = now - timedelta(days=4)  # never answered
        on_time = _ticket(refs[1])
        mark_escalated(on_time.id, "complaint: unhappy", now - timedelta(hours=1))
        on_time.first_response_at = now
        db.session.commit()
        counted = sla.breaches(now - timedelta(days=30), now)
        assert (counted.handed_over, counted.first_response, counted.resolution) == (2, 1, 1)


def test_the_desk_shows_the_paused_clock_and_admin_the_breaches(staff, make_ticket, app):
    ref = make_ticket(status="answered", priority="P2")
    with app.app_context():
        ticket = db.session.query(Ticket).filter_by(reference=ref).one()
        mark_escalated(ticket.id, "complaint: unhappy", utcnow())
        ticket.waiting_since = utcnow()
        db.session.commit()
    page = staff.get(f"/desk/tickets/{ref}").get_data(as_text=True)
    assert "paused, waiting for the customer" in page


def test_overriding_one_resolution_target_keeps_the_others(monkeypatch, tmp_path):
    from portal.config import load_config

    monkeypatch.setenv("SLA_RESOLUTION_HOURS", "P1=8")
    assert load_config(str(tmp_path))["SLA_RESOLUTION_HOURS"] == {
        "P1": 8.0,
        "P2": 48.0,
        "P3": 72.0,
        "P4": 120.0,
    }
