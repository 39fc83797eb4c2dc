"""The staff desk: the queue of tickets that need a person, and everything needed to settle one."""

from flask import Blueprint

bp = Blueprint("desk", __name__, url_prefix="/desk")

from portal.desk import canned_routes, customer_routes, routes, workplace_routes  # noqa: E402,F401
