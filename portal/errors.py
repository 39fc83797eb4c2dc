"""Friendly error pages; a 500 rolls the session back so the next request starts clean."""

from __future__ import annotations

from flask import Flask, abort, render_template, request

from portal.extensions import db

NUL_REFUSED = "Text with NUL characters (\\0) cannot be accepted."


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def refuse_nul_characters() -> None:
    """No field needs a NUL byte and Postgres cannot store one: a clear 400 here instead of a 500 later."""
    fields = (*request.args.items(multi=True), *request.form.items(multi=True))
    if "\x00" in request.path or any("\x00" in value for _name, value in fields):
        abort(400, NUL_REFUSED)


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
        return render_template("errors/429.html"), 429

    @app.errorhandler(400)
    def bad_request(error):
        return render_template("errors/400.html", reason=getattr(error, "description", None)), 400

    @app.errorhandler(500)
    def server_error(_error):
        db.session.rollback()
        return render_template("errors/500.html"), 500
