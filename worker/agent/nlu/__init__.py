"""Offline understanding of a customer's message: what they want, about which order, how urgently.

`triage(text)` combines a classifier trained on the project's own examples (the intent, one of
taxonomy.INTENTS, and from it the action) with rules (order numbers, sentiment, reasons,
priority, language). It needs no network and is deterministic. Pass it redacted text: it only
reads, it never stores.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from tools.escalation_policy import forces_person
from worker.agent.nlu import signals
from worker.agent.nlu.extract import asks_address_change, extract_order_numbers, item_mentions, new_address
from worker.agent.nlu.injection import strip_instructions
from worker.agent.nlu.intents import answer_topic, fine_intent
from worker.agent.nlu.language import detect_language
from worker.agent.nlu.taxonomy import ACTION, TOPIC

__all__ = ["Triage", "extract_order_numbers", "item_mentions", "triage", "warm_up"]

_RULE_CONFIDENCE = 0.9


@dataclass(frozen=True)
class Triage:
    """What the classifier and rules read from one message."""

    action: str
    # One of taxonomy.INTENTS (the customer-service taxonomy of ../shared/scenarios/INTENTS.md).
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
    # A finer reason under the action (e.g. damaged_item, changed_mind, tracking), when one is said.
    detail: str | None = None


def warm_up(cache_dir: str | os.PathLike | None = None) -> None:
    """Load or train the classifier now rather than on the first ticket.

    A trained model is saved in `cache_dir` (default: the machine's cache,
    `$SUPPORTOPS_CACHE_DIR` or ~/.cache/supportops) as plain arrays keyed by a hash of the data
    and code, and later processes load it in milliseconds.
    """
    from worker.agent.nlu.model import get_model

    get_model(cache_dir)


def _classify(text: str) -> tuple[str, str, float, dict[str, float]]:
    """(action, intent, the action's probability, action probabilities)."""
    from worker.agent.nlu.model import action_probabilities, get_model

    intents = get_model().probabilities(text)
    actions = action_probabilities(intents)
    action = max(actions, key=actions.__getitem__)
    intent = max((i for i in intents if ACTION[i] == action), key=intents.__getitem__)
    return action, intent, actions[action], actions


# Why an escalating intent goes to a person (the offline backend turns it into the tool's category).
_INTENT_REASON = {
    "contact_human_agent": "requested_human",
    "complaint": "complaint",
    "payment_issue": "payment_issue",
    "change_order": "change_order",
}
_FORCED_INTENT = {
    "requested_human": "contact_human_agent",
    "legal_threat": "complaint",
    "chargeback": "complaint",
}


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


def _names_new_address(text: str) -> bool:
    return asks_address_change(text) and new_address(text) is not None


# Pages that answer neighbouring questions: "how long does a refund take to reach my card" is a
# refund-policy intent answered on the payments page.
_RELATED_TOPICS = {
    "refunds": {"payments", "replacements", "cancellations"},
    "cancellations": {"refunds", "payments"},
    "payments": {"refunds"},
    "accounts": {"privacy"},
    "privacy": {"accounts"},
}


def _topic(action: str, intent: str, text: str) -> str | None:
    """The policy page that answers a question (None for actions and answers that cite none)."""
    if intent in ("greeting", "review"):
        return None
    words = answer_topic(text)
    if intent in TOPIC:
        default = TOPIC[intent]
        return words if words in _RELATED_TOPICS.get(default, ()) else default
    if action != "answer":
        return None
    return None if words == "general" else words


def triage(text: str) -> Triage:
    """Read a (redacted) customer message: action, intent, confidence, sentiment, priority, orders.

    Sentences addressed to the assistant ("ignore previous instructions", fake system notes) are
    read past: they are content, never commands, and no reason to escalate (injection.py).
    """
    text = strip_instructions(text)[0]
    if signals.courtesy_only(text):
        return _courtesy(text)
    action, intent, confidence, probs = _classify(text)
    reason = signals.escalation_reason(text, action)
    damage = signals.replacement_reason(text)
    if forces_person(reason) and action != "escalate":  # a rule backs up the classifier
        action, intent = "escalate", _FORCED_INTENT[reason]
        confidence = max(probs.get("escalate", 0.0), _RULE_CONFIDENCE)
    elif action != "refund" and not damage and _names_new_address(text):
        # "Send it to 5 Elm St instead" is a concrete request, whatever the classifier leans to.
        action, intent = "change_address", "change_shipping_address"
        confidence = max(confidence, _RULE_CONFIDENCE)
    if action == "escalate" and reason in (None, "out_of_scope", "complaint"):
        reason = _INTENT_REASON.get(intent, reason)
    mood = signals.sentiment(text)
    detail = fine_intent(action, text, damage, reason).partition("/")[2] or None
    return Triage(
        action=action,
        intent=intent,
        detail=detail,
        language=detect_language(text),
        topic=_topic(action, intent, text),
        confidence=round(confidence, 3),
        sentiment=mood,
        priority=signals.priority(action, reason, mood, text),
        order_numbers=extract_order_numbers(text),
        replacement_reason=damage,
        wants_person=signals.wants_person(text),
        escalation_reason=reason,
        probabilities={k: round(v, 3) for k, v in probs.items()},
    )
