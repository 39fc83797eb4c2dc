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


def test_approval_rechecks_the_refund_limit(shop):
    customer, staff, _, refund_id = held(shop)
    for _ in range(2):  # two small refunds issued while the big one waited
        shop.run("refund", shop.ticket(customer), customer, order_number=shop.order(customer))
    result = approve_held(refund_id, staff)
    assert (result.outcome, result.reason_code) == ("denied", "refund_limit_reached")
    assert db.session.get(Refund, refund_id).status == "held"
    assert ledger_count() == 2


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
