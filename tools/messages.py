"""Customer-facing sentences about actions: what the tools say, and the one-line headlines the ticket
pages, the desk, the agent run summary and the emails show (the only place an action is put in words)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from tools.types import format_money, method_words


def refund_issued(
    number: str, amount: Decimal, currency: str, method: str, item_names: Sequence[str] = ()
) -> str:
    """item_names: only for a partial refund, so the customer sees what was refunded."""
    shown = format_money(amount, currency)
    what = f"{and_list(item_names)} from order {number}" if item_names else f"order {number}"
    return f"Your refund of {shown} for {what} to {method_words(method)} has been issued."


def and_list(names: Sequence[str]) -> str:
    """'Mug', 'Mug and Plate', 'Mug, Plate and Bowl'."""
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def refund_held(
    number: str,
    amount: Decimal,
    currency: str,
    threshold: Decimal,
    sla_hours: float,
    item_names: Sequence[str] = (),
) -> str:
    """A refund above the approval threshold, just held: why, and when a person replies.
    item_names: only for a partial refund, so the customer sees which items wait for review."""
    what = f"{and_list(item_names)} from order {number}" if item_names else f"order {number}"
    return (
        f"Your refund of {format_money(amount, currency)} for {what} is above "
        f"{format_money(threshold, currency)}, so it has been held for review by our team; "
        "nothing has been refunded yet. "
        f"A member of our team will reply within {sla_hours:g} hours."
    )


def refund_waiting(number: str, amount: Decimal, currency: str) -> str:
    """A refund still waiting for staff, as a replayed request reports it."""
    return (
        f"Your refund of {format_money(amount, currency)} for order {number} is held for review by our "
        "team; nothing has been refunded yet."
    )


# Why staff turned a held refund down, as the customer reads it (the desk offers exactly these).
REJECTION_REASONS = {
    "outside_policy": "The request is outside our refund policy.",
    "item_not_returned": "We have not received the item back yet.",
    "fault_not_confirmed": "We could not confirm the damage or fault described.",
    "already_compensated": "You have already been compensated for this order in another way.",
    "replacement_instead": "We are sending you a replacement instead.",
    "suspected_misuse": "We could not verify the request; please contact us if you think this is a mistake.",
}


def refund_rejected(number: str, reason: str | None = None, note: str = "") -> str:
    """A held refund that staff turned down, with the reason in plain words and an optional note."""
    parts = [f"Your refund request for order {number} was reviewed by our staff and was not approved."]
    if reason in REJECTION_REASONS:
        parts.append(REJECTION_REASONS[reason])
    if note.strip():
        parts.append(note.strip())
    return " ".join(parts)


def cancelled(number: str, amount: Decimal, currency: str, method: str) -> str:
    """An order cancelled, with the full amount going back to the payment method."""
    return (
        f"Order {number} has been cancelled. The full amount of {format_money(amount, currency)} "
        f"is going back to {method_words(method)}."
    )


def address_changed(number: str, address: str) -> str:
    """The customer-facing line for an order sent to a new delivery address."""
    return f"The delivery address of order {number} is now: {address}."


def replacement_sent(number: str, item_names: list[str]) -> str:
    """A free replacement on its way."""
    return (
        f"A free replacement for order {number} ({', '.join(item_names) or 'your item'}) is on its way. "
        "You'll get the tracking number by email once it ships, and you don't need to pay anything."
    )


# --- What an action did, in one line: the ticket pages, the desk, the run summary and the emails ---

# The action tools, by the names the tools, the outcome records and the notifications use.
ACTION_KINDS = {"refund": "refund", "cancel": "cancellation", "cancellation": "cancellation",
                "replacement": "replacement"}  # fmt: skip
_NOUNS = {"refund": "Refund", "cancellation": "Cancellation", "replacement": "Replacement"}
_DONE_WORDS = {"refund": "issued", "cancellation": "done", "replacement": "on its way"}
DECISION_WORDS = {
    "done": "done",
    "approved": "done",
    "held": "held for review by our team",
    "denied": "not possible",
    "rejected": "not approved",
    "error": "could not be completed",
}
SUCCESS = frozenset({"done", "approved"})
ACTION_TOOLS = ("refund", "cancel", "replacement")  # the tools whose outcome is an action on an order


def action_kind(tool: str | None) -> str | None:
    """'refund', 'cancellation' or 'replacement' for an action tool's name (or a kind); else None."""
    return ACTION_KINDS.get(tool or "")


def outcome_headline(
    kind: str,
    decision: str,
    *,
    amount: str = "",
    order_number: str | None = None,
    reference: str | None = None,
) -> str:
    """'Refund of 42.00 USD for order A1003 issued, reference LE-1A2B.' (amount already formatted)."""
    words = _DONE_WORDS[kind] if decision in SUCCESS else DECISION_WORDS[decision]
    line = f"{_NOUNS[kind]}{f' of {amount}' if amount else ''}{_for_order(order_number)} {words}"
    if reference and decision in SUCCESS:
        line += f", reference {reference}"
    return line + "."


def email_headline(kind: str, amount: str | None, order_number: str | None) -> str:
    """The first line of the email confirming a done action ('Your refund of 42.00 USD has been issued.')."""
    if kind == "refund":
        return f"Your refund{f' of {amount}' if amount else ''} has been issued."
    if kind == "cancellation":
        back = f" and {amount} is on its way back to you" if amount else ""
        return f"Your order{f' {order_number}' if order_number else ''} has been cancelled{back}."
    if kind == "replacement":
        return f"A free replacement{_for_order(order_number)} is on its way."
    return "We carried out your request."


_RUN_DONE = {
    "refund": "Refund of {amount} issued for order {n}",
    "cancel": "Order {n} cancelled; {amount} returned",
    "replacement": "Replacement sent for order {n}",
    "order_status": "Looked up the status of order {n}",
    "change_address": "Delivery address of order {n} changed",
}


def run_summary(tool: str, outcome: str, *, amount: str, order_number: str | None, reason: str | None) -> str:
    """The agent run's one-line summary of its main tool call, for the desk ('Refund of 42.00 USD ...')."""
    if outcome == "done":
        return _RUN_DONE.get(tool, "{tool} done for order {n}").format(
            amount=amount, n=order_number, tool=tool
        )
    if outcome == "held":
        return f"Refund of {amount} for order {order_number} held for staff approval"
    why = (reason or "refused").replace("_", " ")
    return f"{tool.replace('_', ' ').capitalize()} for order {order_number} not done: {why}"


def _for_order(number: str | None) -> str:
    return f" for order {number}" if number else ""


# --- Why a ticket is with a person, in words (the desk stores the reason as "<code>: <detail>") ---

ESCALATION_LABELS = {
    "human_requested": "Asked for a person",
    "complaint": "Complaint about our service",
    "legal_threat": "Mentions legal action",
    "chargeback": "Mentions a chargeback or bank dispute",
    "not_covered": "Not something the assistant can do",
    "other": "Needs a person",
}
_TOOL_WORDS = {"refund": "Refund", "cancel": "Cancellation", "replacement": "Replacement",
               "change_address": "Address change", "order_status": "Order lookup"}  # fmt: skip


def reason_words(reason: str | None) -> str:
    """'not_covered: The customer asks ...' -> 'Not something the assistant can do: The customer asks ...';
    'refund: refund_limit_reached' -> 'Refund not possible: refund limit reached'; plain text unchanged."""
    if not reason:
        return ""
    code, sep, detail = reason.partition(":")
    code, detail = code.strip(), detail.strip()
    if not sep:
        return reason
    if code in ESCALATION_LABELS:
        return f"{ESCALATION_LABELS[code]}: {detail}" if detail else ESCALATION_LABELS[code]
    tool, _, outcome = code.partition(" ")
    if tool in _TOOL_WORDS:
        what = "held for approval" if outcome == "held" else "not possible"
        return f"{_TOOL_WORDS[tool]} {what}: {detail.replace('_', ' ')}"
    if code.startswith("rule"):
        return f"Escalation rule: {detail.replace('_', ' ')}"
    return reason
