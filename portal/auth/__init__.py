"""Accounts: sign-up (customers only), log in, log out; throttling and idle timeouts."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from portal.auth import routes, sessions  # noqa: E402,F401
