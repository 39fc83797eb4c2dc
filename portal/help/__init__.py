"""The public help center: categories, FAQ articles and the policies, search, votes, ticket suggestions."""

from flask import Blueprint

bp = Blueprint("help", __name__, url_prefix="/help")

from portal.help import routes  # noqa: E402,F401
