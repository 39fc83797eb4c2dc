"""Friendly error pages; a 500 rolls the session back so the next request starts clean."""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, abort, current_app, g, render_template, request
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from portal.api.errors import http_error_response, is_api_request
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


def _api_json(page):
    """Under /api/ an error is JSON with a stable code (portal/api/errors.py); elsewhere `page(error)`."""

    def handler(error):
        if not is_api_request():
            return page(error)
        if error.code == 500:
            _reset_session()
        headers = {"Retry-After": str(retry_after_seconds())} if error.code == 429 else None
        return http_error_response(error, headers)

    return handler


def _not_found(_error):
    if _wants_json():
        return {"error": "not found"}, 404
    return render_template("errors/404.html"), 404


def _too_large(_error):
    return render_template("errors/413.html"), 413


def _too_many(_error):
    wait = retry_after_seconds()
    page = render_template("errors/429.html", wait_words=_wait_words(wait), login=_is_login())
    return page, 429, {"Retry-After": str(wait)}


def _bad_request(error):
    return render_template("errors/400.html", reason=getattr(error, "description", None)), 400


def _server_error(_error):
    saved = _reset_session()
    try:
        return render_template("errors/500.html", saved=saved), 500
    except Exception:  # the database itself may be what failed: still answer with the page's words
        log.exception("the 500 page could not be rendered")
        return PLAIN_500, 500, {"Content-Type": "text/html; charset=utf-8"}


PLAIN_500 = (
    "<!doctype html><title>Something went wrong</title><h1>Something went wrong</h1>"
    "<p>Please check whether what you sent arrived before you send it again.</p>"
)


def _reset_session() -> bool:
    """Roll back, or when the failure came after a commit (the session is then in its 'committed'
    state, where rollback raises), close it and forget the signed-in user so the page reloads it.
    True when what the request wrote had been committed (the page can say it was saved)."""
    try:
        db.session.rollback()
        return False
    except Exception:
        log.warning("rollback after an error failed; starting a fresh session", exc_info=True)
        try:
            db.session.close()
        except Exception:
            db.session.remove()
        g.pop("_login_user", None)  # Flask-Login's cache: its row belonged to the closed session
        return True


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
    # Any other HTTP error (405, 401 ...) keeps Werkzeug's own page outside the API.
    app.register_error_handler(HTTPException, _api_json(lambda error: error))
    app.register_error_handler(404, _api_json(_not_found))
    app.register_error_handler(413, _api_json(_too_large))
    app.register_error_handler(429, _api_json(_too_many))
    app.register_error_handler(400, _api_json(_bad_request))
    app.register_error_handler(500, _api_json(_server_error))
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(InterfaceError, database_unavailable)
    app.teardown_appcontext(discard_dead_session)  # registered after Flask-SQLAlchemy's: runs before it
