"""Friendly error pages; a 500 rolls the session back so the next request starts clean."""

from __future__ import annotations

from flask import Flask, render_template, request

from portal.extensions import db


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    @app.errorhandler(404)
    def not_found(_error):
        if _wants_json():
            return {"error": "not found"}, 404
        return render_template("errors/404.html"), 404

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
