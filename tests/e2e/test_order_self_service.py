"""Self-service on the order page in Chromium: changing a delivery address, downloading the invoice PDF."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

NEW = "7 Canal Street, 10115 Berlin"


def stored(site, model, **where):
    with site.app.app_context():
        rows = db.session.scalars(select(model).filter_by(**where)).all()
        db.session.expunge_all()
        db.session.remove()
        return rows


def test_a_pending_order_gets_a_new_address_and_a_shipped_one_says_why_not(people, site):
    from portal.models import ActionLog, EmailOutbox, Order

    casey = people("customer@example.com")
    page = casey.page
    casey.go("/orders/A1001")
    page.fill("#new_address", NEW)
    page.click("input[type=submit][value='Change delivery address']")
    page.wait_for_selector("text=We emailed you a confirmation")
    assert page.locator("#delivery-address").inner_text() == NEW
    casey.shot("order-address-changed")
    assert stored(site, Order, number="A1001")[0].delivery_address == NEW
    assert [row.actor_kind for row in stored(site, ActionLog, tool="change_address")] == ["customer"]
    assert len(stored(site, EmailOutbox, event="address_changed")) == 1

    casey.go("/orders/A1002")
    refusal = page.locator("#address-refusal").inner_text()
    assert "has already shipped, so its delivery address can no longer be changed" in refusal
    assert page.locator("#new_address").count() == 0
    assert casey.dialogs == []


def test_the_invoice_pdf_downloads_with_the_order_items_and_total(people, site):
    casey = people("customer@example.com")
    page = casey.page
    casey.go("/orders/A1002/invoice")
    number = page.locator("#invoice-title").inner_text().removeprefix("Invoice ")
    with page.expect_download() as download_info:
        page.click("text=Download PDF")
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert number in text and "A1002" in text
    assert "Running shoes" in text and "Sport socks" in text and "102.90 USD" in text
