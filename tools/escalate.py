"""The escalate tool: hand the ticket to a person."""

from __future__ import annotations

from tools.types import Decision, PolicyLimits

POLICY = "escalation"
CATEGORIES = ("human_requested", "complaint", "legal_threat", "chargeback", "not_covered", "other")

MODEL_ARGS = {
    "type": "object",
    "properties": {
        "category": {
            "type": "string",
            "enum": list(CATEGORIES),
            "description": "human_requested: the customer asks for a person; "
            "complaint: unhappy with our service; legal_threat: mentions a lawyer or legal action; "
            "chargeback: threatens a bank chargeback; "
            "not_covered: asks for something no tool or policy covers; other: any other reason to hand over.",
        },
        "reason": {
            "type": "string",
            "description": "One sentence for the staff member: what the customer needs.",
        },
    },
    "required": ["category", "reason"],
}


def escalate(*, category: str, reason: str, limits: PolicyLimits) -> Decision:
    """Hand the ticket to a member of the support team, who will reply within {sla_hours:g} hours.

    Use this when the customer asks for a person, complains about our service, threatens legal
    action or a chargeback, or asks for something no other tool or policy covers. Give the category
    and one sentence saying what the customer needs. Do not use it when another tool can do what the
    customer asks. It changes no order and moves no money.

    Implementation: limits supplies the response time.
    """
    if category not in CATEGORIES:
        category = "other"
    text = (
        "I've passed your ticket to our support team. A member of our team will reply within "
        f"{limits.sla_hours:g} hours, and you won't need to repeat anything."
    )
    return Decision(
        "escalate",
        "done",
        text,
        POLICY,
        effects=("escalation",),
        reasons=(reason.strip()[:200],),
        escalate=True,
        details={"category": category},
    )
