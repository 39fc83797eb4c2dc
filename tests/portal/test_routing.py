"""Routing and auto-assignment (portal/desk/routing.py): team by intent and priority, fewest open, cap,
away."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.auth.accounts import create_user
from portal.desk import routing
from portal.extensions import db
from portal.models import ActionLog, AgentRun, Role, RoutingRule, Team, Ticket, User, utcnow
from portal.services.effects import mark_escalated
from tests.overrides import override_settings
from tests.portal.conftest import user_id


@pytest.fixture
def desk(demo):
    """Billing (cap 2) with Bea and Bob, Shipping with nobody, General as the default team with Stella."""
    with demo.app_context():
        bea = create_user("bea@example.com", "Bea Billing", "bea-password-1", Role.STAFF)
        bob = create_user("bob@example.com", "Bob Billing", "bob-password-1", Role.STAFF)
        stella = db.session.get(User, user_id("staff@example.com"))
        billing = Team(name="Billing", max_open_per_person=2, members=[bea, bob])
        shipping = Team(name="Shipping")
        general = Team(name="General", is_default=True, members=[stella])
        db.session.add_all([billing, shipping, general])
        db.session.flush()
        db.session.add_all(
            [
                RoutingRule(team_id=billing.id, intents=["payment_issue", "get_refund"], position=1),
                RoutingRule(
                    team_id=shipping.id, intents=["track_order"], priorities=["P1", "P2"], position=2
                ),
            ]
        )
        db.session.commit()
    return demo


def escalate(app, intent: str | None = "payment_issue", priority: str = "P3", **fields) -> str:
    """A new ticket handed to a person through the one escalation path (effects.mark_escalated)."""
    with app.app_context():
        ticket = Ticket(
            customer_id=user_id("customer@example.com"),
            subject="Charged twice",
            body="My card was charged twice.",
            status="processing",
            intent=intent,
            priority=priority,
            **fields,
        )
        db.session.add(ticket)
        db.session.flush()
        mark_escalated(ticket.id, "payment_issue: The customer reports a problem with a payment.", utcnow())
        db.session.commit()
        return ticket.reference


def owner_and_team(app, reference: str) -> tuple[str | None, str | None]:
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        return (ticket.assignee.name if ticket.assignee else None, ticket.team.name if ticket.team else None)


def set_user(app, email: str, **fields) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        for key, value in fields.items():
            setattr(user, key, value)
        db.session.commit()


def test_a_payment_ticket_goes_to_billing_and_to_the_member_with_fewest_open(desk):
    first = escalate(desk)
    second = escalate(desk)
    third = escalate(desk)
    assert owner_and_team(desk, first) == ("Bea Billing", "Billing")  # tie at 0: the lower id
    assert owner_and_team(desk, second) == ("Bob Billing", "Billing")  # Bea has 1 open now
    assert owner_and_team(desk, third) == ("Bea Billing", "Billing")
    with desk.app_context():
        detail = db.session.scalar(select(ActionLog.detail).where(ActionLog.tool == "desk.route").limit(1))
    assert detail == "Billing: assigned to Bea Billing (0 open before)"


def test_resolved_tickets_do_not_count_as_open(desk):
    first = escalate(desk)
    with desk.app_context():
        db.session.scalar(select(Ticket).where(Ticket.reference == first)).status = "resolved"
        db.session.commit()
    assert owner_and_team(desk, escalate(desk))[0] == "Bea Billing"


def test_over_the_cap_the_ticket_waits_unassigned_in_the_team_queue(desk):
    for _ in range(4):  # cap 2 each: Bea and Bob are full
        escalate(desk)
    fifth = escalate(desk)
    assert owner_and_team(desk, fifth) == (None, "Billing")
    with desk.app_context():
        details = db.session.scalars(select(ActionLog.detail).where(ActionLog.tool == "desk.route")).all()
    assert "every available member has 2 open tickets" in details[-1]


def test_the_default_cap_comes_from_config(desk):
    override_settings(desk, DESK_MAX_OPEN_PER_PERSON=1)
    escalate(desk, intent="complaint")  # General: no rule matches; Stella takes it
    assert owner_and_team(desk, escalate(desk, intent="complaint")) == (None, "General")


def test_away_members_get_no_new_tickets(desk):
    set_user(desk, "bea@example.com", available=False)
    assert owner_and_team(desk, escalate(desk)) == ("Bob Billing", "Billing")
    assert owner_and_team(desk, escalate(desk)) == ("Bob Billing", "Billing")
    set_user(desk, "bob@example.com", available=False)
    assert owner_and_team(desk, escalate(desk)) == (None, "Billing")


def test_deactivated_members_get_no_tickets(desk):
    set_user(desk, "bea@example.com", active=False)
    assert owner_and_team(desk, escalate(desk)) == ("Bob Billing", "Billing")


def test_a_team_without_members_keeps_the_ticket_unassigned(desk):
    reference = escalate(desk, intent="track_order", priority="P1")
    assert owner_and_team(desk, reference) == (None, "Shipping")


def test_priority_is_part_of_the_rule(desk):
    # track_order at P3 matches no rule (Shipping wants P1/P2): the default team.
    assert owner_and_team(desk, escalate(desk, intent="track_order", priority="P3")) == (
        "Stella Staff",
        "General",
    )


def test_no_intent_goes_to_the_default_team(desk):
    assert owner_and_team(desk, escalate(desk, intent=None))[1] == "General"


def test_without_teams_nothing_changes(demo):
    reference = escalate(demo)
    assert owner_and_team(demo, reference) == (None, None)
    with demo.app_context():
        assert db.session.scalar(select(ActionLog.id).where(ActionLog.tool == "desk.route")) is None


def test_an_owned_ticket_keeps_its_owner_but_joins_the_team(desk):
    reference = escalate(desk, assignee_id=None)
    with desk.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        ticket.status, ticket.team_id = "answered", None
        ticket.assignee_id = user_id("staff@example.com")
        db.session.commit()
        mark_escalated(ticket.id, "again", utcnow())
        db.session.commit()
    assert owner_and_team(desk, reference) == ("Stella Staff", "Billing")


def test_a_tool_escalating_mid_run_is_routed_when_the_run_stores_its_intent(desk):
    """While the agent's run is running the intent is not stored yet: routing waits for the run."""
    with desk.app_context():
        ticket = Ticket(customer_id=user_id("customer@example.com"), subject="Refund", body="Refund please",
                        status="processing")  # fmt: skip
        db.session.add(ticket)
        db.session.flush()
        db.session.add(AgentRun(ticket_id=ticket.id, status="running"))
        mark_escalated(ticket.id, "refund held: above the approval threshold", utcnow())
        assert ticket.team_id is None and ticket.assignee_id is None
        db.session.query(AgentRun).update({"status": "done"})
        ticket.intent = "get_refund"
        assert routing.route(ticket).team == "Billing"
        db.session.commit()
        assert ticket.assignee.name == "Bea Billing"


def test_rule_matching_treats_empty_lists_as_any():
    assert routing.rule_matches([], [], None, "P3")
    assert routing.rule_matches(["payment_issue"], [], "payment_issue", "P4")
    assert not routing.rule_matches(["payment_issue"], ["P1"], "payment_issue", "P2")
    assert not routing.rule_matches(["payment_issue"], [], None, "P1")


@pytest.mark.postgres
def test_two_tickets_routed_at_once_never_put_a_member_over_the_cap(pg_app, monkeypatch):
    """Both escalations count the member's tickets at the same moment (the worst interleaving) unless the
    team lock makes the second wait: with the lock, the cap of 1 holds and the second ticket waits."""
    import contextlib
    import threading

    from portal.services.transaction import customer_transaction

    with pg_app.app_context():
        stella = create_user("stella2@example.com", "Stella", "pw-123456789", Role.STAFF)
        customers = [create_user(f"c{n}@example.com", f"C{n}", "pw-123456789", Role.CUSTOMER) for n in (1, 2)]
        team = Team(name="Billing", is_default=True, max_open_per_person=1, members=[stella])
        db.session.add(team)
        db.session.flush()
        tickets = [
            Ticket(customer_id=c.id, subject="Pay", body="Charged twice", intent="payment_issue")
            for c in customers
        ]
        db.session.add_all(tickets)
        db.session.commit()
        jobs = [(t.id, t.customer_id) for t in tickets]
        team_id, stella_id = team.id, stella.id
    original = routing.member_loads
    gate = threading.Barrier(2, timeout=3)  # the lock keeps the second away: the first waits out the timeout

    def counted_then_wait(team_id):
        loads = original(team_id)
        with contextlib.suppress(threading.BrokenBarrierError):
            gate.wait()
        return loads

    monkeypatch.setattr(routing, "member_loads", counted_then_wait)

    def escalate_one(ticket_id, customer_id):
        with pg_app.app_context():
            with customer_transaction(customer_id):
                mark_escalated(ticket_id, "payment", utcnow())
            db.session.remove()

    threads = [threading.Thread(target=escalate_one, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with pg_app.app_context():
        owners = db.session.scalars(select(Ticket.assignee_id).order_by(Ticket.id)).all()
        teams = db.session.scalars(select(Ticket.team_id)).all()
    assert sorted(owners, key=lambda owner: owner is None) == [stella_id, None]  # one each, in any order
    assert set(teams) == {team_id}


def test_a_ticket_escalated_mid_run_whose_run_then_fails_is_still_routed(desk):
    from worker.agent.runs import hand_to_person

    with desk.app_context():
        ticket = Ticket(customer_id=user_id("customer@example.com"), subject="Refund", body="Refund please",
                        status="processing", intent="get_refund")  # fmt: skip
        db.session.add(ticket)
        db.session.flush()
        run = AgentRun(ticket_id=ticket.id, status="running")
        db.session.add(run)
        mark_escalated(ticket.id, "refund held", utcnow())  # mid-run: not routed yet
        assert ticket.status == "escalated" and ticket.team_id is None
        run.status = "failed"
        hand_to_person(ticket.id, "the assistant failed: Boom", "Boom", utcnow())
        db.session.commit()
        assert (ticket.team.name, ticket.assignee.name) == ("Billing", "Bea Billing")
