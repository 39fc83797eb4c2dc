"""The customer's tickets: open one, follow the agent's answer, reply, say satisfied or ask for a person."""

from flask import Blueprint

bp = Blueprint("tickets", __name__, url_prefix="/tickets")

from portal.support import routes  # noqa: E402,F401
