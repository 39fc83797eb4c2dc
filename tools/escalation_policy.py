"""When a person takes over, and how urgent a ticket is: the escalation policy as data.

Customers read it in policies/escalation.md; this module is the code's one copy. The agent reads a
message (worker.agent.nlu finds the reasons, the mood, the money and safety words) and asks here what
follows: whether a reason forces a hand-over, which category and note the escalate tool records, the
ticket's priority, which rules hand an answered ticket to a person, and which order statuses each
action applies to. A new escalation rule touches this file and its test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Said outright, these send a ticket to a person whatever else the message asks for.
FORCED_REASONS = frozenset({"legal_threat", "chargeback", "requested_human"})

# A reason (as the agent names it) -> the escalate tool's category and the note staff read.
REASON_CATEGORIES: dict[str, tuple[str, str]] = {
    "requested_human": ("human_requested", "The customer asks to talk to a person."),
    "complaint": ("complaint", "The customer complains about our service."),
    "legal_threat": ("legal_threat", "The customer mentions legal action."),
    "chargeback": ("chargeback", "The customer mentions a chargeback or a bank dispute."),
    "out_of_scope": ("not_covered", "The customer asks for something no tool or policy covers."),
    "payment_issue": ("other", "The customer reports a problem with a payment."),
    "change_order": ("not_covered", "The customer asks to change the items of an order."),
    "asked_twice": (
        "other",
        "The assistant asked the customer a question twice and still could not tell what they need.",
    ),
}
DEFAULT_CATEGORY = ("other", "The customer needs a person.")

# Which order statuses an action can apply to (to narrow "my order" down when none is named).
ACTION_ORDER_STATUSES: dict[str, tuple[str, ...]] = {
    "refund": ("delivered",),
    "replacement": ("delivered",),
    "cancel": ("pending",),
    "order_status": ("pending", "shipped"),
    "change_address": ("pending",),
    "invoice": ("pending", "shipped", "delivered", "refunded"),
}

# Priority: P1 legal, chargeback, fraud or safety, or a very unhappy customer; P2 money moves or a
# person is needed (or a status question about money); P3 other status questions; P4 the rest.
P1_REASONS = frozenset({"legal_threat", "chargeback"})
P1_MOOD_AT_OR_BELOW = -0.6
P2_ACTIONS = frozenset({"refund", "cancel", "replacement", "escalate"})


def forces_person(reason: str | None) -> bool:
    """Whether a reason sends the ticket to a person whatever the message asks for."""
    return reason in FORCED_REASONS


def category_for(reason: str | None) -> tuple[str, str]:
    """The escalate tool's (category, note for staff) for the agent's reason."""
    return REASON_CATEGORIES.get(reason or "", DEFAULT_CATEGORY)


def priority(action: str, reason: str | None, mood: float, *, danger: bool, money: bool) -> str:
    """P1-P4 from what the customer asks (action), why (reason), how they feel (mood, -1..1) and
    whether they mention danger (fraud, safety) or money."""
    if reason in P1_REASONS or danger or mood <= P1_MOOD_AT_OR_BELOW:
        return "P1"
    if action in P2_ACTIONS:
        return "P2"
    if action == "order_status":
        return "P2" if money else "P3"
    return "P4"


@dataclass(frozen=True)
class EscalationRules:
    """The thresholds that hand an answered ticket to a person (ESCALATE_* settings, read by
    portal.config_agent; these defaults are the settings' defaults)."""

    p1_after_turns: int = 2
    sentiment_below: float = -0.7
    confidence_below: float = 0.6


def rule_reasons(
    rules: EscalationRules,
    *,
    priority: str,
    customer_turns: int,
    sentiment: float,
    confidence: float,
    sla_due_at: datetime | None,
    now: datetime,
) -> list[tuple[str, str]]:
    """Every rule that fires, as (code, plain reason); empty when the agent may carry on alone."""
    reasons = []
    if priority == "P1" and customer_turns > rules.p1_after_turns:
        reasons.append(("p1_turns", f"P1 ticket still open after {customer_turns} customer messages"))
    if sentiment < rules.sentiment_below:
        reasons.append(("sentiment", f"very negative sentiment ({sentiment:.2f})"))
    if confidence < rules.confidence_below:
        reasons.append(("confidence", f"low classifier confidence ({confidence:.2f})"))
    if sla_due_at is not None and now > sla_due_at:
        reasons.append(("sla", "unresolved past its service-level deadline"))
    return reasons
