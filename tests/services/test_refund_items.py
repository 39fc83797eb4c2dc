"""Refunds per item: an order line's refunded units never exceed what was bought, whichever ticket, staff
decision or parallel job asks; a held refund reserves its units until it is rejected."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import Order, OrderItem, Refund, RefundItem
from portal.services import Actor, approve_held, execute, reject_held

ITEMS = [("Mug", 1, "30.00"), ("Plate", 2, "12.00")]  # total 54.00


def _order(shop, customer, items=ITEMS, total="54.00"):
    return shop.order(customer, total=total, items=items)


def _refund(shop, customer, number, *items):
    args = {"order_number": number}
    if items:
        args["item_names"] = list(items)
    return shop.run("refund", shop.ticket(customer), customer, **args)


def _refunded_units(number) -> dict[str, int]:
    db.session.expire_all()
    order = db.session.scalars(select(Order).where(Order.number == number)).one()
    return {item.name: item.refunded_quantity for item in order.items}


def test_the_same_item_from_a_second_ticket_is_refused(shop):
    customer = shop.customer()
    number = _order(shop, customer)
    first = _refund(shop, customer, number, "mug")
    second = _refund(shop, customer, number, "Mug")
    assert (first.outcome, first.amount) == ("done", Decimal("30.00"))
    assert "Mug" in first.message
    assert (second.outcome, second.reason_code) == ("denied", "item_already_refunded")
    assert second.message.startswith(f"The Mug from order {number} has already been refunded")
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1
    assert _refunded_units(number) == {"Mug": 1, "Plate": 0}


def test_a_line_with_several_units_is_refunded_once_in_full(shop):
    customer = shop.customer()
    number = _order(shop, customer)
    assert _refund(shop, customer, number, "plate").amount == Decimal("24.00")
    assert _refund(shop, customer, number, "plate").reason_code == "item_already_refunded"
    assert _refunded_units(number) == {"Mug": 0, "Plate": 2}


def test_a_whole_order_refund_after_an_item_refunds_only_the_rest(shop):
    customer = shop.customer()
    number = _order(shop, customer)
    _refund(shop, customer, number, "mug")
    rest = _refund(shop, customer, number)
    assert (rest.outcome, rest.amount) == ("done", Decimal("24.00"))
    assert _refunded_units(number) == {"Mug": 1, "Plate": 2}
    assert db.session.scalars(select(Order.status).where(Order.number == number)).one() == "refunded"
    lines = db.session.scalars(select(RefundItem).where(RefundItem.refund_id == rest.effect_id)).all()
    assert [line.quantity for line in lines] == [2]  # the plates only: the mug was refunded before


def test_a_held_refund_reserves_its_item_until_rejected(shop):
    customer, staff = shop.customer(), shop.staff()
    number = _order(shop, customer, items=[("Lamp", 1, "900.00"), ("Mug", 1, "30.00")], total="930.00")
    held = _refund(shop, customer, number, "lamp")
    assert held.outcome == "held" and f"for Lamp from order {number}" in held.message
    blocked = _refund(shop, customer, number, "lamp")
    assert (blocked.outcome, blocked.reason_code) == ("denied", "item_already_refunded")
    assert "waiting for review" in blocked.message
    whole = _refund(shop, customer, number)  # the rest of the order: the lamp is taken
    assert (whole.outcome, whole.amount) == ("done", Decimal("30.00"))
    reject_held(held.effect_id, staff, "Lamp not returned.")
    assert _refunded_units(number) == {"Lamp": 0, "Mug": 1}
    again = _refund(shop, customer, number, "lamp")
    assert (again.outcome, again.amount) == ("held", Decimal("900.00"))
    assert approve_held(again.effect_id, staff).outcome == "done"
    assert _refunded_units(number) == {"Lamp": 1, "Mug": 1}


def test_approving_a_held_whole_order_refund_is_not_blocked_by_its_own_reservation(shop):
    customer, staff = shop.customer(), shop.staff()
    number = _order(shop, customer, items=[("Sofa", 1, "1200.00")], total="1200.00")
    held = _refund(shop, customer, number)
    assert _refund(shop, customer, number, "sofa").reason_code == "refund_pending_review"
    assert _refund(shop, customer, number).reason_code == "refund_pending_review"
    approved = approve_held(held.effect_id, staff)
    assert (approved.outcome, approved.amount) == ("done", Decimal("1200.00"))
    assert _refunded_units(number) == {"Sofa": 1}


def test_the_database_refuses_more_units_than_were_bought(shop):
    customer = shop.customer()
    number = _order(shop, customer)
    with pytest.raises(IntegrityError):
        db.session.execute(update(OrderItem).where(OrderItem.name == "Mug").values(refunded_quantity=2))
        db.session.flush()
    db.session.rollback()
    assert _refunded_units(number)["Mug"] == 0


def _attempt(app, ticket_id, customer_id, number, barrier):
    with app.app_context():
        try:
            barrier.wait(timeout=30)
            result = execute(
                "refund",
                ticket_id=ticket_id,
                customer_id=customer_id,
                args={"order_number": number, "item_names": ["mug"]},
                actor=Actor.agent(None),
            )
            return result.outcome, result.reason_code
        finally:
            db.session.remove()


def test_parallel_tickets_refunding_the_same_item_issue_exactly_one(shop):
    customer = shop.customer()
    number = _order(shop, customer)
    jobs = [(shop.ticket(customer), customer, number) for _ in range(8)]
    db.session.remove()
    barrier = threading.Barrier(len(jobs))
    with ThreadPoolExecutor(len(jobs)) as pool:
        outcomes = list(pool.map(lambda job: _attempt(shop.app, *job, barrier), jobs))
    assert sorted(outcomes) == [("denied", "item_already_refunded")] * 7 + [("done", None)]
    assert db.session.scalar(select(func.sum(Refund.amount))) == Decimal("30.00")
    assert _refunded_units(number) == {"Mug": 1, "Plate": 0}
