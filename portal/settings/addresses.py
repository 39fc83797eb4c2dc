"""The address book on Account settings: add, edit, delete, choose the default (one form per action)."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user, login_required

from portal.extensions import db
from portal.services.addresses import add_address, delete_address, edit_address, own_address, set_default
from portal.settings import bp
from portal.settings.forms import AddressActionForm, AddressEditForm, AddressForm
from portal.settings.routes import _page


def _own_or_404(address_id: int):
    row = own_address(current_user, address_id)
    if row is None:
        abort(404)
    return row


def _back():
    return redirect(url_for("settings.index") + "#addresses-heading")


@bp.route("/addresses", methods=["POST"])
@login_required
def add_saved_address():
    form = AddressForm()
    if not form.validate_on_submit():
        return _page(400, address_form=form)
    add_address(current_user, form.label.data, form.address_text.data, form.make_default.data)
    db.session.commit()
    flash(f"Address “{form.label.data.strip()}” saved.", "success")
    return _back()


@bp.route("/addresses/<int:address_id>", methods=["POST"])
@login_required
def edit_saved_address(address_id: int):
    row = _own_or_404(address_id)
    form = AddressEditForm(prefix=f"a{row.id}")
    if not form.validate_on_submit():
        return _page(400, edit_forms={row.id: form})
    edit_address(current_user, row, form.label.data, form.address_text.data, form.make_default.data)
    db.session.commit()
    flash(f"Address “{row.label}” updated.", "success")
    return _back()


@bp.route("/addresses/<int:address_id>/delete", methods=["POST"])
@login_required
def delete_saved_address(address_id: int):
    row = _own_or_404(address_id)
    if not AddressActionForm().validate_on_submit():
        abort(400)
    label = row.label
    delete_address(current_user, row)
    db.session.commit()
    flash(f"Address “{label}” deleted.", "success")
    return _back()


@bp.route("/addresses/<int:address_id>/default", methods=["POST"])
@login_required
def default_saved_address(address_id: int):
    row = _own_or_404(address_id)
    if not AddressActionForm().validate_on_submit():
        abort(400)
    set_default(current_user, row)
    db.session.commit()
    flash(f"“{row.label}” is now your default address.", "success")
    return _back()
