"""Self-service on the order page: delivery address, address book, invoice numbers and PDF, tracking."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.config import get_settings
from portal.extensions import db
from portal.models import (
    ActionLog,
    AddressChange,
    EmailOutbox,
    Invoice,
    Order,
    Refund,
    Replacement,
    User,
    UserAddress,
)
from portal.services.tracking import add_business_days
from tests.overrides import override_settings

NEW = "7 Canal Street, 10115 Berlin"


def order(number: str) -> Order:
    return db.session.scalar(select(Order).where(Order.number == number))


def casey() -> User:
    return db.session.scalar(select(User).where(User.email == "customer@example.com"))


def save_address(label: str, address: str, default: bool = False) -> int:
    row = UserAddress(user_id=casey().id, label=label, address=address, is_default=default)
    db.session.add(row)
    db.session.commit()
    return row.id


# --- 1. delivery address ------------------------------------------------------------------------------------


def test_a_pending_order_gets_the_new_address_logged_and_confirmed(customer, demo):
    response = customer.post("/orders/A1001/address", data={"new_address": NEW}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and NEW in page and "We emailed you a confirmation" in page
    with demo.app_context():
        assert order("A1001").delivery_address == NEW
        log = db.session.scalars(select(ActionLog).where(ActionLog.tool == "change_address")).one()
        assert (log.decision, log.actor_kind, log.actor_id, log.order_number) == (
            "done",
            "customer",
            casey().id,
            "A1001",
        )
        assert log.ticket_id is None
        mail = db.session.scalars(select(EmailOutbox).where(EmailOutbox.event == "address_changed")).one()
        assert mail.to_address == "customer@example.com" and NEW in mail.text_body and "A1001" in mail.subject


def test_a_shipped_order_shows_why_not_and_refuses_the_form(customer, demo):
    page = customer.get("/orders/A1002").get_data(as_text=True)
    assert "has already shipped, so its delivery address can no longer be changed" in page
    assert "/orders/A1002/address" not in page  # no form to fill in
    response = customer.post("/orders/A1002/address", data={"new_address": NEW})
    assert response.status_code == 400
    assert "has already shipped" in response.get_data(as_text=True)
    with demo.app_context():
        assert order("A1002").delivery_address != NEW
        log = db.session.scalars(select(ActionLog).where(ActionLog.tool == "change_address")).one()
        assert (log.decision, log.reason_code, log.actor_kind) == ("denied", "already_shipped", "customer")
        assert db.session.scalar(select(func.count()).select_from(EmailOutbox)) == 0


def test_another_customers_order_is_not_found_and_untouched(customer, demo):
    response = customer.post("/orders/B2002/address", data={"new_address": NEW})
    assert response.status_code == 404 and NEW not in response.get_data(as_text=True)
    with demo.app_context():
        assert order("B2002").delivery_address != NEW
        assert db.session.scalar(select(func.count()).select_from(AddressChange)) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"new_address": ""}, "Choose a saved address or type the new one."),
        ({"new_address": "x" * 201}, "Field cannot be longer than 200 characters."),
        ({"new_address": "short"}, "Please send the full new delivery address"),
        ({"saved_address": "999999"}, "Not a valid choice"),
    ],
)
def test_bad_address_input_gets_a_clear_message(customer, demo, data, message):
    response = customer.post("/orders/A1001/address", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with demo.app_context():
        assert order("A1001").delivery_address is None or order("A1001").delivery_address != NEW


def test_the_form_offers_saved_addresses_and_uses_the_chosen_one(customer, demo):
    with demo.app_context():
        save_address("Home", "1 Home Road, 10115 Berlin")
        office = save_address("Office", "5 Office Park, 10117 Berlin", default=True)
        other = UserAddress(
            user_id=db.session.scalar(select(User.id).where(User.email == "second@example.com")),
            label="Sam's",
            address="99 Elsewhere Avenue, Hamburg",
        )
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    page = customer.get("/orders/A1001").get_data(as_text=True)
    assert "Home: 1 Home Road, 10115 Berlin" in page and "Office: 5 Office Park" in page
    assert re.search(rf'<option selected value="{office}">', page)  # the default comes first chosen
    assert "99 Elsewhere Avenue" not in page
    refused = customer.post("/orders/A1001/address", data={"saved_address": str(other_id)})
    assert refused.status_code == 400  # someone else's saved address is not a choice
    customer.post("/orders/A1001/address", data={"saved_address": str(office)})
    with demo.app_context():
        assert order("A1001").delivery_address == "5 Office Park, 10117 Berlin"
    customer.post("/orders/A1001/address", data={"saved_address": str(office), "new_address": NEW})
    with demo.app_context():
        assert order("A1001").delivery_address == NEW  # what the customer typed wins over the select


# --- 2. address book --------------------------------------------------------------------------------------


def test_address_book_add_edit_default_delete(customer, demo):
    customer.post("/settings/addresses", data={"label": "Home", "address_text": "1 Home Road, Berlin"})
    customer.post("/settings/addresses", data={"label": "Office", "address_text": "5 Office Park, Berlin"})
    with demo.app_context():
        rows = {row.label: (row.id, row.is_default) for row in casey().addresses}
    assert rows["Home"][1] is True and rows["Office"][1] is False  # the first one is the default
    office = rows["Office"][0]
    page = customer.get("/settings/").get_data(as_text=True)
    assert "Address book" in page and "1 Home Road, Berlin" in page and "Default" in page

    response = customer.post(
        f"/settings/addresses/{office}",
        data={f"a{office}-label": "Work", f"a{office}-address_text": "6 Office Park, Berlin"},
        follow_redirects=True,
    )
    assert "Address “Work” updated." in response.get_data(as_text=True)
    customer.post(f"/settings/addresses/{office}/default")
    with demo.app_context():
        rows = {row.label: (row.address, row.is_default) for row in casey().addresses}
    assert rows == {"Home": ("1 Home Road, Berlin", False), "Work": ("6 Office Park, Berlin", True)}

    customer.post(f"/settings/addresses/{office}/delete")
    with demo.app_context():
        rows = [(row.label, row.is_default) for row in casey().addresses]
    assert rows == [("Home", True)]  # the default went away: the remaining address takes over


def test_address_book_refuses_bad_input_and_other_peoples_addresses(customer, demo):
    response = customer.post("/settings/addresses", data={"label": "", "address_text": "abc"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "This field is required." in page
    assert "Field must be between 8 and 200 characters long." in page
    with demo.app_context():
        sam = db.session.scalar(select(User).where(User.email == "second@example.com"))
        theirs = UserAddress(user_id=sam.id, label="Sam's", address="99 Elsewhere Avenue, Hamburg")
        db.session.add(theirs)
        db.session.commit()
        theirs_id = theirs.id
    for path in (f"/settings/addresses/{theirs_id}", f"/settings/addresses/{theirs_id}/delete"):
        assert customer.post(path, data={"label": "Mine", "address_text": "1 Stolen Road"}).status_code == 404
    with demo.app_context():
        assert db.session.get(UserAddress, theirs_id).label == "Sam's"


def test_address_book_forms_need_a_csrf_token(customer, demo):
    with demo.app_context():
        home = save_address("Home", "1 Home Road, 10115 Berlin", default=True)
    demo.config["WTF_CSRF_ENABLED"] = True
    try:
        for path, data in [
            ("/settings/addresses", {"label": "Evil", "address_text": "1 Evil Road, Berlin"}),
            (f"/settings/addresses/{home}", {f"a{home}-label": "Evil", f"a{home}-address_text": "1 Evil Rd"}),
            (f"/settings/addresses/{home}/delete", {}),
            (f"/settings/addresses/{home}/default", {}),
            ("/orders/A1001/address", {"new_address": NEW}),
        ]:
            response = customer.post(path, data=data)
            assert response.status_code == 400 and b"CSRF token is missing" in response.data, path
        page = customer.get("/settings/").get_data(as_text=True)
        assert page.count('name="csrf_token"') >= 8  # 4 account forms, add, edit, default, delete
    finally:
        demo.config["WTF_CSRF_ENABLED"] = False
    with demo.app_context():
        assert [(row.label, row.address) for row in casey().addresses] == [
            ("Home", "1 Home Road, 10115 Berlin")
        ]
        assert order("A1001").delivery_address != NEW


def test_the_database_allows_one_default_per_customer(demo):
    from sqlalchemy.exc import IntegrityError

    with demo.app_context():
        save_address("Home", "1 Home Road, 10115 Berlin", default=True)
        db.session.add(
            UserAddress(user_id=casey().id, label="Two", address="2 Two Road, Berlin", is_default=True)
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


# --- 3. invoices ------------------------------------------------------------------------------------------


def invoice_number(page: str) -> str:
    return re.search(r"Invoice (INV-\d{4}-\d{6})", page).group(1)


def test_invoice_numbers_are_sequential_and_stable(customer, demo):
    first = invoice_number(customer.get("/orders/A1004/invoice").get_data(as_text=True))
    second = invoice_number(customer.get("/orders/A1003/invoice").get_data(as_text=True))
    again = invoice_number(customer.get("/orders/A1004/invoice").get_data(as_text=True))
    assert again == first
    year, sequence = first.split("-")[1], int(first.split("-")[2])
    assert second == f"INV-{year}-{sequence + 1:06d}"
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invoice)) == 2


def test_the_invoice_shows_seller_details_and_tax_when_configured(customer, demo):
    override_settings(demo, SELLER_NAME="Acme Goods GmbH", SELLER_ADDRESS="2 Market Square, Leipzig",
                      SELLER_VAT_ID="DE123456789", TAX_RATE=Decimal("0.19"))  # fmt: skip
    page = customer.get("/orders/A1004/invoice").get_data(as_text=True)
    assert "Acme Goods GmbH" in page and "2 Market Square, Leipzig" in page and "VAT ID DE123456789" in page
    # 44.00 gross at 19 % included: 7.03 tax, 36.97 net.
    assert "Tax 19% (included)" in page and "7.03 USD" in page and "36.97 USD" in page
    override_settings(demo, TAX_RATE=None)
    assert "Tax " not in customer.get("/orders/A1004/invoice").get_data(as_text=True)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_has_the_order_items_total_and_credit_notes(customer):
    response = customer.get("/orders/A1005/invoice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    number = invoice_number(customer.get("/orders/A1005/invoice").get_data(as_text=True))
    assert f'filename="{number}.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert number in text and "A1005" in text and "Phone case" in text and "19.99 USD" in text
    assert f"{number}-CN1" in text and "Balance after credit notes" in text and "0.00 USD" in text


def test_the_pdf_lists_every_line_and_the_total(customer):
    text = pdf_text(customer.get("/orders/A1002/invoice.pdf").data)
    assert "Running shoes" in text and "Sport socks" in text and "6.50 USD" in text
    assert "Total" in text and "102.90 USD" in text and "Credit notes" not in text


def test_no_pdf_for_a_cancelled_or_foreign_order(customer):
    assert customer.get("/orders/A1006/invoice.pdf").status_code == 404
    assert customer.get("/orders/B2001/invoice.pdf").status_code == 404


# --- 4. tracking ------------------------------------------------------------------------------------------


def test_business_days_skip_weekends():
    friday = datetime(2026, 12, 4, tzinfo=UTC).date()
    assert add_business_days(friday, 1) == datetime(2026, 12, 7, tzinfo=UTC).date()
    assert add_business_days(friday, 0) == friday


def test_tracking_shows_refunds_with_expected_arrival_from_the_limits(customer, demo):
    issued = datetime(2026, 11, 30, 10, tzinfo=UTC)  # a Monday
    with demo.app_context():
        a1003 = order("A1003")
        db.session.add(
            Refund(idempotency_key="t:a1003", order_id=a1003.id, customer_id=a1003.customer_id,
                   amount=Decimal("42.00"), currency="USD", method="paypal", status="issued",
                   payment_reference="LE-TRACK1", created_at=issued, issued_at=issued)
        )  # fmt: skip
        db.session.add(
            Replacement(idempotency_key="t:a1003r", order_id=a1003.id, customer_id=a1003.customer_id,
                        reason="damaged", items=["Wireless headphones"], shipment_reference="RP-TRACK2",
                        created_at=issued)
        )  # fmt: skip
        db.session.commit()
        low, high = get_settings(demo).policy.refund_days["paypal"]
    page = customer.get("/orders/A1003").get_data(as_text=True)
    earliest, latest = add_business_days(issued.date(), low), add_business_days(issued.date(), high)
    assert "LE-TRACK1" in page and "RP-TRACK2" in page and "your PayPal account" in page
    assert f"Between {earliest:%d %b} and {latest:%d %b %Y}" in page
    assert "Being shipped" in page and "Issued" in page


def test_tracking_follows_the_configured_limits(customer, demo):
    """The window is the limits' refund_days, not a number written in a template."""
    override_settings(demo, REFUND_DAYS_CARD=(1, 2), REFUND_DAYS_PAYPAL=(1, 1), REFUND_DAYS_GIFT_CARD=(3, 4))
    page = customer.get("/orders/A1005").get_data(as_text=True)  # a gift-card refund in the demo data
    with demo.app_context():
        refund = db.session.scalars(select(Refund).where(Refund.order_id == order("A1005").id)).one()
        start = (refund.issued_at or refund.created_at).date()
    assert f"Between {add_business_days(start, 3):%d %b} and {add_business_days(start, 4):%d %b %Y}" in page
