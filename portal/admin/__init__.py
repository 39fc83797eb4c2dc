"""Admin pages: metrics, users, policies."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portal.admin import editing, integrations, routes  # noqa: E402,F401
