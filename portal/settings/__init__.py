"""The signed-in user's settings: name, password, email address, email updates and the address book."""

from flask import Blueprint

bp = Blueprint("settings", __name__, url_prefix="/settings")

from portal.settings import addresses, routes  # noqa: E402,F401
