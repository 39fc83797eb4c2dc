"""The invoice as a PDF, drawn with fpdf2 from the same InvoiceDocument as the HTML page.

fpdf2's built-in Helvetica covers Latin-1 only; anything outside it (an emoji in a name, a Cyrillic
address) is replaced rather than failing the download. Embedding a Unicode TTF would fix that at the
cost of shipping a font file.
"""

from __future__ import annotations

from decimal import Decimal

from fpdf import FPDF

from portal.services.invoices import InvoiceDocument

_WIDTHS = (95, 20, 35, 35)  # item, qty, unit price, amount (mm, on a 185 mm text width)
_SUBSTITUTES = {"\u2014": "-", "\u2013": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
                "\u201d": '"', "\u2026": "...", "\u20ac": "EUR"}  # fmt: skip


def latin1(text: object) -> str:
    """Text the core fonts can draw: common punctuation mapped, anything else replaced by '?'."""
    value = "".join(_SUBSTITUTES.get(char, char) for char in str(text))
    return value.encode("latin-1", "replace").decode("latin-1")


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f} {currency}"


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice as PDF bytes."""
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(f"Invoice {doc.number}"))
    pdf.set_author(latin1(doc.seller_name))
    pdf.set_margins(12, 12, 12)
    pdf.add_page()
    _header(pdf, doc)
    _lines(pdf, doc)
    _totals(pdf, doc)
    _credit_notes(pdf, doc)
    return bytes(pdf.output())


def _text(pdf: FPDF, text: str, size: int = 10, style: str = "", height: float = 5) -> None:
    pdf.set_font("Helvetica", style, size)
    pdf.multi_cell(0, height, latin1(text), new_x="LMARGIN", new_y="NEXT")


def _header(pdf: FPDF, doc: InvoiceDocument) -> None:
    _text(pdf, doc.seller_name, 12, "B")
    _text(pdf, doc.seller_address)
    if doc.seller_vat_id:
        _text(pdf, f"VAT ID: {doc.seller_vat_id}")
    pdf.ln(6)
    _text(pdf, f"Invoice {doc.number}", 16, "B", 8)
    _text(pdf, f"Invoice date: {doc.issued_at:%d %B %Y}")
    _text(pdf, f"Order: {doc.order_number} of {doc.order_date:%d %B %Y}")
    _text(pdf, f"Billed to: {doc.customer_name}, {doc.customer_email}")
    if doc.delivery_address:
        _text(pdf, f"Delivered to: {doc.delivery_address}")
    _text(pdf, f"Paid with: {doc.payment_method}")
    pdf.ln(4)


def _row(pdf: FPDF, cells: tuple[str, ...], style: str = "") -> None:
    pdf.set_font("Helvetica", style, 10)
    for index, (width, cell) in enumerate(zip(_WIDTHS, cells, strict=True)):
        pdf.cell(width, 7, latin1(cell), border="B", align="L" if index == 0 else "R")
    pdf.ln()


def _lines(pdf: FPDF, doc: InvoiceDocument) -> None:
    _row(pdf, ("Item", "Qty", "Unit price", "Amount"), "B")
    for line in doc.lines:
        name = line.name if len(line.name) <= 60 else line.name[:57] + "..."
        unit, amount = money(line.unit_price, doc.currency), money(line.amount, doc.currency)
        _row(pdf, (name, str(line.quantity), unit, amount))


def _total_row(pdf: FPDF, label: str, amount: str, style: str = "") -> None:
    pdf.set_font("Helvetica", style, 10)
    pdf.cell(sum(_WIDTHS[:3]), 7, latin1(label), align="R")
    pdf.cell(_WIDTHS[3], 7, latin1(amount), align="R", new_x="LMARGIN", new_y="NEXT")


def _totals(pdf: FPDF, doc: InvoiceDocument) -> None:
    if doc.tax_amount is not None:
        _total_row(pdf, "Net amount", money(doc.net_amount, doc.currency))
        _total_row(pdf, f"Tax {doc.tax_rate * 100:g}% (included)", money(doc.tax_amount, doc.currency))
    _total_row(pdf, "Total", money(doc.total, doc.currency), "B")


def _credit_notes(pdf: FPDF, doc: InvoiceDocument) -> None:
    if not doc.credit_notes:
        return
    pdf.ln(6)
    _text(pdf, "Credit notes", 12, "B", 7)
    for note in doc.credit_notes:
        items = f" ({', '.join(note.items)})" if note.items else ""
        reference = f", reference {note.reference}" if note.reference else ""
        text = f"{note.number} of {note.issued_at:%d %B %Y}{items}{reference}"
        _total_row(pdf, text, "-" + money(note.amount, doc.currency))
    _total_row(pdf, "Balance after credit notes", money(doc.balance, doc.currency), "B")
