"""The home page and the customer's orders."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.access import own_order_or_404
from portal.extensions import db
from portal.main import bp
from portal.models import Order, Ticket


@bp.route("/")
@login_required
def home():
    if current_user.is_staff:
        return render_template("main/staff_home.html", counts=_ticket_counts())
    orders = db.session.scalars(
        select(Order).where(Order.customer_id == current_user.id).order_by(Order.placed_at.desc()).limit(10)
    ).all()
    tickets = db.session.scalars(
        select(Ticket).where(Ticket.customer_id == current_user.id).order_by(Ticket.created_at.desc()).limit(10)
    ).all()
    return render_template("main/home.html", orders=orders, tickets=tickets)


def _ticket_counts() -> dict[str, int]:
    rows = db.session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
    return {status: count for status, count in rows}


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
    return render_template("main/order_detail.html", order=order)


@bp.route("/healthz")
def healthz():
    db.session.execute(select(1))
    return {"status": "ok"}
