"""Friendly error pages; a 500 rolls the session back so the next request starts clean."""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, abort, g, render_template, request

from portal.extensions import db

log = logging.getLogger(__name__)

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


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)

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
