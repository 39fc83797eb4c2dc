"""Changing an order's delivery address, and its invoice as a PDF download."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.auth.access import own_invoiced_order_or_404, own_order_or_404
from portal.config import settings
from portal.orders import bp
from portal.orders.forms import NEW_ADDRESS, AddressChangeForm
from portal.orders.page import order_page_context
from portal.orders.pdf import render_invoice_pdf
from portal.services.actions import execute
from portal.services.addresses import own_address
from portal.services.audit import Actor
from portal.services.invoices import build_document, invoice_for


@bp.route("/<number>/address", methods=["POST"])
@login_required
def change_address(number: str):
    """The same service and limits as the agent's change_address tool, with the customer as the actor."""
    order = own_order_or_404(number)
    form = AddressChangeForm().offer(current_user.addresses)
    if not form.validate_on_submit():
        return _order_page(order, form), 400
    result = execute(
        "change_address",
        ticket_id=None,
        customer_id=current_user.id,
        args={"order_number": order.number, "address": _chosen_address(form)},
        actor=Actor.customer(current_user.id, current_user.name),
    )
    if result.outcome != "done":
        flash(result.message, "danger")
        return _order_page(order), 400
    flash(result.message + " We emailed you a confirmation.", "success")
    return redirect(url_for("main.order_detail", number=order.number))


def _chosen_address(form: AddressChangeForm) -> str:
    # Text typed in wins over the select, which starts on the default address: typing is deliberate.
    if (form.new_address.data or "").strip() or form.saved_address.data == NEW_ADDRESS:
        return form.new_address.data
    saved = own_address(current_user, int(form.saved_address.data))  # the choices are the user's own
    return saved.address


def _order_page(order, form: AddressChangeForm | None = None) -> str:
    return render_template("main/order_detail.html", **order_page_context(order, form))


@bp.route("/<number>/invoice.pdf")
@login_required
def invoice_pdf(number: str):
    order = own_invoiced_order_or_404(number)
    invoice = invoice_for(order)
    document = build_document(order, invoice, settings().seller)
    filename = f"{invoice.number}.pdf"
    return Response(
        render_invoice_pdf(document),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
