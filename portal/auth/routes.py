"""Log in, log out, sign up, reset a forgotten password: thin views over portal.accounts."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import update

from portal.account_links import AccountLinkError, token_in_url, user_for_reset, user_for_verification
from portal.accounts import (
    AccountError,
    change_password,
    create_user,
    find_user_by_email,
    new_account_transaction,
    normalize_email,
)
from portal.auth import bp
from portal.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    ResendVerificationForm,
    ResetPasswordForm,
    SignupForm,
)
from portal.extensions import db, limiter
from portal.mailer.account_mail import send_email_verification, send_password_reset
from portal.models import User, utcnow


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_account() -> str:
    """Login attempts count per account *and* client address together: guessing at one account from an
    address never locks another person out of theirs on the same (office, family) address."""
    email = normalize_email(request.form.get("email", ""))[:254]
    return f"login:{get_remote_address()}:{email}"


def _login_failed(response) -> bool:
    # Only wrong passwords use up attempts; signing in (and out and in again) never throttles anyone.
    return response.status_code == 401


def _reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


def _reset_address() -> str:
    """Reset requests also count per address asked for, so nobody can flood one inbox from many IPs."""
    return "reset:" + normalize_email(request.form.get("email", ""))[:254]


def safe_next_url(target: str | None) -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if not target:
        return url_for("main.home")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return url_for("main.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_account, deduct_when=_login_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is None or not user.check_password(form.password.data) or not user.active:
            flash("Wrong email or password.", "danger")
            return render_template("auth/login.html", form=form), 401
        login_user(user, remember=form.remember.data)
        _record_login(user.id)
        return redirect(safe_next_url(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _record_login(user_id: int) -> None:
    # A transaction that starts with its write: SQLite then waits for the lock instead of failing when a
    # second login (a double click) committed after this request read the user.
    db.session.commit()
    db.session.execute(update(User).where(User.id == user_id).values(last_login_at=utcnow()))
    db.session.commit()


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            # The account and its "confirm your address" mail in one write: a second write right after
            # would wait for the lock a double-clicked twin request holds (SQLite) and could fail.
            with new_account_transaction():
                user = create_user(form.email.data, form.name.data, form.password.data)
                db.session.flush()
                send_email_verification(user)
        except AccountError as exc:
            form.email.errors.append(str(exc))
            return render_template("auth/signup.html", form=form), 400
        login_user(user)
        flash(f"Welcome! Your account is ready. We sent a link to {user.email} to confirm it.", "success")
        return redirect(url_for("main.home"))
    return render_template("auth/signup.html", form=form)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
@limiter.limit(_reset_limit, methods=["POST"], key_func=_reset_address)
def forgot_password():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is not None and user.active:
            send_password_reset(user)
            db.session.commit()
        # The same page whether or not the address has an account: this page tells nobody who is a customer.
        return render_template("auth/forgot_sent.html", email=form.email.data)
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@token_in_url
def reset_password(token: str):
    try:
        user = user_for_reset(token)
    except AccountLinkError as exc:
        return render_template("auth/link_refused.html", reason=str(exc)), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        change_password(user, form.password.data)  # also ends every session, this browser's included
        db.session.commit()
        logout_user()
        flash("Your password is changed. Log in with the new one.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user)


def _resend_limit() -> str:
    return current_app.config["VERIFY_RESEND_RATE_LIMIT"]


def _resend_key() -> str:
    """Counted per account, so one customer cannot flood their own (or a typo'd) inbox from many IPs."""
    return f"verify:{current_user.get_id() if current_user.is_authenticated else request.remote_addr}"


@bp.route("/verify/<token>")
@token_in_url
def verify_email(token: str):
    """Opening the link proves the address; a mail scanner doing so changes nothing anyone could abuse."""
    try:
        user = user_for_verification(token)
    except AccountLinkError as exc:
        hint = "Confirmation links work for 24 hours. Log in to ask for a new one from your home page."
        return render_template("auth/link_refused.html", reason=str(exc), hint=hint), 400
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.commit()
    flash(f"Thank you: {user.email} is confirmed.", "success")
    return redirect(url_for("main.home" if current_user.is_authenticated else "auth.login"))


@bp.route("/verify/resend", methods=["POST"])
@login_required
@limiter.limit(_resend_limit, key_func=_resend_key)
def resend_verification():
    if not ResendVerificationForm().validate_on_submit():
        flash("The form expired; please try again.", "danger")
    elif current_user.email_verified_at is not None:
        flash("Your email address is already confirmed.", "info")
    else:
        send_email_verification(current_user)
        db.session.commit()
        flash(f"We sent a new confirmation link to {current_user.email}.", "info")
    return redirect(url_for("main.home"))
