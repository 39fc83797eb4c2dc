"""The staff desk: the queue of tickets that need a person, and everything needed to settle one."""

from flask import Blueprint, Flask

bp = Blueprint("desk", __name__, url_prefix="/desk")


def init_app(app: Flask) -> None:
    """Register bp with its views, imported here and not with the package (docs/architecture.md, "Layout")."""
    from portal.desk import canned_routes, customer_routes, routes, workplace_routes  # noqa: F401

    app.register_blueprint(bp)
