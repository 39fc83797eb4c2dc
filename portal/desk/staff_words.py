"""What an action's result means, worded for staff (the tools' messages are written to the customer)."""

from __future__ import annotations

from portal.config import settings
from portal.services import ActionResult

_REFUSED = {
    "order_not_found": "{order} is not one of this customer's orders.",
    "refund_limit_reached": "the customer has reached the refund limit ({per} refunds in {days} days; held "
    "refunds count from the moment they were held).",
    "refund_window_expired": "{order} is outside the {window}-day refund window.",
    "replacement_window_expired": "{order} is outside the replacement window.",
    "replacement_limit_reached": "{order} has already had its replacement.",
    "not_shipped": "{order} has not shipped: cancel it instead.",
    "not_delivered": "{order} has not been delivered yet.",
    "already_refunded": "{order} is already fully refunded.",
    "refund_pending_review": "a held refund already covers what is left of {order}.",
    "item_not_found": "an item is not in {order}.",
    "item_already_refunded": "an item of {order} is already refunded or held.",
    "exceeds_remaining": "the items are worth more than is left to refund on {order}.",
    "own_request": "you asked for this refund, so another staff member must approve it (you can still "
    "reject it).",
    "amount_changed": "the refundable amount of {order} changed since the hold; review it again.",
    "already_shipped": "{order} has already shipped.",
    "already_delivered": "{order} has already been delivered.",
    "not_cancellable": "{order} cannot be cancelled in its state.",
    "address_incomplete": "the address is incomplete (street, number, postcode and city).",
    "problem_not_covered": "that problem is not covered by the replacement policy.",
    "invalid_arguments": "the request is incomplete.",
}
_VERBS = {
    "refund": "Refund",
    "cancel": "Cancellation",
    "replacement": "Replacement",
    "change_address": "Address change",
}


def action_flash(result: ActionResult) -> tuple[str, str]:
    """The flash for a staff action from the desk: what happened, in staff words."""
    what = _VERBS.get(result.tool, result.tool)
    order = result.order_number or "the order"
    if result.replayed:
        return f"Already done: this form was sent before ({what.lower()} for {order}).", "info"
    if result.outcome == "done":
        return f"{what} done for {order}; the customer was told.", "success"
    if result.outcome == "held":
        return f"{what} for {order} is above the approval threshold and waits for approval.", "warning"
    return f"{what} not done: {refusal_words(result)}", "warning"


def approval_flash(result: ActionResult) -> tuple[str, str]:
    """The flash for approving a held refund that could not be issued."""
    why = refusal_words(result, when_held=True)
    return f"Not approved: {why[0].upper()}{why[1:]} The customer was not told.", "warning"


def refusal_words(result: ActionResult, *, when_held: bool = False) -> str:
    limits = settings().policy
    template = _REFUSED.get(result.reason_code or "", "the policy does not allow it ({code}).")
    text = template.format(
        order=result.order_number or "the order",
        per=limits.refunds_per_period,
        days=limits.refund_period_days,
        window=limits.refund_window_days,
        code=(result.reason_code or "refused").replace("_", " "),
    )
    if when_held and result.reason_code == "refund_limit_reached":
        text = text.replace("the customer has reached", "when it was held, the customer had already reached")
    return text
