"""What a decision rests on: (tool, reason or outcome) -> the policy section that states the rule.

When the tools have decided, the passage to cite is known, so it is looked up here rather than
searched for; retrieval and ranking are kept for open questions. Sections are named by their heading
as written in `policies/<policy>.md` (before the limits are rendered into it), and `sentence` is the
one sentence of that section the reply quotes as the rule (None: cite the section, quote nothing).
`tests/worker/test_grounds.py` checks every section exists and every quoted sentence reads on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from worker.agent.backends.base import ToolOutcome


@dataclass(frozen=True)
class Ground:
    """A policy section, and which of its sentences states the rule."""

    policy: str
    section: str
    sentence: int | None = 0


_WINDOW = Ground("refunds", "Refund window: {{ refund_window_days }} days after delivery")
_WHO_REFUND = "Who can get a refund"
_NO_REFUND = Ground("refunds", "Orders we cannot refund", 2)
_HOW_MUCH = "How much is refunded"
_CANNOT_CANCEL = "Orders that cannot be cancelled"
_ELIGIBLE_REPLACEMENT = Ground(
    "replacements", "When you can get a replacement", None
)  # a list: cite it whole
RESPONSE_TIME = Ground("escalation", "Response time")

GROUNDS: dict[tuple[str, str], Ground] = {
    ("refund", "done"): _WINDOW,
    ("refund", "held"): Ground("refunds", "Refunds above {{ approval_threshold }} need a staff review"),
    ("refund", "refund_window_expired"): Ground(_WINDOW.policy, _WINDOW.section, 1),
    ("refund", "not_shipped"): Ground("refunds", _WHO_REFUND, 1),
    ("refund", "not_delivered"): Ground("refunds", _WHO_REFUND, 2),
    ("refund", "already_refunded"): _NO_REFUND,
    ("refund", "order_cancelled"): _NO_REFUND,
    ("refund", "item_not_found"): Ground("refunds", _HOW_MUCH, 1),
    ("refund", "exceeds_remaining"): Ground("refunds", _HOW_MUCH, 2),
    # An item refunded already (or held for review) from any ticket: never more than was paid for it.
    ("refund", "item_already_refunded"): Ground("refunds", _HOW_MUCH, 2),
    ("refund", "refund_pending_review"): Ground("refunds", _HOW_MUCH, 2),
    ("refund", "refund_limit_reached"): Ground(
        "refunds", "Limit: {{ refunds_per_period }} refunds in any {{ refund_period_days }} days"
    ),
    ("cancel", "done"): Ground("cancellations", "What you get back"),
    ("cancel", "already_shipped"): Ground("cancellations", "Which orders can be cancelled", 1),
    ("cancel", "already_delivered"): Ground("cancellations", _CANNOT_CANCEL, 0),
    ("cancel", "order_cancelled"): Ground("cancellations", _CANNOT_CANCEL, 1),
    ("cancel", "already_refunded"): Ground("cancellations", _CANNOT_CANCEL, 1),
    ("cancel", "not_cancellable"): Ground("cancellations", _CANNOT_CANCEL, 1),
    ("replacement", "done"): _ELIGIBLE_REPLACEMENT,
    ("replacement", "not_delivered"): _ELIGIBLE_REPLACEMENT,
    ("replacement", "replacement_window_expired"): _ELIGIBLE_REPLACEMENT,
    ("replacement", "order_cancelled"): _ELIGIBLE_REPLACEMENT,
    ("replacement", "already_refunded"): _ELIGIBLE_REPLACEMENT,
    ("replacement", "problem_not_covered"): Ground("replacements", "When you can get a replacement", 4),
    ("replacement", "replacement_limit_reached"): Ground("replacements", "One replacement per order"),
    ("order_status", "pending"): Ground("shipping", "Tracking your order"),
    ("order_status", "shipped"): Ground("shipping", "Tracking your order", 2),
    ("order_status", "delivered"): Ground("shipping", "Order statuses", None),
    ("order_status", "cancelled"): Ground("shipping", "Order statuses", None),
    ("order_status", "refunded"): Ground("shipping", "Order statuses", None),
    ("escalate", "done"): RESPONSE_TIME,
}
# Policies a backend cites without a tool outcome (a question asked, a hand-over).
POLICY_GROUNDS: dict[str, Ground] = {
    "replacements": _ELIGIBLE_REPLACEMENT,
    "escalation": RESPONSE_TIME,
}


def ground_for(outcome: ToolOutcome) -> Ground | None:
    """The section a tool outcome rests on: by order status for lookups, else by reason, else outcome."""
    if outcome.tool == "order_status":
        status = str(outcome.details.get("status") or "")
        return GROUNDS.get((outcome.tool, status)) if status else None
    by_reason = GROUNDS.get((outcome.tool, outcome.reason_code or ""))
    return by_reason or GROUNDS.get((outcome.tool, outcome.outcome))


def matches(section: str, heading: str) -> bool:
    """Whether a rendered heading ("Refund window: N days after delivery") is the section's template."""
    return _pattern(section).fullmatch(heading.strip()) is not None


def find_section(section: str, headings: Iterable[str]) -> str | None:
    """The first of `headings` that is `section` (rendered), or None."""
    return next((heading for heading in headings if matches(section, heading)), None)


def section_words(section: str) -> str:
    """The section heading's own words (for a search when an edited policy renamed the section)."""
    return re.sub(r"\{[{%].*?[}%]\}", " ", section)


def _pattern(section: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\{.*?\}\}|\{%.*?%\})", section)
    regex = "".join(".*?" if part.startswith(("{{", "{%")) else re.escape(part) for part in parts if part)
    return re.compile(regex, re.IGNORECASE)
