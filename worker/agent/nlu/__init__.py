"""Offline understanding of a customer's message: what they want, about which order, how urgently.

`triage(text)` combines a classifier trained on the project's own examples (the action) with
rules (order numbers, sentiment, reasons, priority). It needs no network and is deterministic.
Pass it redacted text: it only reads, it never stores.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from worker.agent.nlu import signals
from worker.agent.nlu.extract import asks_address_change, extract_order_numbers, item_mentions
from worker.agent.nlu.intents import fine_intent
from worker.agent.nlu.language import detect_language

__all__ = ["Triage", "extract_order_numbers", "item_mentions", "triage", "warm_up"]

# Said outright, these send a ticket to a person whatever else the message asks for (policy:
# escalation.md), so a rule backs up the classifier.
_FORCED_ESCALATION = frozenset({"legal_threat", "chargeback", "requested_human"})
_RULE_CONFIDENCE = 0.9


@dataclass(frozen=True)
class Triage:
    """What the classifier and rules read from one message."""

    action: str
    intent: str
    confidence: float
    sentiment: float
    priority: str
    order_numbers: list[str] = field(default_factory=list)
    replacement_reason: str | None = None
    wants_person: bool = False
    escalation_reason: str | None = None
    probabilities: dict[str, float] = field(default_factory=dict)
    # The ISO 639-1 code of the language the customer wrote in (replies follow it).
    language: str = "en"
    # For questions answered from policy: the stem of the policy page that holds the answer.
    topic: str | None = None
    # A finer reason under the action (e.g. damaged_item, changed_mind), when one is said.
    detail: str | None = None


def warm_up(cache_dir: str | os.PathLike | None = None) -> None:
    """Load or train the classifier now rather than on the first ticket.

    With `cache_dir` (the app's instance folder, say) a trained model is saved there as plain
    arrays keyed by a hash of the data and code, and later processes load it in milliseconds.
    """
    from worker.agent.nlu.model import get_model

    get_model(cache_dir)


def _classify(text: str) -> tuple[str, float, dict[str, float]]:
    from worker.agent.nlu.model import get_model

    probs = get_model().probabilities(text)
    action = max(probs, key=probs.__getitem__)
    return action, probs[action], probs


def _courtesy(text: str) -> Triage:
    """A thank-you or hello with no request: answered warmly, nothing to decide."""
    return Triage(
        action="answer",
        intent="greeting",
        confidence=_RULE_CONFIDENCE,
        sentiment=signals.sentiment(text),
        priority="P4",
        language=detect_language(text),
    )


def triage(text: str) -> Triage:
    """Read a (redacted) customer message: action, intent, confidence, sentiment, priority, orders."""
    if signals.courtesy_only(text):
        return _courtesy(text)
    action, confidence, probs = _classify(text)
    reason = signals.escalation_reason(text, action)
    if reason in _FORCED_ESCALATION and action != "escalate":
        action, confidence = "escalate", max(probs.get("escalate", 0.0), _RULE_CONFIDENCE)
    elif asks_address_change(text) and action != "refund" and not signals.replacement_reason(text):
        # The classifier was trained before this tool existed; the rule reads the request.
        action, confidence = "change_address", max(confidence, _RULE_CONFIDENCE)
    mood = signals.sentiment(text)
    damage = signals.replacement_reason(text)
    intent = "change_address/change_shipping_address" if action == "change_address" else None
    intent = intent or fine_intent(action, text, damage, reason)
    detail = intent.partition("/")[2] or None
    return Triage(
        action=action,
        intent=intent,
        detail=detail,
        language=detect_language(text),
        topic=detail if action == "answer" and detail != "general" else None,
        confidence=round(confidence, 3),
        sentiment=mood,
        priority=signals.priority(action, reason, mood, text),
        order_numbers=extract_order_numbers(text),
        replacement_reason=damage,
        wants_person=signals.wants_person(text),
        escalation_reason=reason,
        probabilities={k: round(v, 3) for k, v in probs.items()},
    )
