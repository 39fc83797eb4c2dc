"""What the order page shows beyond the order itself: the address form or why not, and the tracking."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from portal.config import settings
from portal.models import Order
from portal.orders.forms import NEW_ADDRESS, AddressChangeForm
from portal.services.addresses import default_address
from portal.services.snapshots import order_snapshot
from portal.services.tracking import order_actions
from tools.change_address import too_late
from tools.invoice import has_invoice


def address_form(form: AddressChangeForm | None = None) -> AddressChangeForm:
    """The form with the customer's saved addresses; a fresh one preselects the default."""
    if form is not None:
        return form.offer(current_user.addresses)
    default = default_address(current_user)
    data = {"saved_address": str(default.id) if default else NEW_ADDRESS}
    return AddressChangeForm(formdata=None, data=data).offer(current_user.addresses)


def order_page_context(order: Order, form: AddressChangeForm | None = None) -> dict[str, Any]:
    """Template values for main/order_detail.html."""
    refusal = too_late(order_snapshot(order))
    return {
        "order": order,
        "has_invoice": has_invoice(order.status),
        "address_form": address_form(form) if refusal is None else None,
        "address_refusal": refusal.message if refusal is not None else None,
        "actions": order_actions(order, settings().policy),
    }
