"""Privacy requests handled for a customer by staff (the desk's staff-only guard covers these too).

A customer who cannot use the self-service page (no access to the account, a request by letter) asks
support: staff export the data or close the account, and the action log names them as the actor.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from portal.auth.routes import safe_next_url
from portal.desk import bp
from portal.desk.forms import CustomerCloseForm, CustomerExportForm
from portal.extensions import db
from portal.models import Role, User
from portal.services import privacy
from portal.services.audit import Actor
from portal.services.transaction import customer_transaction
from portal.settings.export import json_download


def _customer_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role != Role.CUSTOMER.value:
        abort(404)  # staff accounts are managed on the admin users page, never anonymised
    return user


def _actor() -> Actor:
    return Actor.staff(current_user.id, current_user.name)


@bp.route("/customers/<int(max=2147483647):user_id>/export", methods=["POST"])
def export_customer(user_id: int):
    customer = _customer_or_404(user_id)
    if not CustomerExportForm().validate_on_submit():
        abort(400)
    data = privacy.export_customer_data(customer)
    privacy.log_export(customer, _actor())
    db.session.commit()
    return json_download(data, customer.id)


@bp.route("/customers/<int(max=2147483647):user_id>/close", methods=["POST"])
def close_customer(user_id: int):
    customer = _customer_or_404(user_id)
    form = CustomerCloseForm()
    back = redirect(safe_next_url(form.next.data or url_for("desk.queue")))
    if not form.validate_on_submit():
        flash(_first_error(form), "danger")
        return back
    try:
        with customer_transaction(customer.id):
            privacy.close_account(customer, _actor())
    except privacy.PrivacyError as exc:
        flash(str(exc), "warning")
        return back
    flash(f"Account {customer.id} is closed and its personal data anonymised.", "success")
    return back


def _first_error(form) -> str:
    for errors in form.errors.values():
        return errors[0]
    return "Please try again."
