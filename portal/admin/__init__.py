"""Admin pages: metrics, users, policies."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portal.admin import desk_metrics, editing, integrations, routes, teams  # noqa: E402,F401
