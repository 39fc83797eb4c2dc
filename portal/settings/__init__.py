"""The signed-in user's settings: name, password, email address, email updates and the address book."""

from flask import Blueprint, Flask

bp = Blueprint("settings", __name__, url_prefix="/settings")


def init_app(app: Flask) -> None:
    """Register bp with its views, imported here and not with the package (docs/architecture.md, "Layout")."""
    from portal.settings import addresses, routes  # noqa: F401

    app.register_blueprint(bp)
