"""Rule-based escalation after the agent has answered: signals that a person should take over.

The thresholds come from the app config (ESCALATE_*, SLA_HOURS), so support teams tune them
without touching code. Each rule gives a short reason in plain words for the staff desk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class EscalationRules:
    """The thresholds of the escalation rules."""

    p1_after_turns: int = 2
    sentiment_below: float = -0.7
    confidence_below: float = 0.6

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> EscalationRules:
        """The ESCALATE_* thresholds from the app config."""
        return cls(
            p1_after_turns=int(config.get("ESCALATE_P1_AFTER_TURNS", 2)),
            sentiment_below=float(config.get("ESCALATE_SENTIMENT_BELOW", -0.7)),
            confidence_below=float(config.get("ESCALATE_CONFIDENCE_BELOW", 0.6)),
        )


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
