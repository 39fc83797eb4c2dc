"""Object-level access: a customer only ever reaches their own rows; anything else is a 404."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.extensions import db
from portal.models import Order, Ticket
from tools.invoice import has_invoice


def own_order_or_404(number: str) -> Order:
    order = db.session.scalar(
        select(Order).where(Order.number == number, Order.customer_id == current_user.id)
    )
    if order is None:
        abort(404)
    return order


def own_invoiced_order_or_404(number: str) -> Order:
    """The customer's own order when it has an invoice (the invoice tool's rule), else 404."""
    order = own_order_or_404(number)
    if not has_invoice(order.status):
        abort(404)
    return order


def own_ticket_or_404(reference: str) -> Ticket:
    ticket = db.session.scalar(
        select(Ticket).where(Ticket.reference == reference, Ticket.customer_id == current_user.id)
    )
    if ticket is None:
        abort(404)
    return ticket


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapper
