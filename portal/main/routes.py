"""The home page and the customer's orders."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.auth.access import own_invoiced_order_or_404, own_order_or_404
from portal.auth.forms import ResendVerificationForm
from portal.config import settings
from portal.extensions import db
from portal.main import bp
from portal.models import Order, Ticket
from portal.orders.page import order_page_context
from portal.services.invoices import build_document, invoice_for


@bp.route("/")
@login_required
def home():
    if current_user.is_staff:
        return redirect(url_for("desk.queue"))  # staff land on the queue of tickets that need a person
    orders = db.session.scalars(
        select(Order).where(Order.customer_id == current_user.id).order_by(Order.placed_at.desc()).limit(10)
    ).all()
    tickets = db.session.scalars(
        select(Ticket)
        .where(Ticket.customer_id == current_user.id)
        .order_by(Ticket.created_at.desc())
        .limit(10)
    ).all()
    resend = ResendVerificationForm(formdata=None) if current_user.email_verified_at is None else None
    return render_template("main/home.html", orders=orders, tickets=tickets, resend_form=resend)


@bp.route("/orders")
@login_required
def orders():
    rows = db.session.scalars(
        select(Order)
        .where(Order.customer_id == current_user.id)
        .options(selectinload(Order.items))
        .order_by(Order.placed_at.desc())
    ).all()
    return render_template("main/orders.html", orders=rows)


@bp.route("/orders/<number>")
@login_required
def order_detail(number: str):
    order = own_order_or_404(number)
    return render_template("main/order_detail.html", **order_page_context(order))


@bp.route("/orders/<number>/invoice")
@login_required
def order_invoice(number: str):
    """The order's invoice, a page made to be printed or saved as PDF from the browser."""
    order = own_invoiced_order_or_404(number)
    invoice = invoice_for(order)
    document = build_document(order, invoice, settings().seller)
    return render_template("main/invoice.html", order=order, invoice=document)


@bp.route("/healthz")
def healthz():
    """Liveness: the process answers and reaches its database."""
    db.session.execute(select(1))
    return {"status": "ok"}


@bp.route("/readyz")
def readyz():
    """Readiness, per dependency: 200 when the database and Redis (if configured) answer, else 503."""
    checks = {"database": _check_database(), "redis": _check_redis()}
    ready = all(state in ("ok", "not used") for state in checks.values())
    body = {"status": "ok" if ready else "degraded", **checks}
    return body, 200 if ready else 503, {"Cache-Control": "no-store"}


def _check_database() -> str:
    try:
        db.session.execute(select(1))
        return "ok"
    except Exception as exc:
        db.session.rollback()
        return f"error: {type(exc).__name__}"


def _check_redis() -> str:
    if not settings().redis.url:
        return "not used"
    from portal.jobs.queue import redis_connection

    try:
        redis_connection().ping()
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"
