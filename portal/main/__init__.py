"""Home page and the customer's orders."""

from flask import Blueprint, Flask

bp = Blueprint("main", __name__)


def init_app(app: Flask) -> None:
    """Register bp with its views, imported here and not with the package (docs/architecture.md, "Layout")."""
    from portal.main import routes  # noqa: F401

    app.register_blueprint(bp)
