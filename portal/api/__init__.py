"""The REST API, /api/v1 (docs/api.md): API keys with scopes, JSON in and out, OpenAPI at openapi.json.

Sessions and CSRF do not apply here: every request carries `Authorization: Bearer <key>`, is rate
limited per key and is logged in api_calls.
"""

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    """Register bp with its views, imported here and not with the package (docs/architecture.md, "Layout")."""
    from portal.api import customers, meta, orders, setup, tickets  # noqa: F401

    app.register_blueprint(bp)
    setup.init_app(app)
