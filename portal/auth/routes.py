"""Log in, log out, sign up, reset a forgotten password: thin views over portal.auth.accounts."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import update

from portal.auth import bp, passwords, throttle
from portal.auth.account_links import AccountLinkError, token_in_url, user_for_reset, user_for_verification
from portal.auth.accounts import (
    AccountError,
    authenticate,
    change_password,
    create_user,
    find_user_by_email,
    new_account_transaction,
    normalize_email,
)
from portal.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    ResendVerificationForm,
    ResetPasswordForm,
    SignupForm,
)
from portal.config import settings
from portal.extensions import db, limiter
from portal.mailer.account_mail import (
    send_email_verification,
    send_password_reset,
    send_signup_attempt_notice,
)
from portal.models import User, utcnow


def _reset_limit() -> str:
    return settings().rate_limits.reset


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
@limiter.limit(
    throttle.address_and_account_limit,
    methods=["POST"],
    key_func=throttle.address_and_account,
    deduct_when=throttle.login_failed,
    on_breach=throttle.notify_owner,
)
@limiter.shared_limit(
    throttle.account_limit,
    scope=throttle.LOGIN_SCOPE,
    methods=["POST"],
    key_func=throttle.account,
    deduct_when=throttle.login_failed,
    on_breach=throttle.notify_owner,
)
@limiter.limit(
    throttle.address_limit, methods=["POST"], key_func=throttle.address, deduct_when=throttle.login_failed
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            flash("Wrong email or password.", "danger")
            return render_template("auth/login.html", form=form), 401
        # Staff sessions end when idle (portal/auth/sessions.py): no cookie that outlives them.
        login_user(user, remember=form.remember.data and not user.is_staff)
        _record_login(user.id)
        return redirect(safe_next_url(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _record_login(user_id: int) -> None:
    # Commit first (a password rehash, if any), then a transaction that starts with its write: SQLite then
    # waits for the lock instead of failing when a second login (a double click) committed after this
    # request read the user.
    db.session.commit()
    db.session.execute(update(User).where(User.id == user_id).values(last_login_at=utcnow()))
    db.session.commit()


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # A new session token: this cookie, copies of it and every remember-me cookie stop working.
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def _signup_limit() -> str:
    return settings().rate_limits.login  # per client address


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignupForm()
    if form.validate_on_submit():
        _sign_up(form)
        # The same answer whether or not the address already had an account: the page tells nobody.
        session["signup_email"] = normalize_email(form.email.data)
        return redirect(url_for("auth.signup_sent"))
    return render_template("auth/signup.html", form=form)


def _sign_up(form: SignupForm) -> None:
    """A new account with its "confirm your address" mail, or, for a taken address, a notice to its owner.
    Both hash the password, so both take as long."""
    owner = find_user_by_email(form.email.data)
    if owner is not None:
        passwords.hash_password(form.password.data)
        if owner.active and send_signup_attempt_notice(owner):
            db.session.commit()
        return
    try:
        # The account and its mail in one write: a second write right after would wait for the lock a
        # double-clicked twin request holds (SQLite) and could fail.
        with new_account_transaction():
            user = create_user(form.email.data, form.name.data, form.password.data)
            db.session.flush()
            send_email_verification(user)
    except AccountError:
        db.session.rollback()  # a double click: the twin request created the same account a moment ago


@bp.route("/signup/sent")
def signup_sent():
    return render_template("auth/signup_sent.html", email=session.get("signup_email"))


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
        throttle.clear_account_failures(user.email)  # the owner is back in charge: no waiting
        logout_user()
        flash("Your password is changed. Log in with the new one.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user)


def _resend_limit() -> str:
    return settings().rate_limits.verify_resend


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
