"""The agent job end to end with the manual queue, on SQLite and Postgres (any_app)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.jobs import queue
from portal.models import (
    ActionLog,
    AddressChange,
    AgentRun,
    Cancellation,
    Message,
    Order,
    OrderItem,
    Refund,
    Ticket,
    User,
    utcnow,
)
from portal.support.tickets import add_customer_reply, open_ticket, request_agent_run
from tests.overrides import override_settings
from tools.escalation_policy import EscalationRules, rule_reasons
from worker.agent import runs


@pytest.fixture(autouse=True)
def shared_policy_index(tmp_path_factory, monkeypatch):
    """One policy index for the whole session instead of one per test's instance folder (faster)."""
    import worker.agent.retrieval as retrieval

    folder = tmp_path_factory.getbasetemp() / "shared-policy-index"
    monkeypatch.setattr(retrieval, "index_dir", lambda instance_path: folder)


def drain_agent(app) -> int:
    """Run the queued agent jobs (mail jobs are not under test here)."""
    jobs = app.extensions["manual_queue"].jobs
    count = 0
    while jobs:
        path, args = jobs.pop(0)
        if path == queue.PROCESS_TICKET:
            with app.app_context():
                queue.import_job(path)(*args)
            count += 1
    return count


def add_customer(name="Sam Carter", email="sam@example.com") -> User:
    user = User(email=email, name=name, password_hash="x")
    db.session.add(user)
    db.session.flush()
    return user


def add_order(customer, number, status="delivered", total="42.00", days=3, items=None, **extra) -> Order:
    now = utcnow()
    delivered = now - timedelta(days=days) if status == "delivered" else None
    order = Order(
        number=number,
        customer_id=customer.id,
        status=status,
        total=Decimal(total),
        placed_at=now - timedelta(days=days + 2),
        delivered_at=delivered,
        **extra,
    )
    for name, price in items or [("Item", total)]:
        order.items.append(OrderItem(sku=name[:8], name=name, quantity=1, unit_price=Decimal(price)))
    db.session.add(order)
    db.session.flush()
    return order


def new_ticket(app, body, orders=(("A1001", "delivered", "42.00"),), picked=None) -> int:
    with app.app_context():
        customer = add_customer()
        made = {number: add_order(customer, number, status, total) for number, status, total in orders}
        ticket = open_ticket(customer, "Help", body, order=made.get(picked))
        db.session.commit()
        return ticket.id


def agent_messages(ticket_id):
    query = select(Message).where(Message.ticket_id == ticket_id, Message.author_kind == "agent")
    return list(db.session.scalars(query.order_by(Message.id)))


def test_refund_is_answered_with_citations_and_trace(any_app):
    ticket_id = new_ticket(any_app, "Order A1001 arrived broken, I'd like my money back please.")
    assert drain_agent(any_app) == 1
    with any_app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.status == "answered"
        assert ticket.intent == "get_refund" and ticket.priority == "P2" and ticket.language == "en"
        assert (
            ticket.confidence > 0.6 and ticket.sentiment is not None and ticket.first_response_at is not None
        )
        [reply] = agent_messages(ticket_id)
        assert "42.00" in reply.body and reply.citations[0]["policy"] == "refunds"
        assert set(reply.citations[0]) == {"policy", "heading", "text"}
        assert reply.outcome["action"] == "refund" and reply.outcome["decision"] == "done"
        assert reply.outcome["summary"] == "Refund of 42.00 USD issued for order A1001"
        run = db.session.scalars(select(AgentRun).where(AgentRun.ticket_id == ticket_id)).one()
        assert (run.status, run.action, run.outcome, run.backend) == ("done", "refund", "done", "offline")
        assert run.started_at and run.finished_at and run.duration_ms > 0 and run.attempts == 1
        steps = [step["step"] for step in run.trace]
        for name in ("redact", "triage", "retrieve", "decide", "tool:refund", "compose", "escalation_rules"):
            assert name in steps
        assert all("ms" in step and "input" in step and "output" in step for step in run.trace)
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 1


def test_trace_and_reply_hold_no_personal_data(any_app):
    body = (
        "This is Sam Carter, reach me at sam.private@example.org. My card 4111 1111 1111 1111 "
        "was charged for order A1001 which arrived broken, refund please."
    )
    ticket_id = new_ticket(any_app, body)
    drain_agent(any_app)
    with any_app.app_context():
        run = db.session.scalars(select(AgentRun).where(AgentRun.ticket_id == ticket_id)).one()
        [reply] = agent_messages(ticket_id)
        logged = json.dumps([log.arguments for log in db.session.scalars(select(ActionLog))])
        for text in (json.dumps(run.trace), reply.body, logged):
            assert "sam.private@example.org" not in text and "sam@example.com" not in text
            assert "4111 1111 1111 1111" not in text and "4111111111111111" not in text
            assert "Sam Carter" not in text
        assert "[EMAIL]" in json.dumps(run.trace)


def test_new_address_reaches_the_tool_but_only_its_placeholder_the_trace(any_app):
    body = "Please send order A1001 to Flat 2, 14 Mill Lane, Leeds LS1 4AB instead, I moved."
    ticket_id = new_ticket(any_app, body, orders=(("A1001", "pending", "42.00"),))
    drain_agent(any_app)
    with any_app.app_context():
        change = db.session.scalars(select(AddressChange)).one()
        assert change.new_address == "Flat 2, 14 Mill Lane, Leeds LS1 4AB"
        assert db.session.get(Order, change.order_id).delivery_address == change.new_address
        run = db.session.scalars(select(AgentRun).where(AgentRun.ticket_id == ticket_id)).one()
        stored = json.dumps(run.trace) + json.dumps(run.error or "")
        assert "Mill Lane" not in stored and "LS1 4AB" not in stored
        tool_step = next(step for step in run.trace if step["step"] == "tool:change_address")
        assert tool_step["input"]["address"] == "[ADDRESS_1]"
        assert "[ADDRESS_1]" in tool_step["output"]["message"]
        [reply] = agent_messages(ticket_id)
        assert "14 Mill Lane" in reply.body and "[ADDRESS" not in reply.body  # the customer's own words


def test_rerun_does_not_repeat_an_effect(any_app):
    ticket_id = new_ticket(
        any_app, "Please cancel order B2001, I ordered it by mistake.", [("B2001", "pending", "60.00")]
    )
    drain_agent(any_app)
    with any_app.app_context():
        request_agent_run(db.session.get(Ticket, ticket_id), trigger="rerun")
        db.session.commit()
    drain_agent(any_app)
    with any_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cancellation)) == 1
        first, second = agent_messages(ticket_id)
        assert "has been cancelled" in first.body and "has been cancelled" in second.body
        replay = db.session.scalars(
            select(ActionLog).where(ActionLog.reason_code == "idempotent_replay")
        ).one()
        assert replay.tool == "cancel"


def test_final_failure_hands_the_ticket_to_a_person(any_app, monkeypatch):
    ticket_id = new_ticket(any_app, "Order A1001 arrived broken, refund please.")

    def boom(*args, **kwargs):
        raise RuntimeError("model exploded")

    monkeypatch.setattr("worker.jobs.run_agent", boom)
    with pytest.raises(RuntimeError):
        drain_agent(any_app)
    with any_app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.status == "escalated" and "RuntimeError" in ticket.escalation_reason
        run = db.session.scalars(select(AgentRun).where(AgentRun.ticket_id == ticket_id)).one()
        assert run.status == "failed" and "model exploded" in run.error
        notes = [m for m in ticket.messages if m.internal]
        assert len(notes) == 1 and notes[0].author_kind == "system" and "model exploded" in notes[0].body


def test_transient_failure_requeues_the_run_for_the_retry(any_app, monkeypatch):
    ticket_id = new_ticket(any_app, "Order A1001 arrived broken, refund please.")
    monkeypatch.setattr("worker.jobs.is_final_attempt", lambda: False)
    monkeypatch.setattr("worker.jobs.run_agent", lambda *a, **k: (_ for _ in ()).throw(TimeoutError("slow")))
    with pytest.raises(TimeoutError):
        drain_agent(any_app)
    with any_app.app_context():
        run = db.session.scalars(select(AgentRun).where(AgentRun.ticket_id == ticket_id)).one()
        assert run.status == "queued" and "slow" in run.error
        assert db.session.get(Ticket, ticket_id).status == "processing"
    monkeypatch.undo()
    with any_app.app_context():
        from worker.jobs import process_ticket

        assert process_ticket(ticket_id) == "refund"
        run = db.session.scalars(select(AgentRun).where(AgentRun.ticket_id == ticket_id)).one()
        assert (run.status, run.attempts, run.error) == ("done", 2, None)
        assert db.session.get(Ticket, ticket_id).status == "answered"


def test_ambiguous_order_asks_which_then_acts_on_the_answer(any_app):
    orders = (("E5001", "delivered", "30.00"), ("E5002", "delivered", "50.00"))
    ticket_id = new_ticket(any_app, "One of my orders arrived broken, I want a refund.", orders)
    drain_agent(any_app)
    with any_app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        [reply] = agent_messages(ticket_id)
        assert ticket.status == "answered" and reply.outcome["action"] == "clarify"
        assert "E5001" in reply.body and "E5002" in reply.body
        assert reply.outcome["clarify_options"] == ["E5001", "E5002"] or set(
            reply.outcome["clarify_options"]
        ) == {
            "E5001",
            "E5002",
        }
        assert db.session.scalar(select(func.count()).select_from(Refund)) == 0
        add_customer_reply(ticket, "E5002")
        db.session.commit()
    drain_agent(any_app)
    with any_app.app_context():
        refund = db.session.scalars(select(Refund)).one()
        assert refund.order.number == "E5002" and refund.amount == Decimal("50.00")


def test_held_refund_is_escalated_and_says_so(any_app):
    ticket_id = new_ticket(
        any_app,
        "My TV from order Z600 has dead pixels, refund it please.",
        [("Z600", "delivered", "1200.00")],
    )
    drain_agent(any_app)
    with any_app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.status == "escalated" and "approval" in ticket.escalation_reason
        refund = db.session.scalars(select(Refund)).one()
        assert refund.status == "held"
        [reply] = agent_messages(ticket_id)
        assert "review" in reply.body and reply.outcome["decision"] == "held"


def test_policy_question_and_newsletter_hard_negative(any_app):
    ticket_id = new_ticket(any_app, "How do I cancel my newsletter?", [("H8001", "pending", "35.00")])
    drain_agent(any_app)
    with any_app.app_context():
        [reply] = agent_messages(ticket_id)
        assert reply.outcome["action"] == "answer" and reply.citations[0]["policy"] == "accounts"
        assert "unsubscribe" in reply.body.lower()
        assert db.session.scalar(select(func.count()).select_from(Cancellation)) == 0


def test_requested_person_escalates_without_action(any_app):
    ticket_id = new_ticket(any_app, "Please put me through to a human agent.", [])
    drain_agent(any_app)
    with any_app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.status == "escalated" and ticket.escalation_reason.startswith("human_requested")
        [reply] = agent_messages(ticket_id)
        assert reply.citations == [] and "within 4 hours" in reply.body  # a hand-over cites nothing


def test_two_jobs_for_one_ticket_only_one_claims(any_app):
    ticket_id = new_ticket(any_app, "Where is order A1001?")
    with any_app.app_context():
        first = runs.claim(ticket_id)
        db.session.remove()
        second = runs.claim(ticket_id)
        assert first is not None and second is None
    any_app.extensions["manual_queue"].jobs.clear()


def test_a_retry_of_the_same_job_takes_back_a_run_its_failed_attempt_left_running(any_app):
    # The database went away mid-job: the first attempt could not put the run back to queued.
    ticket_id = new_ticket(any_app, "Where is order A1001?")
    with any_app.app_context():
        first = runs.claim(ticket_id, job_id="job-1")
        db.session.remove()
        assert runs.claim(ticket_id, job_id="job-2") is None  # another job: still taken
        retry = runs.claim(ticket_id, job_id="job-1")
        assert retry is not None and (retry.run_id, retry.attempt) == (first.run_id, 2)
        assert not runs._update_if_still_ours(first, error="late")  # the old attempt cannot store
        db.session.rollback()
    any_app.extensions["manual_queue"].jobs.clear()


def test_later_run_supersedes_an_earlier_queued_one(any_app):
    ticket_id = new_ticket(any_app, "Where is order A1001?")
    with any_app.app_context():
        add_customer_reply(db.session.get(Ticket, ticket_id), "Also, has it been delivered?")
        db.session.commit()
    assert drain_agent(any_app) == 2  # two jobs; the second finds nothing left to do
    with any_app.app_context():
        statuses = [r.status for r in db.session.scalars(select(AgentRun).order_by(AgentRun.id))]
        assert statuses == ["done", "done"]
        assert len(agent_messages(ticket_id)) == 1


def test_stale_run_is_requeued_then_handed_to_a_person(sqlite_app):
    from worker.reaper import requeue_stale_runs

    ticket_id = new_ticket(sqlite_app, "Where is order A1001?")
    sqlite_app.extensions["manual_queue"].jobs.clear()  # the job was lost with its worker
    override_settings(sqlite_app, AGENT_MAX_REQUEUES=1)
    with sqlite_app.app_context():
        run = db.session.scalars(select(AgentRun)).one()
        run.status, run.started_at = "running", utcnow() - timedelta(hours=1)
        db.session.commit()
        assert requeue_stale_runs().requeued == 1
        assert db.session.scalars(select(AgentRun)).one().status == "queued"
        assert sqlite_app.extensions["manual_queue"].jobs == [(queue.PROCESS_TICKET, (ticket_id,))]
        assert requeue_stale_runs().requeued == 0  # just requeued: not stale any more
        later = utcnow() + timedelta(hours=1)
        report = requeue_stale_runs(now=later)
        assert report.escalated == 1
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.status == "escalated" and db.session.scalars(select(AgentRun)).one().status == "failed"
        assert any(m.internal for m in ticket.messages)


def test_escalation_rules_fire_on_their_thresholds():
    rules = EscalationRules()
    now = utcnow()
    calm = dict(
        priority="P2", customer_turns=1, sentiment=0.0, confidence=0.9, sla_due_at=now + timedelta(hours=1)
    )
    assert rule_reasons(rules, now=now, **calm) == []
    cases = {
        "p1_turns": dict(priority="P1", customer_turns=3),
        "sentiment": dict(sentiment=-0.71),
        "confidence": dict(confidence=0.59),
        "sla": dict(sla_due_at=now - timedelta(minutes=1)),
    }
    for code, change in cases.items():
        assert [c for c, _ in rule_reasons(rules, now=now, **(calm | change))] == [code]
    assert rule_reasons(rules, now=now, **(calm | dict(priority="P1", customer_turns=2))) == []
    assert rule_reasons(rules, now=now, **(calm | dict(sentiment=-0.7, confidence=0.6))) == []


def test_ticket_taken_by_staff_while_queued_is_left_alone(any_app):
    ticket_id = new_ticket(any_app, "Where is order A1001?")
    with any_app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        ticket.status, ticket.escalation_reason = "escalated", "claimed by staff"
        db.session.commit()
    drain_agent(any_app)
    with any_app.app_context():
        assert agent_messages(ticket_id) == []
        run = db.session.scalars(select(AgentRun)).one()
        assert run.status == "done" and run.error == "skipped: ticket escalated"
        assert db.session.get(Ticket, ticket_id).status == "escalated"


def test_loading_a_ticket_costs_the_same_queries_for_many_orders(any_app):
    """No N+1: the job's read of the customer's orders does not grow with their number."""
    from sqlalchemy import event

    from worker.agent.context import load_ticket

    def statements_for(order_count: int, email: str) -> tuple[int, int]:
        with any_app.app_context():
            customer = add_customer(email=email)
            orders = [add_order(customer, f"N{email[0]}{i:03d}") for i in range(order_count)]
            ticket = open_ticket(customer, "Help", "Where is my order?", order=orders[0])
            db.session.commit()
            ticket_id = ticket.id
            db.session.remove()
            seen: list[str] = []
            listener = lambda *args: seen.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                snapshot = load_ticket(ticket_id)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            return len(seen), len(snapshot.orders)

    few, many = statements_for(2, "few@example.com"), statements_for(12, "many@example.com")
    assert (few[1], many[1]) == (2, 12)
    assert few[0] == many[0]


def test_job_reads_and_writes_each_row_once(any_app):
    """The job's round trips: the conversation read once, the ticket written once per transaction,
    customer and order joined to the ticket, the claimed run not read back, refunds in one query."""
    from sqlalchemy import event

    ticket_id = new_ticket(any_app, "How long does shipping take to Canada?", picked="A1001")
    seen: list[str] = []
    listener = lambda *args: seen.append(" ".join(args[2].split()))  # noqa: E731 - (conn, cursor, statement)
    with any_app.app_context():
        event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert drain_agent(any_app) == 1
    finally:
        with any_app.app_context():
            event.remove(db.engine, "before_cursor_execute", listener)

    def count(prefix: str) -> int:
        return sum(statement.startswith(prefix) for statement in seen)

    assert count("SELECT messages.") == 1  # load_ticket's; storing the reply does not load the thread
    assert count("UPDATE tickets ") == 2  # claim (processing) and save (triage, status, first response)
    assert count("SELECT users.id, users.email") == 0  # the customer is joined to the ticket
    # and so is the ticket's order
    assert not [s for s in seen if s.startswith("SELECT orders.") and "WHERE orders.id =" in s]
    assert count("SELECT agent_runs.id, agent_runs.ticket_id") == 1  # the latest active run, not a refresh
    assert count("SELECT refunds.") == 1
    with any_app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "answered"
        assert len(agent_messages(ticket_id)) == 1
