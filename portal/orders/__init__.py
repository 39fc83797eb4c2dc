"""Customer self-service on an order: change the delivery address, download the invoice as PDF."""

from flask import Blueprint

bp = Blueprint("orders", __name__, url_prefix="/orders")

from portal.orders import routes  # noqa: E402,F401
