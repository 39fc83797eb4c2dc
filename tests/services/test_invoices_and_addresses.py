"""Invoice numbers and the address book's one-default rule, on SQLite and Postgres."""

import re
import threading
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.config_types import SellerSettings
from portal.extensions import db
from portal.models import Invoice, Order, User, UserAddress
from portal.services.addresses import add_address, delete_address, set_default
from portal.services.invoices import build_document, invoice_for, invoice_number


def order_row(number):
    return db.session.scalars(select(Order).where(Order.number == number)).one()


def test_the_number_format():
    assert invoice_number(123, datetime(2026, 5, 1, tzinfo=UTC)) == "INV-2026-000123"


def test_numbers_follow_the_database_sequence_and_never_change(shop):
    customer = shop.customer()
    orders = [order_row(shop.order(customer)) for _ in range(3)]
    numbers = [invoice_for(order).number for order in orders]
    sequences = [int(number.rsplit("-", 1)[1]) for number in numbers]
    assert all(re.fullmatch(r"INV-\d{4}-\d{6}", number) for number in numbers)
    assert sequences == list(range(sequences[0], sequences[0] + 3))
    assert [invoice_for(order).number for order in orders] == numbers  # assigned once
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 3


def test_the_database_refuses_a_second_invoice_for_an_order(shop):
    order = order_row(shop.order(shop.customer()))
    invoice_for(order)
    db.session.add(Invoice(order_id=order.id, number="INV-2026-999999", issued_at=datetime.now(UTC)))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.postgres
def test_concurrent_first_requests_share_one_number(pg_app):
    """Two requests numbering the same order at once: one number, both see it (the unique order_id)."""
    from tests.services.conftest import Shop

    with pg_app.app_context():
        number = Shop(pg_app).order(Shop(pg_app).customer())
        db.session.remove()
    seen, barrier = [], threading.Barrier(2)

    def request():
        with pg_app.app_context():
            order = order_row(number)
            barrier.wait()
            seen.append(invoice_for(order).number)
            db.session.remove()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(seen) == 2 and seen[0] == seen[1]


def test_the_document_carries_tax_and_seller(shop):
    order = order_row(shop.order(shop.customer(), total="119.00"))
    seller = SellerSettings(name="Acme", address="1 Road", vat_id=None, tax_rate=None)
    plain = build_document(order, invoice_for(order), seller)
    assert (plain.tax_amount, plain.net_amount, plain.seller_name) == (None, None, "Acme")
    taxed = build_document(order, invoice_for(order), replace(seller, tax_rate=Decimal("0.19")))
    assert (taxed.tax_amount, taxed.net_amount) == (Decimal("19.00"), Decimal("100.00"))


def test_one_default_address_per_customer(shop):
    user = db.session.get(User, shop.customer())
    home = add_address(user, "Home", "1 Home Road, Berlin", make_default=False)
    work = add_address(user, "Work", "2 Work Road, Berlin", make_default=False)
    db.session.commit()
    assert (home.is_default, work.is_default) == (True, False)  # the first is the default
    set_default(user, work)
    db.session.commit()
    assert (home.is_default, work.is_default) == (False, True)
    home.is_default = True
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    delete_address(user, db.session.get(UserAddress, work.id))
    db.session.commit()
    assert db.session.get(UserAddress, home.id).is_default is True
