"""Admin pages: metrics, users, policies."""

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin")


def init_app(app: Flask) -> None:
    """Register bp with its views, imported here and not with the package (docs/architecture.md, "Layout")."""
    from portal.admin import desk_metrics, editing, integrations, routes, teams  # noqa: F401

    app.register_blueprint(bp)
