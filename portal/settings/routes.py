"""Account settings: name, password, email address and email preferences, one form per action
(the address book's forms are in portal/settings/addresses.py).

Every form posts to its own URL and comes back to the one page (Post/Redirect/Get); a form with errors is
shown again on that page with a 400.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE
from sqlalchemy.exc import IntegrityError

from portal.auth.account_links import AccountLinkError, read_email_change, token_in_url
from portal.auth.accounts import EMAIL_TAKEN, change_password, email_taken, normalize_email
from portal.config import settings
from portal.extensions import db, limiter
from portal.mailer.account_mail import send_email_confirmation
from portal.models import utcnow
from portal.services import privacy
from portal.services.audit import Actor
from portal.services.transaction import customer_transaction
from portal.settings import bp
from portal.settings.export import json_download
from portal.settings.forms import (
    AddressActionForm,
    AddressEditForm,
    AddressForm,
    CloseAccountForm,
    ConfirmForm,
    EmailChangeForm,
    EmailSettingsForm,
    ExportForm,
    LogOutEverywhereForm,
    NameForm,
    PasswordChangeForm,
)


def _password_check_limit() -> str:
    # These forms check the current password: throttled like the login page, so nobody guesses it here.
    return settings().rate_limits.login


WRONG_PASSWORD = "This is not your current password."  # noqa: S105 (a message, not a secret)


def _page(status: int = 200, **forms):
    """The settings page; forms not given are fresh."""
    forms.setdefault(
        "form",
        EmailSettingsForm(
            formdata=None,
            data={"email_updates": current_user.email_updates, "newsletter": current_user.newsletter},
        ),
    )
    forms.setdefault("name_form", NameForm(formdata=None, data={"name": current_user.name}))
    forms.setdefault("password_form", PasswordChangeForm(formdata=None))
    forms.setdefault("email_form", EmailChangeForm(formdata=None))
    forms.setdefault("export_form", ExportForm(formdata=None))
    forms.setdefault("sessions_form", LogOutEverywhereForm(formdata=None))
    forms.setdefault("close_form", CloseAccountForm(formdata=None))
    forms.setdefault("address_form", AddressForm(formdata=None))
    forms["edit_forms"] = _address_edit_forms(forms.get("edit_forms") or {})
    forms.setdefault("address_action_form", AddressActionForm(formdata=None))
    return render_template("settings/index.html", **forms), status


def _address_edit_forms(given: dict) -> dict:
    """One prefilled edit form per saved address (a form that failed validation is kept as posted)."""
    forms = {}
    for row in current_user.addresses:
        data = {"label": row.label, "address_text": row.address, "make_default": row.is_default}
        forms[row.id] = given.get(row.id) or AddressEditForm(formdata=None, prefix=f"a{row.id}", data=data)
    return forms


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    if request.method == "GET":
        return _page()
    # An unticked box sends nothing: pass the posted form explicitly so "nothing" means off.
    form = EmailSettingsForm(formdata=request.form)
    if form.validate_on_submit():
        current_user.email_updates = form.email_updates.data
        current_user.newsletter = form.newsletter.data
        db.session.commit()
        flash("Your email settings are saved.", "success")
        return redirect(url_for("settings.index"))
    return _page(400, form=form)


@bp.route("/name", methods=["POST"])
@login_required
def change_name():
    form = NameForm()
    if not form.validate_on_submit():
        return _page(400, name_form=form)
    current_user.name = form.name.data.strip()
    db.session.commit()
    flash("Your name is saved.", "success")
    return redirect(url_for("settings.index"))


@bp.route("/password", methods=["POST"])
@limiter.limit(_password_check_limit)
@login_required
def change_own_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(WRONG_PASSWORD)
        else:
            user = current_user._get_current_object()
            change_password(user, form.new_password.data)  # ends every session ...
            db.session.commit()
            login_user(user, remember=_has_remember_cookie())  # ... this one starts again, new version
            flash("Your password is changed. Other devices are signed out.", "success")
            return redirect(url_for("settings.index"))
    return _page(400, password_form=form)


def _has_remember_cookie() -> bool:
    return current_app.config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE) in request.cookies


@bp.route("/sessions/end", methods=["POST"])
@login_required
def log_out_everywhere():
    if not LogOutEverywhereForm().validate_on_submit():
        abort(400)
    current_user.end_sessions()  # a new session token: no session or remember-me cookie loads any more
    db.session.commit()
    logout_user()
    flash("You are signed out on every device. Log in again to continue.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/email", methods=["POST"])
@limiter.limit(_password_check_limit)
@login_required
def change_email():
    form = EmailChangeForm()
    if form.validate_on_submit():
        new_email = normalize_email(form.new_email.data)
        if not current_user.check_password(form.email_password.data):
            form.email_password.errors.append(WRONG_PASSWORD)
        elif new_email == current_user.email:
            form.new_email.errors.append("This is already your email address.")
        elif email_taken(new_email, by_other_than=current_user):
            form.new_email.errors.append(EMAIL_TAKEN)
        else:
            send_email_confirmation(current_user, new_email)
            db.session.commit()
            flash(
                f"We sent a link to {new_email}. Your address changes when you open it (within 1 hour).",
                "info",
            )
            return redirect(url_for("settings.index"))
    return _page(400, email_form=form)


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
@token_in_url
def confirm_email(token: str):
    """Works without logging in (the link may be opened on another device); a GET only shows the button,
    so a mail scanner following links changes nothing."""
    try:
        user, new_email = read_email_change(token)
    except AccountLinkError as exc:
        return render_template("auth/link_refused.html", reason=str(exc)), 400
    form = ConfirmForm()
    if form.validate_on_submit():
        if email_taken(new_email, by_other_than=user):
            return render_template("auth/link_refused.html", reason=EMAIL_TAKEN), 400
        user.email = new_email
        user.email_verified_at = utcnow()  # opening the link sent there proves the new address
        try:
            db.session.commit()
        except IntegrityError:  # another account took the address since the check
            db.session.rollback()
            return render_template("auth/link_refused.html", reason=EMAIL_TAKEN), 400
        flash(f"Your email address is now {new_email}.", "success")
        return redirect(url_for("settings.index" if current_user.is_authenticated else "auth.login"))
    return render_template("settings/confirm_email.html", form=form, new_email=new_email)


@bp.route("/export", methods=["POST"])
@login_required
def export_data():
    """Download everything we hold about the signed-in user as one JSON file (and log that it was)."""
    if not ExportForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    data = privacy.export_customer_data(user)
    privacy.log_export(user, Actor.customer(user.id))
    db.session.commit()
    return json_download(data, user.id)


@bp.route("/close", methods=["POST"])
@limiter.limit(_password_check_limit)
@login_required
def close_account():
    if current_user.is_staff:
        abort(404)  # staff accounts are deactivated by an admin, never anonymised
    form = CloseAccountForm()
    if not form.validate_on_submit():
        return _page(400, close_form=form)
    if not current_user.check_password(form.close_password.data):
        form.close_password.errors.append(WRONG_PASSWORD)
        return _page(400, close_form=form)
    user = current_user._get_current_object()
    with customer_transaction(user.id):
        privacy.close_account(user, Actor.customer(user.id))
    logout_user()
    flash("Your account is closed and your personal data removed. Thank you for being with us.", "info")
    return redirect(url_for("auth.login"))
