"""Invoices: a number assigned once per order from the database's sequence, and the document's contents.

The number comes from the `invoices` primary key (an identity column on Postgres, AUTOINCREMENT on
SQLite), so numbers are unique and increase in the order invoices were first asked for; the
unique order_id means an order keeps the number it was given first, even when two requests race.
The same InvoiceDocument feeds the HTML page and the PDF, so they never disagree.
Known limit: a Postgres sequence does not give a value back when a transaction rolls back (the lost race
below), so numbers increase but may skip one; where the law asks for gap-free numbering, number from a
locked counter row instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.config_types import SellerSettings
from portal.extensions import db
from portal.models import Invoice, Order, RefundStatus, utcnow

CENT = Decimal("0.01")


def invoice_number(sequence: int, issued_at: datetime) -> str:
    """'INV-2026-000123': the year it was issued and the sequence number."""
    return f"INV-{issued_at.year}-{sequence:06d}"


def invoice_for(order: Order, now: datetime | None = None) -> Invoice:
    """The order's invoice, numbered on first use; commits (a number is only real once stored)."""
    existing = _find(order.id)
    if existing is not None:
        return existing
    invoice = Invoice(order_id=order.id, issued_at=now or utcnow())
    try:
        db.session.add(invoice)
        db.session.flush()  # the database hands out the next id: that is the sequence
        invoice.number = invoice_number(invoice.id, invoice.issued_at)
        db.session.commit()
    except IntegrityError:  # another request numbered this order a moment ago: keep theirs
        db.session.rollback()
        return _find(order.id)
    return invoice


def _find(order_id: int) -> Invoice | None:
    return db.session.scalar(select(Invoice).where(Invoice.order_id == order_id))


@dataclass(frozen=True)
class Line:
    name: str
    quantity: int
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class CreditNote:
    """An issued refund, shown on the invoice as a credit note against it."""

    number: str
    issued_at: datetime
    amount: Decimal
    reference: str | None
    items: list[str]


@dataclass(frozen=True)
class InvoiceDocument:
    number: str
    issued_at: datetime
    order_number: str
    order_date: datetime
    seller_name: str
    seller_address: str
    seller_vat_id: str | None
    customer_name: str
    customer_email: str
    delivery_address: str | None
    payment_method: str
    currency: str
    lines: list[Line]
    total: Decimal
    tax_rate: Decimal | None
    tax_amount: Decimal | None
    net_amount: Decimal | None
    credit_notes: list[CreditNote] = field(default_factory=list)

    @property
    def credited(self) -> Decimal:
        return sum((note.amount for note in self.credit_notes), Decimal("0.00"))

    @property
    def balance(self) -> Decimal:
        """What the customer paid in the end: the total less the credit notes."""
        return self.total - self.credited


def build_document(order: Order, invoice: Invoice, seller: SellerSettings) -> InvoiceDocument:
    """Everything an invoice shows, from the order, its issued refunds and the seller settings."""
    rate = seller.tax_rate
    tax = _included_tax(order.total, rate) if rate else None
    return InvoiceDocument(
        number=invoice.number,
        issued_at=invoice.issued_at,
        order_number=order.number,
        order_date=order.placed_at,
        seller_name=seller.name,
        seller_address=seller.address,
        seller_vat_id=seller.vat_id,
        customer_name=order.customer.name,
        customer_email=order.customer.email,
        delivery_address=order.delivery_address,
        payment_method=order.payment_method.replace("_", " ").capitalize(),
        currency=order.currency,
        lines=[Line(i.name, i.quantity, i.unit_price, i.line_total) for i in order.items],
        total=order.total,
        tax_rate=rate or None,
        tax_amount=tax,
        net_amount=order.total - tax if tax is not None else None,
        credit_notes=_credit_notes(order, invoice),
    )


def _included_tax(gross: Decimal, rate: Decimal) -> Decimal:
    # Shop prices include tax: the tax is the part of the gross above gross / (1 + rate).
    return (gross - gross / (1 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def _credit_notes(order: Order, invoice: Invoice) -> list[CreditNote]:
    issued = [refund for refund in order.refunds if refund.status == RefundStatus.ISSUED.value]
    return [
        CreditNote(
            number=f"{invoice.number}-CN{position}",
            issued_at=refund.issued_at or refund.created_at,
            amount=refund.amount,
            reference=refund.payment_reference,
            items=list(refund.items or []),
        )
        for position, refund in enumerate(issued, start=1)
    ]
