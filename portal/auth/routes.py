"""Log in, log out, sign up: thin views over portal.accounts."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import update

from portal.accounts import AccountError, create_user, find_user_by_email, new_account_transaction
from portal.auth import bp
from portal.auth.forms import LoginForm, SignupForm
from portal.extensions import db, limiter
from portal.models import User, utcnow


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


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
@limiter.limit(_login_limit, methods=["POST"])
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
            with new_account_transaction():
                user = create_user(form.email.data, form.name.data, form.password.data)
        except AccountError as exc:
            form.email.errors.append(str(exc))
            return render_template("auth/signup.html", form=form), 400
        login_user(user)
        flash("Welcome! Your account is ready.", "success")
        return redirect(url_for("main.home"))
    return render_template("auth/signup.html", form=form)
