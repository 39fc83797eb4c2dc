"""The customer's tickets: open one, follow the agent's answer, reply, say satisfied or ask for a person."""

from flask import Blueprint, Flask

bp = Blueprint("tickets", __name__, url_prefix="/tickets")


def init_app(app: Flask) -> None:
    """Register bp with its views, imported here and not with the package (docs/architecture.md, "Layout")."""
    from portal.support import routes  # noqa: F401

    app.register_blueprint(bp)
