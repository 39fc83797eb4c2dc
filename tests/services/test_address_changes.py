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


def test_an_agent_address_change_emails_the_customer_once(shop):
    from portal.models import EmailOutbox

    customer = shop.customer()
    number = shop.order(customer, status="pending")
    ticket = shop.ticket(customer)
    for _ in range(2):  # the replay must not send a second confirmation
        shop.run("change_address", ticket, customer, order_number=number, address="8 Harbour Road, Bristol")
    rows = db.session.scalars(select(EmailOutbox).where(EmailOutbox.event == "address_changed")).all()
    assert len(rows) == 1 and rows[0].ticket_id == ticket
    assert number in rows[0].subject and "8 Harbour Road, Bristol" in rows[0].text_body
    assert "always sent" in rows[0].text_body


def test_a_refused_address_change_sends_no_email(shop):
    from portal.models import EmailOutbox

    customer = shop.customer()
    number = shop.order(customer, status="shipped")
    shop.run("change_address", shop.ticket(customer), customer, order_number=number, address="8 Harbour Road")
    assert db.session.scalar(select(func.count()).select_from(EmailOutbox)) == 0
