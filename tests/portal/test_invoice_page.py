"""The invoice page the invoice tool points to: the customer's own paid orders, printable."""

import re


def test_invoice_lists_items_total_and_refunds(customer):
    page = customer.get("/orders/A1005/invoice").get_data(as_text=True)
    assert re.search(r"Invoice INV-\d{4}-\d{6}", page) and "Phone case" in page
    assert "19.99 USD" in page and "Credit note INV-" in page and "&minus;19.99 USD" in page
    # Printable without inline code (the CSP forbids it): a static script and a print stylesheet.
    assert "data-print-page" in page and "/static/print-button.js" in page
    assert "/static/invoice-print.css" in page
    assert "/orders/A1005/invoice.pdf" in page


def test_the_order_page_links_to_its_invoice(customer):
    assert "/orders/A1004/invoice" in customer.get("/orders/A1004").get_data(as_text=True)
    assert "/orders/A1006/invoice" not in customer.get("/orders/A1006").get_data(as_text=True)


def test_no_invoice_for_a_cancelled_or_foreign_order(customer):
    assert customer.get("/orders/A1006/invoice").status_code == 404
    assert customer.get("/orders/B2001/invoice").status_code == 404
