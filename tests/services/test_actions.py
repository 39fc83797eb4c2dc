from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ActionLog, Cancellation, LedgerEntry, Order, Refund, Replacement, Ticket
from portal.services import payments


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def logs():
    return list(db.session.scalars(select(ActionLog).order_by(ActionLog.id)))


def order_row(number):
    return db.session.scalars(select(Order).where(Order.number == number)).one()


def test_refund_is_issued_paid_out_and_logged(shop):
    customer = shop.customer()
    number = shop.order(customer, total="24.00", payment="paypal")
    ticket = shop.ticket(customer)
    result = shop.run("refund", ticket, customer, order_number=number.lower(), reason="arrived broken")
    assert (result.outcome, result.amount, result.order_number) == ("done", Decimal("24.00"), number)
    assert (
        result.message
        == f"Your refund of 24.00 USD for order {number} to your PayPal account has been issued."
    )
    refund = db.session.get(Refund, result.effect_id)
    assert (refund.status, refund.method, refund.reason) == ("issued", "paypal", "arrived broken")
    entry = db.session.scalars(select(LedgerEntry)).one()
    assert (entry.kind, entry.method, entry.amount, entry.reference) == (
        "refund",
        "paypal",
        Decimal("24.00"),
        refund.payment_reference,
    )
    assert order_row(number).status == "refunded"
    [log] = logs()
    assert (log.tool, log.decision, log.amount, log.order_number, log.actor_kind) == (
        "refund",
        "done",
        Decimal("24.00"),
        number,
        "agent",
    )


def test_partial_refunds_in_one_ticket_are_separate_requests(shop):
    customer = shop.customer()
    number = shop.order(customer, total="60.00", items=[("Mug", 2, "15.00"), ("Teapot", 1, "30.00")])
    ticket = shop.ticket(customer)
    first = shop.run("refund", ticket, customer, order_number=number, item_names=["Mug"])
    second = shop.run("refund", ticket, customer, order_number=number, item_names=["Teapot"])
    assert (first.amount, second.amount) == (Decimal("30.00"), Decimal("30.00"))
    assert not second.replayed
    assert order_row(number).status == "refunded"
    third = shop.run("refund", shop.ticket(customer), customer, order_number=number)
    assert third.reason_code == "already_refunded"


def test_foreign_order_is_not_found_and_nothing_is_revealed(shop):
    owner, other = shop.customer("Owner"), shop.customer("Other")
    foreign = shop.order(owner, status="pending", total="310.00")
    shop.order(other, status="pending", total="20.00")
    ticket = shop.ticket(other)
    for tool in ("cancel", "refund", "order_status"):
        result = shop.run(tool, ticket, other, order_number=foreign)
        assert (result.outcome, result.reason_code) == ("denied", "order_not_found")
        assert "310" not in result.message and "pending" not in result.message
    assert count(Cancellation) == 0
    assert order_row(foreign).status == "pending"
    assert [log.decision for log in logs()] == ["denied"] * 3


def test_third_refund_in_30_days_is_denied_and_escalated(shop):
    customer = shop.customer()
    numbers = [shop.order(customer) for _ in range(3)]
    tickets = [shop.ticket(customer) for _ in range(3)]
    results = [shop.run("refund", t, customer, order_number=n) for t, n in zip(tickets, numbers, strict=True)]
    assert [r.outcome for r in results] == ["done", "done", "denied"]
    assert results[2].reason_code == "refund_limit_reached" and results[2].escalate
    ticket = db.session.get(Ticket, tickets[2])
    assert ticket.status == "escalated" and ticket.sla_due_at is not None
    assert db.session.get(Ticket, tickets[0]).status == "new"
    assert count(Refund) == 2


def test_cancellations_do_not_count_toward_the_refund_limit(shop):
    customer = shop.customer()
    for _ in range(3):
        assert (
            shop.run(
                "cancel", shop.ticket(customer), customer, order_number=shop.order(customer, status="pending")
            ).outcome
            == "done"
        )
    assert (
        shop.run("refund", shop.ticket(customer), customer, order_number=shop.order(customer)).outcome
        == "done"
    )


def test_refund_above_threshold_is_held_and_escalated(shop):
    customer = shop.customer()
    number = shop.order(customer, total="1200.00")
    ticket = shop.ticket(customer)
    result = shop.run("refund", ticket, customer, order_number=number, reason="dead pixels")
    assert (result.outcome, result.amount, result.escalate) == ("held", Decimal("1200.00"), True)
    refund = db.session.get(Refund, result.effect_id)
    assert refund.status == "held" and "approval threshold" in refund.reason and refund.issued_at is None
    assert count(LedgerEntry) == 0
    assert order_row(number).status == "delivered"
    assert db.session.get(Ticket, ticket).status == "escalated"
    assert logs()[-1].decision == "held"


def test_held_refunds_count_toward_the_limit_from_the_moment_they_are_held(shop):
    # Policy: a held refund holds its place until it is rejected (FORMAT.md, "At most 2 refunds").
    customer = shop.customer()
    results = [
        shop.run("refund", shop.ticket(customer), customer, order_number=shop.order(customer, total=total))
        for total in ("900.00", "800.00", "40.00")
    ]
    assert [(r.outcome, r.reason_code) for r in results] == [
        ("held", "above_approval_threshold"),
        ("held", "above_approval_threshold"),
        ("denied", "refund_limit_reached"),
    ]
    assert [r.status for r in db.session.scalars(select(Refund).order_by(Refund.id))] == ["held", "held"]


def test_cancel_pending_pays_back_in_full(shop):
    customer = shop.customer()
    number = shop.order(customer, status="pending", total="60.00", payment="gift_card")
    result = shop.run("cancel", shop.ticket(customer), customer, order_number=number)
    assert (result.outcome, result.amount) == ("done", Decimal("60.00"))
    assert order_row(number).status == "cancelled" and order_row(number).cancelled_at is not None
    assert payments.gift_card_balance(customer) == Decimal("60.00")
    assert db.session.scalars(select(LedgerEntry)).one().kind == "cancellation"


@pytest.mark.parametrize(
    ("status", "code"), [("shipped", "already_shipped"), ("delivered", "already_delivered")]
)
def test_cancel_after_shipping_is_denied(shop, status, code):
    customer = shop.customer()
    number = shop.order(customer, status=status, total="60.00")
    result = shop.run("cancel", shop.ticket(customer), customer, order_number=number)
    assert (result.outcome, result.reason_code) == ("denied", code)
    assert order_row(number).status == status and count(LedgerEntry) == 0


def test_one_replacement_per_order(shop):
    customer = shop.customer()
    number = shop.order(customer)
    first = shop.run(
        "replacement", shop.ticket(customer), customer, order_number=number, problem="wrong_item"
    )
    assert first.outcome == "done"
    replacement = db.session.get(Replacement, first.effect_id)
    assert replacement.reason == "wrong" and replacement.shipment_reference.startswith("RP-")
    second = shop.run("replacement", shop.ticket(customer), customer, order_number=number, problem="damaged")
    assert (second.outcome, second.reason_code, second.escalate) == (
        "denied",
        "replacement_limit_reached",
        True,
    )
    assert count(Replacement) == 1


def test_the_same_request_twice_makes_one_effect(shop):
    customer = shop.customer()
    pending = shop.order(customer, status="pending")
    ticket = shop.ticket(customer)
    for tool, args in (("refund", {}), ("replacement", {"problem": "damaged"})):
        number = shop.order(customer)
        first = shop.run(tool, ticket, customer, order_number=number, **args)
        again = shop.run(tool, ticket, customer, order_number=number, **args)
        assert (again.replayed, again.outcome, again.effect_id, again.message) == (
            True,
            first.outcome,
            first.effect_id,
            first.message,
        )
    first = shop.run("cancel", ticket, customer, order_number=pending)
    again = shop.run("cancel", ticket, customer, order_number=pending)
    assert again.replayed and again.message == first.message
    assert (count(Refund), count(Replacement), count(Cancellation), count(LedgerEntry)) == (1, 1, 1, 2)
    assert [log.decision for log in logs()] == ["done", "note", "done", "note", "done", "note"]


def test_order_status_changes_nothing(shop):
    customer = shop.customer()
    number = shop.order(customer, status="shipped")
    result = shop.run("order_status", shop.ticket(customer), customer, order_number=number)
    assert result.outcome == "done" and f"tracking number is 1Z{number}" in result.message
    assert result.policy == "shipping"
    assert count(Refund) + count(Cancellation) + count(Replacement) == 0


def test_escalate_hands_the_ticket_over(shop):
    customer = shop.customer()
    ticket = shop.ticket(customer)
    result = shop.run("escalate", ticket, customer, category="human_requested", reason="Asked for a person.")
    assert (result.outcome, result.escalate) == ("done", True)
    row = db.session.get(Ticket, ticket)
    assert row.status == "escalated" and row.escalation_reason == "human_requested: Asked for a person."
    assert logs()[-1].reason_code == "human_requested"


def test_invalid_arguments_are_logged_as_errors(shop):
    customer = shop.customer()
    ticket = shop.ticket(customer)
    result = shop.run("refund", ticket, customer, reason="card 4111 1111 1111 1111")
    assert (result.outcome, result.reason_code) == ("error", "invalid_arguments")
    [log] = logs()
    assert log.decision == "error" and "4111" not in str(log.arguments)
    assert shop.run("launch_rockets", ticket, customer).outcome == "error"


def test_arguments_are_redacted_in_the_log(shop):
    customer = shop.customer()
    number = shop.order(customer)
    shop.run(
        "refund",
        shop.ticket(customer),
        customer,
        order_number=number,
        reason="charged twice on 4111-1111-1111-1111, mail me at a@b.io",
    )
    assert logs()[-1].arguments["reason"] == "charged twice on [card number], mail me at [email]"


def test_a_failure_rolls_back_and_is_logged(shop):
    class BrokenProvider:
        def refund(self, payout):
            raise ConnectionError("bank offline")

    payments.set_provider(shop.app, BrokenProvider())
    customer = shop.customer()
    number = shop.order(customer)
    with pytest.raises(ConnectionError):
        shop.run("refund", shop.ticket(customer), customer, order_number=number)
    assert count(Refund) == 0 and order_row(number).status == "delivered"
    [log] = logs()
    assert (log.decision, log.reason_code) == ("error", "exception")


def test_ticket_of_another_customer_is_refused(shop):
    owner, other = shop.customer(), shop.customer()
    with pytest.raises(ValueError, match="does not belong"):
        shop.run("order_status", shop.ticket(owner), other, order_number="X1")


def test_action_log_is_append_only(shop):
    customer = shop.customer()
    shop.run("order_status", shop.ticket(customer), customer, order_number="NOPE")
    log = logs()[0]
    log.decision = "done"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.commit()
    db.session.rollback()
