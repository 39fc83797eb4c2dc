"""Accounts: sign-up (customers only), log in, log out; throttling and idle timeouts."""

from flask import Blueprint, Flask

bp = Blueprint("auth", __name__, url_prefix="/auth")


def init_app(app: Flask) -> None:
    """Register bp with its views, imported here and not with the package (docs/architecture.md, "Layout")."""
    from portal.auth import routes, sessions  # noqa: F401

    app.register_blueprint(bp)
