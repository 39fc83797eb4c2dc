"""execute() for staff: admin-only overrides with a reason, a form's request key, ownership (both engines)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ActionLog, Refund, Ticket, User
from portal.services import Actor, execute
from portal.services.overrides import Override, OverrideRefused


def admin(shop) -> int:
    user_id = shop.staff("Ada Admin")
    db.session.get(User, user_id).role = "admin"
    db.session.commit()
    return user_id


def staff_run(shop, user_id, ticket, customer, override=None, key="form-key-0000000001", **args):
    name = db.session.get(User, user_id).name
    return execute(
        "refund",
        ticket_id=ticket,
        customer_id=customer,
        args=args,
        actor=Actor.staff(user_id, name),
        override=override,
        request_key=key,
    )


WINDOW = Override(frozenset({"window"}), "Parcel was stuck at customs for weeks.")


def test_only_an_admin_may_override(shop):
    customer = shop.customer()
    number = shop.order(customer, delivered_days_ago=45)
    with pytest.raises(OverrideRefused):
        staff_run(shop, shop.staff(), shop.ticket(customer), customer, WINDOW, order_number=number)
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


def test_an_override_needs_a_reason():
    with pytest.raises(ValueError):
        Override(frozenset({"window"}), "  ")
    with pytest.raises(ValueError):
        Override(frozenset({"everything"}), "A long enough reason.")


def test_an_admin_override_is_applied_and_logged(shop):
    customer, boss = shop.customer(), admin(shop)
    number = shop.order(customer, delivered_days_ago=45)
    ticket = shop.ticket(customer)
    assert staff_run(shop, boss, ticket, customer, order_number=number).reason_code == "refund_window_expired"
    result = staff_run(shop, boss, ticket, customer, WINDOW, key="form-key-0000000002", order_number=number)
    assert result.outcome == "done"
    row = db.session.scalars(select(ActionLog).where(ActionLog.decision == "done")).one()
    assert (row.actor_name, row.reason_code, row.arguments["override"]) == (
        "Ada Admin",
        "admin_override",
        ["window"],
    )
    assert "customs" in row.detail and "customs" in row.arguments["override_reason"]


def test_the_same_form_twice_is_one_effect_and_a_new_form_is_checked_again(shop):
    customer, staff = shop.customer(), shop.staff()
    number, ticket = shop.order(customer), shop.ticket(customer)
    first = staff_run(shop, staff, ticket, customer, order_number=number)
    again = staff_run(shop, staff, ticket, customer, order_number=number)
    fresh = staff_run(shop, staff, ticket, customer, key="form-key-0000000009", order_number=number)
    assert (first.outcome, again.replayed, again.effect_id == first.effect_id) == ("done", True, True)
    assert (fresh.outcome, fresh.reason_code) == ("denied", "already_refunded")
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1


def test_another_customers_order_is_not_found(shop):
    customer, other, staff = shop.customer(), shop.customer("Bob"), shop.staff()
    number = shop.order(other)
    result = staff_run(shop, staff, shop.ticket(customer), customer, order_number=number)
    assert (result.outcome, result.reason_code) == ("denied", "order_not_found")
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 0


def test_a_staff_refusal_does_not_re_escalate_the_ticket(shop):
    customer, staff = shop.customer(), shop.staff()
    ticket = shop.ticket(customer)
    for _ in range(2):
        staff_run(shop, staff, ticket, customer, key=f"form-key-{_:012d}", order_number=shop.order(customer))
    result = staff_run(
        shop, staff, ticket, customer, key="form-key-limit000001", order_number=shop.order(customer)
    )
    assert result.reason_code == "refund_limit_reached"
    assert db.session.get(Ticket, ticket).status != "escalated"
