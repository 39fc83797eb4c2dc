"""The public help center: categories, FAQ articles and the policies, search, votes, ticket suggestions."""

from flask import Blueprint, Flask

bp = Blueprint("help", __name__, url_prefix="/help")


def init_app(app: Flask) -> None:
    """Register bp with its views, imported here and not with the package (docs/architecture.md, "Layout")."""
    from portal.help import routes  # noqa: F401

    app.register_blueprint(bp)
