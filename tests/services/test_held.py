from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ActionLog, LedgerEntry, Order, Refund, utcnow
from portal.services import approve_held, held_refunds, reject_held


def held(shop, total="1200.00", **order):
    customer = shop.customer()
    staff = shop.staff()
    number = shop.order(customer, total=total, **order)
    result = shop.run("refund", shop.ticket(customer), customer, order_number=number)
    assert result.outcome == "held"
    return customer, staff, number, result.effect_id


def ledger_count():
    return db.session.scalar(select(func.count()).select_from(LedgerEntry))


def test_approval_issues_the_refund_once(shop):
    customer, staff, number, refund_id = held(shop)
    assert [r.id for r in held_refunds()] == [refund_id]
    first = approve_held(refund_id, staff)
    again = approve_held(refund_id, staff)
    assert (first.outcome, first.amount, first.replayed) == ("done", Decimal("1200.00"), False)
    assert (again.outcome, again.reason_code, again.replayed) == ("done", "already_issued", True)
    assert again.message == first.message
    refund = db.session.get(Refund, refund_id)
    assert (refund.status, refund.decided_by_id) == ("issued", staff)
    assert refund.payment_reference and ledger_count() == 1
    assert db.session.scalars(select(Order).where(Order.number == number)).one().status == "refunded"
    decisions = db.session.scalars(select(ActionLog.decision).order_by(ActionLog.id)).all()
    assert decisions == ["held", "approved", "note"]
    assert held_refunds() == []


def issued_refund(customer, number, minutes_from_now, amount="10.00"):
    """An issued refund row at a chosen moment (as an earlier release, an import or an override left it)."""
    order = db.session.scalars(select(Order).where(Order.number == number)).one()
    when = utcnow() + timedelta(minutes=minutes_from_now)
    db.session.add(
        Refund(
            idempotency_key=f"test:{number}:{minutes_from_now}",
            order_id=order.id,
            customer_id=customer,
            amount=Decimal(amount),
            currency="USD",
            method="card",
            status="issued",
            created_at=when,
            issued_at=when,
        )
    )
    db.session.commit()


def test_a_held_refund_holds_its_place_for_later_requests(shop):
    customer, staff, _, refund_id = held(shop)
    later = [
        shop.run("refund", shop.ticket(customer), customer, order_number=shop.order(customer)) for _ in "ab"
    ]
    # The held refund and the first later one fill the limit of 2: the second is refused and escalated.
    assert [r.outcome for r in later] == ["done", "denied"]
    assert (later[1].reason_code, later[1].escalate) == ("refund_limit_reached", True)
    result = approve_held(refund_id, staff)
    assert (result.outcome, result.reason_code) == ("done", None)
    assert ledger_count() == 2


def test_rejecting_a_held_refund_frees_its_place(shop):
    customer, staff, _, refund_id = held(shop)
    assert (
        shop.run("refund", shop.ticket(customer), customer, order_number=shop.order(customer)).outcome
        == "done"
    )
    blocked = shop.run("refund", shop.ticket(customer), customer, order_number=shop.order(customer))
    assert blocked.reason_code == "refund_limit_reached"
    reject_held(refund_id, staff, "Customer kept the TV.")
    freed = shop.run("refund", shop.ticket(customer), customer, order_number=shop.order(customer))
    assert freed.outcome == "done"


def test_approval_is_not_blocked_by_refunds_made_after_the_hold(shop):
    # The issue's case: two refunds were issued after the hold (before the held one took a place),
    # filling the limit now; the held refund was first, so it is approved.
    customer, staff, _, refund_id = held(shop)
    for minutes in (1, 2):
        issued_refund(customer, shop.order(customer), minutes)
    result = approve_held(refund_id, staff, now=utcnow() + timedelta(minutes=5))
    assert (result.outcome, db.session.get(Refund, refund_id).status) == ("done", "issued")


def test_approval_does_not_count_the_refund_against_itself(shop):
    customer = shop.customer()
    staff = shop.staff()
    issued_refund(customer, shop.order(customer), -60)  # one earlier refund: one place left
    big = shop.order(customer, total="1200.00")
    assert shop.run("refund", shop.ticket(customer), customer, order_number=big).outcome == "held"
    refund_id = db.session.scalars(select(Refund.id).where(Refund.status == "held")).one()
    assert approve_held(refund_id, staff).outcome == "done"


def test_approval_rechecks_the_limit_as_it_stood_when_held(shop):
    customer, staff, _, refund_id = held(shop)
    refund = db.session.get(Refund, refund_id)
    for minutes in (-3, -2):  # two refunds with places before the hold (e.g. imported late)
        issued_refund(customer, shop.order(customer), minutes - 1)
    refund.created_at = utcnow() - timedelta(seconds=30)
    db.session.commit()
    result = approve_held(refund_id, staff)
    assert (result.outcome, result.reason_code) == ("denied", "refund_limit_reached")
    assert db.session.get(Refund, refund_id).status == "held"


def test_approval_rechecks_the_window(shop):
    _, staff, _, refund_id = held(shop, delivered_days_ago=29)
    result = approve_held(refund_id, staff, now=utcnow() + timedelta(days=2))
    assert result.reason_code == "refund_window_expired"
    assert db.session.get(Refund, refund_id).status == "held"


def test_rejection_is_recorded_and_final(shop):
    _, staff, _, refund_id = held(shop)
    result = reject_held(refund_id, staff, "Customer kept the TV.")
    assert (result.outcome, result.reason_code) == ("denied", "rejected_by_staff")
    refund = db.session.get(Refund, refund_id)
    assert (refund.status, refund.decision_note, refund.decided_by_id) == (
        "rejected",
        "Customer kept the TV.",
        staff,
    )
    assert approve_held(refund_id, staff).reason_code == "already_rejected"
    assert reject_held(refund_id, staff).replayed
    assert ledger_count() == 0


def test_rejecting_an_issued_refund_changes_nothing(shop):
    _, staff, _, refund_id = held(shop)
    approve_held(refund_id, staff)
    result = reject_held(refund_id, staff, "too late")
    assert (result.outcome, result.reason_code) == ("done", "already_issued")
    assert db.session.get(Refund, refund_id).status == "issued"


def test_unknown_refund_and_non_staff_are_refused(shop):
    customer, _, _, refund_id = held(shop)
    with pytest.raises(LookupError):
        approve_held(987654, 1)
    with pytest.raises(PermissionError):
        approve_held(refund_id, customer)
    assert db.session.get(Refund, refund_id).status == "held"
