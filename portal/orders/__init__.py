"""Customer self-service on an order: change the delivery address, download the invoice as PDF."""

from flask import Blueprint, Flask

bp = Blueprint("orders", __name__, url_prefix="/orders")


def init_app(app: Flask) -> None:
    """Register bp with its views, imported here and not with the package (docs/architecture.md, "Layout")."""
    from portal.orders import routes  # noqa: F401

    app.register_blueprint(bp)
