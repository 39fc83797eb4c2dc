"""The REST API, /api/v1 (docs/api.md): API keys with scopes, JSON in and out, OpenAPI at openapi.json.

Sessions and CSRF do not apply here: every request carries `Authorization: Bearer <key>`, is rate
limited per key and is logged in api_calls.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from portal.api import customers, meta, orders, tickets  # noqa: E402,F401
from portal.api.setup import init_app  # noqa: E402,F401
