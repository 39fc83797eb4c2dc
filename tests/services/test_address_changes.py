"""Address changes through the service layer, on SQLite and Postgres: recorded, logged, once."""

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ActionLog, AddressChange, Order


def order_row(number):
    return db.session.scalars(select(Order).where(Order.number == number)).one()


def test_a_pending_order_is_redirected_once_and_logged(shop):
    customer = shop.customer()
    number = shop.order(customer, status="pending")
    ticket = shop.ticket(customer)
    first = shop.run(
        "change_address", ticket, customer, order_number=number, address="8 Harbour Road, Bristol"
    )
    again = shop.run(
        "change_address", ticket, customer, order_number=number, address="8 Harbour Road, Bristol"
    )
    assert first.outcome == "done" and again.replayed and again.effect_id == first.effect_id
    assert again.message == first.message and "8 Harbour Road, Bristol" in first.message
    assert order_row(number).delivery_address == "8 Harbour Road, Bristol"
    change = db.session.scalars(select(AddressChange)).one()
    assert (change.old_address, change.new_address, change.ticket_id) == (
        None,
        "8 Harbour Road, Bristol",
        ticket,
    )
    decisions = [row.decision for row in db.session.scalars(select(ActionLog).order_by(ActionLog.id))]
    assert decisions == ["done", "note"]


def test_a_second_different_address_is_a_new_change_keeping_the_old_one(shop):
    customer = shop.customer()
    number = shop.order(customer, status="pending")
    ticket = shop.ticket(customer)
    shop.run("change_address", ticket, customer, order_number=number, address="8 Harbour Road, Bristol")
    shop.run("change_address", ticket, customer, order_number=number, address="21 Quay Street, Cardiff")
    assert order_row(number).delivery_address == "21 Quay Street, Cardiff"
    latest = db.session.scalars(select(AddressChange).order_by(AddressChange.id.desc())).first()
    assert latest.old_address == "8 Harbour Road, Bristol"


def test_a_shipped_order_keeps_its_address(shop):
    customer = shop.customer()
    number = shop.order(customer, status="shipped")
    result = shop.run(
        "change_address",
        shop.ticket(customer),
        customer,
        order_number=number,
        address="8 Harbour Road, Bristol",
    )
    assert (result.outcome, result.reason_code) == ("denied", "already_shipped")
    assert order_row(number).delivery_address is None
    assert db.session.scalar(select(func.count()).select_from(AddressChange)) == 0
