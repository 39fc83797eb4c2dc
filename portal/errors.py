"""Friendly error pages; a 500 rolls the session back so the next request starts clean."""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, abort, current_app, g, render_template, request
from sqlalchemy.exc import InterfaceError, OperationalError

from portal.extensions import db

log = logging.getLogger(__name__)
DATABASE_RETRY_AFTER = 5  # seconds: a restart or failover is usually over by then

NUL_REFUSED = "Text with NUL characters (\\0) cannot be accepted."


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def refuse_nul_characters() -> None:
    """No field needs a NUL byte and Postgres cannot store one: a clear 400 here instead of a 500 later."""
    fields = (*request.args.items(multi=True), *request.form.items(multi=True))
    if "\x00" in request.path or any("\x00" in value for _name, value in fields):
        abort(400, NUL_REFUSED)


def retry_after_seconds() -> int:
    """Seconds until the limit this request broke lets the next attempt through (at least 1)."""
    from portal.extensions import limiter

    limit = limiter.current_limit
    if limit is None:
        return 60
    return max(1, math.ceil(limit.reset_at - time.time()))


def _wait_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"


def _is_login() -> bool:
    return request.endpoint in ("auth.login", "auth.signup")


def database_unavailable(error: Exception):
    """The database is down, restarting or dropped the connection: a clear "try again" page (503).

    Safe to send again: a ticket form carries a one-time token, so a request whose COMMIT did reach the
    database finds its ticket instead of opening a second one.
    """
    log.warning("database unavailable for %s %s: %s", request.method, request.path, error.__class__.__name__)
    try:  # the connection is likely dead: give it back, whatever state it is in
        db.session.remove()
    except Exception:
        log.debug("discarding the session failed too", exc_info=True)
    # Flask-Login's context processor would load the user from the database this page is about.
    g._login_user = current_app.login_manager.anonymous_user()
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER)}
    if _wants_json():
        return {"error": "temporarily unavailable, please try again"}, 503, headers
    return render_template("errors/503.html"), 503, headers


def discard_dead_session(_exc: BaseException | None) -> None:
    """End the request's session; a connection the database dropped after the response was ready (a
    restart) makes the final ROLLBACK fail, and that must not turn a finished request into a 500."""
    try:
        db.session.remove()
    except (OperationalError, InterfaceError) as error:
        log.warning("database connection lost at the end of the request: %s", error.__class__.__name__)
        db.session.remove()  # the failed ROLLBACK invalidated the connection: closing again succeeds


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(InterfaceError, database_unavailable)
    app.teardown_appcontext(discard_dead_session)  # registered after Flask-SQLAlchemy's: runs before it

    @app.errorhandler(404)
    def not_found(_error):
        if _wants_json():
            return {"error": "not found"}, 404
        return render_template("errors/404.html"), 404

    @app.errorhandler(413)
    def too_large(_error):
        return render_template("errors/413.html"), 413

    @app.errorhandler(429)
    def too_many(_error):
        wait = retry_after_seconds()
        page = render_template("errors/429.html", wait_words=_wait_words(wait), login=_is_login())
        return page, 429, {"Retry-After": str(wait)}

    @app.errorhandler(400)
    def bad_request(error):
        return render_template("errors/400.html", reason=getattr(error, "description", None)), 400

    @app.errorhandler(500)
    def server_error(_error):
        db.session.rollback()
        return render_template("errors/500.html"), 500
