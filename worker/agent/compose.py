"""The customer-facing reply: what was done (the tools' own words), the policy it rests on, citations.

A model backend writes its own reply; compose then only attaches the citations and scrubs PII. For the
offline backend it writes the reply: greeting, the tool outcomes, a quote of the passage that states
the rule applied (worker.agent.passages picks it), the refund timing when a refund is issued,
closing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from worker.agent import localize
from worker.agent.backends.base import AgentContext, BackendResult, Citation, ToolOutcome
from worker.agent.passages import answer_passage, excerpt, rank, synonyms
from worker.agent.redact import redact

# policy stem → how a reply names it
POLICY_TITLES = {
    "refunds": "refund policy",
    "cancellations": "cancellation policy",
    "replacements": "replacement policy",
    "shipping": "shipping policy",
    "escalation": "support policy",
    "payments": "payments policy",
    "accounts": "account help page",
    "privacy": "privacy policy",
}
QUOTE_MAX = 300
ANSWER_MAX = 420
CLOSING = "If there's anything else I can help with, just reply to this message."
ESCALATED_CLOSING = "You don't need to do anything else for now: we'll be in touch."

# What a decision rests on, as words naming the policy section that states the rule applied:
# (tool, reason code or outcome) → query. The words favour that section's heading and sentences.
# No numbers: they come from the configured limits, so a query must not depend on their values.
_RESPONSE_TIME = "response time first response within hours"
_ELIGIBLE_REPLACEMENT = "when you can get a replacement delivered days ago damaged defective wrong item"
_CANNOT_CANCEL = "orders that cannot be cancelled already cancelled refunded shipped delivered"
DECISION_TOPICS = {
    ("refund", "done"): "refund window days after delivery ask for a refund",
    ("refund", "held"): "refunds above need a staff review not paid out automatically",
    ("refund", "refund_window_expired"): "refund window days after delivery from day on no longer refund",
    ("refund", "not_shipped"): "who can get a refund not shipped yet cancelled instead",
    ("refund", "not_delivered"): "who can get a refund on its way refunded once it has arrived",
    ("refund", "already_refunded"): "orders we cannot refund already fully refunded",
    ("refund", "order_cancelled"): "orders we cannot refund cancelled",
    ("refund", "item_not_found"): "how much is refunded partial refund items you name",
    ("refund", "exceeds_remaining"): "how much is refunded never more than paid less refunds already made",
    ("refund", "refund_limit_reached"): "limit refunds in any rolling days counted across all your orders",
    ("cancel", "done"): "what you get back full order amount original payment method",
    ("cancel", "already_shipped"): "which orders can be cancelled once shipped no longer cancelled",
    ("cancel", "already_delivered"): _CANNOT_CANCEL,
    ("cancel", "order_cancelled"): _CANNOT_CANCEL,
    ("cancel", "already_refunded"): _CANNOT_CANCEL,
    ("cancel", "not_cancellable"): _CANNOT_CANCEL,
    ("replacement", "done"): _ELIGIBLE_REPLACEMENT,
    ("replacement", "not_delivered"): _ELIGIBLE_REPLACEMENT,
    ("replacement", "replacement_window_expired"): _ELIGIBLE_REPLACEMENT,
    ("replacement", "order_cancelled"): _ELIGIBLE_REPLACEMENT,
    ("replacement", "already_refunded"): _ELIGIBLE_REPLACEMENT,
    ("replacement", "problem_not_covered"): "replace changed your mind ask for a refund instead",
    ("replacement", "replacement_limit_reached"): "one replacement per order at most time",
    ("order_status", "pending"): "tracking your order as soon as it ships email tracking number",
    ("order_status", "shipped"): "tracking your order tracking number carrier follow the parcel",
    ("escalate", "done"): _RESPONSE_TIME,
}
# Policies a backend cites without a tool outcome (clarify, hand-over): the section they rest on.
STEM_TOPICS = {
    "replacements": _ELIGIBLE_REPLACEMENT,
    "escalation": _RESPONSE_TIME,
}
_METHOD_TERMS = {"card": "card", "paypal": "paypal", "gift_card": "gift card"}
_TIMING_TOPIC = "how long a refund takes business days"

# A few warm words before the outcome, for what the customer went through (not for every reply).
_PROBLEM_OPENERS = {
    "damaged_item": "I'm sorry your order arrived damaged.",
    "defective_item": "I'm sorry it isn't working as it should.",
    "wrong_item": "I'm sorry we sent you the wrong item.",
}
_ESCALATION_OPENERS = {
    "human_requested": "Of course.",
    "complaint": "I'm sorry we've let you down.",
    "legal_threat": "I understand this is serious.",
    "chargeback": "I understand this is serious.",
    "not_covered": "That's not something I can do myself.",
}
# What the customer can do next after a refusal, when there is a way forward.
_ASK_A_PERSON = (
    "If something is wrong with the item, reply and ask for a person: a member of our team will take a look."
)
_NEXT_STEPS = {
    ("refund", "not_shipped"): "If you'd like that, just reply \u201cPlease cancel order {n}\u201d.",
    (
        "cancel",
        "already_shipped",
    ): "Once it arrives, you can ask for a refund if you'd still like your money back.",
    ("refund", "refund_window_expired"): _ASK_A_PERSON,
    ("replacement", "replacement_window_expired"): _ASK_A_PERSON,
}
# Decisions whose rule the reply states in a sentence (lookups and address changes say it themselves).
_RULED_TOOLS = ("refund", "cancel", "replacement")

PassageFinder = Callable[[str, str], Citation | None]  # (policy stem, query) → best passage of that policy


@dataclass(frozen=True)
class Composed:
    """The reply text and the passages it cites."""

    reply: str
    citations: list[Citation]


@dataclass(frozen=True)
class Cited:
    """One cited passage and the words it was chosen for (they also pick the sentences to quote)."""

    passage: Citation
    query: str
    sentences: int = 2  # at most this many of its sentences are quoted


def cited_policies(result: BackendResult, outcomes: Sequence[ToolOutcome]) -> list[str]:
    """Policy stems the reply rests on: the backend's, then each tool outcome's, without repeats."""
    # A hand-over rests on no rule the customer needs quoted: escalations cite nothing.
    stems = [*result.cited_policies, *(o.policy for o in outcomes if o.policy and o.tool != "escalate")]
    return list(dict.fromkeys(stem for stem in stems if stem))


def decision_topic(outcome: ToolOutcome) -> str:
    """The words naming the rule a tool outcome applied (its own message when none is listed)."""
    status = str(outcome.details.get("status") or "") if outcome.tool == "order_status" else ""
    if status:
        # "cancelled: the order was cancelled ...": the status's own line of the list of statuses
        return DECISION_TOPICS.get((outcome.tool, status), f"order statuses {status}: the order")
    by_reason = DECISION_TOPICS.get((outcome.tool, outcome.reason_code or ""))
    return by_reason or DECISION_TOPICS.get((outcome.tool, outcome.outcome)) or outcome.message


def choose(
    ctx: AgentContext, result: BackendResult, outcomes: Sequence[ToolOutcome], find: PassageFinder
) -> list[Cited]:
    """One passage per cited policy: for an answer the one answering the question, else the one
    stating the rule the decision applied, chosen among retrieved and searched candidates."""
    chosen = []
    for stem in cited_policies(result, outcomes):
        decided = [o for o in outcomes if o.policy == stem]
        answering = result.action == "answer" and not decided
        if answering:
            query = ctx.text
        else:
            query = decision_topic(decided[-1]) if decided else STEM_TOPICS.get(stem, ctx.text)
        found = [find(stem, query), *(p for p in ctx.passages if p.policy == stem)]
        candidates = [p for p in found if p is not None and p.policy == stem]
        best = answer_passage(query, candidates) if answering else next(iter(rank(query, candidates)), None)
        if best is not None:
            chosen.append(Cited(best, query, _sentences(decided[-1] if decided else None)))
    return chosen


def _sentences(outcome: ToolOutcome | None) -> int:
    """How many sentences of the passage to quote: one where more would say something else (the
    neighbouring order statuses; a held refund's "approves it", which the reply must not promise)."""
    if outcome is not None and (outcome.tool == "order_status" or outcome.outcome == "held"):
        return 1
    return 2


def compose(
    ctx: AgentContext, result: BackendResult, outcomes: Sequence[ToolOutcome], find: PassageFinder
) -> Composed:
    """The reply and its citations; PII never leaves in the reply."""
    cited = choose(ctx, result, outcomes, find)
    citations = [c.passage for c in cited]
    # The customer's item names ("Michael Kors Jeans") are product names, never a person to hide.
    items = sorted({item.name for order in ctx.orders for item in order.items if item.name})
    if result.reply and _is_model_reply(result):
        return Composed(reply=redact(result.reply.strip(), items=items), citations=citations)
    localized = _localized(ctx, result, outcomes, cited)
    if localized is not None:
        return Composed(reply=redact(localized, items=items), citations=citations)
    if result.reply:
        parts = [result.reply.strip(), *_rule_lines(cited)]
    else:
        parts = write_body(ctx, result, outcomes, cited)
        timing = refund_timing(outcomes, find)
        if timing is not None:
            parts += _rule_lines([timing], lead="As for timing")
            citations.append(timing.passage)
    closing = (
        None if result.action == "clarify" or ctx.triage.intent == "greeting" else _closing(result, outcomes)
    )
    return Composed(reply=redact(wrap("\n\n".join(parts), closing), items=items), citations=citations)


def _localized(
    ctx: AgentContext, result: BackendResult, outcomes: Sequence[ToolOutcome], cited: Sequence[Cited]
) -> str | None:
    """The reply in the customer's language when it is not English and the outcome has wording there."""
    language = ctx.triage.language
    if not localize.supported(language):
        return None
    if result.courtesy:
        return localize.courtesy(language, result.courtesy)
    if result.action == "answer" and cited and not outcomes:
        return localize.wrap_localized(language, localize.answer_frame(language, cited[0].passage.heading))
    body = localize.localized_body(language, result, localize.main_of(result, outcomes))
    return localize.wrap_localized(language, body) if body else None


def _is_model_reply(result: BackendResult) -> bool:
    return result.model is not None and result.usage.model_calls > 0


def _closing(result: BackendResult, outcomes: Sequence[ToolOutcome]) -> str:
    escalated = result.escalate or any(o.escalate for o in outcomes)
    return ESCALATED_CLOSING if escalated else CLOSING


def write_body(
    ctx: AgentContext, result: BackendResult, outcomes: Sequence[ToolOutcome], cited: Sequence[Cited]
) -> list[str]:
    """The offline reply's paragraphs: what the tools did, then the passage that supports it."""
    if result.action == "answer" and cited:
        return answer_parts(cited[0])
    said = [o for o in outcomes if o.message]
    if not said:
        return [
            "I've looked into your request.",
            *_rule_lines(cited),
        ]
    main = said[-1]
    parts = [outcome_text(ctx, main, said)]
    if main.reason_code != "order_not_found" and cited and main.tool in _RULED_TOOLS:
        parts += _rule_lines(cited)
    return parts


def outcome_text(ctx: AgentContext, main: ToolOutcome, said: Sequence[ToolOutcome]) -> str:
    """The tools' messages, with a few warm words first and the next step after a refusal."""
    messages = list(dict.fromkeys(o.message for o in said))
    opener = _opener(ctx, main)
    if main.outcome == "denied":
        messages[-1] = _regretfully(messages[-1])
    next_step = _NEXT_STEPS.get((main.tool, main.reason_code or ""), "").format(n=main.order_number)
    return " ".join(part for part in (opener, *messages, next_step) if part)


def _opener(ctx: AgentContext, main: ToolOutcome) -> str:
    if main.tool == "escalate":
        return _ESCALATION_OPENERS.get(str(main.details.get("category")), "")
    if main.tool in ("refund", "replacement") and main.outcome in ("done", "held"):
        return _PROBLEM_OPENERS.get(ctx.triage.detail or "", "")
    return ""


def _regretfully(text: str) -> str:
    """'I'm sorry, but order A1 ...'; 'Unfortunately, ...' where the sentence has its own 'but'."""
    lowered = text if text.startswith(("I ", "I'")) else text[:1].lower() + text[1:]
    return ("Unfortunately, " if " but " in text else "I'm sorry, but ") + lowered


def refund_timing(outcomes: Sequence[ToolOutcome], find: PassageFinder) -> Cited | None:
    """When a refund was issued: how long its payment method takes to show the money.

    Cancellations quote "What you get back" alone: their citations are just the cancellation policy
    (tests/worker/test_cli.py holds that contract)."""
    moved = next((o for o in outcomes if o.tool == "refund" and o.outcome == "done"), None)
    method = _METHOD_TERMS.get(str(moved.details.get("method"))) if moved else None
    if method is None:
        return None
    ranked = rank(_TIMING_TOPIC, [p for p in [find("payments", _TIMING_TOPIC)] if p])
    return Cited(ranked[0], method, sentences=1) if ranked else None


def answer_parts(cited: Cited) -> list[str]:
    """A policy answer: the sentences of the best passage that answer the question, then where from."""
    passage = cited.passage
    title = POLICY_TITLES.get(passage.policy, f"{passage.policy} policy")
    answer = excerpt(passage, cited.query + synonyms(cited.query), ANSWER_MAX, min_share=0.34, bullets=True)
    return [answer, f"That's from our {title}, under \u201c{passage.heading}\u201d."]


def _rule_lines(cited: Sequence[Cited], lead: str | None = None) -> list[str]:
    """The first cited passage's rule as a paragraph list: empty when nothing is cited or it reads badly."""
    line = rule(cited[0], lead) if cited else None
    return [line] if line else []


def rule(cited: Cited, lead: str | None = None) -> str | None:
    """The rule applied, in one sentence of the policy: 'Our refund policy: You have N days ...'.

    The whole passage is in the citation box under the reply; the body states the rule once."""
    passage = cited.passage
    title = POLICY_TITLES.get(passage.policy, f"{passage.policy} policy")
    text = excerpt(passage, cited.query, QUOTE_MAX, min_share=0.5, max_units=1)
    if not text[:1].isupper():
        return None  # a fragment of a list reads badly on its own: the citation box has it whole
    return f"{lead}: {text}" if lead else f"Our {title}: {text}"


def wrap(body: str, closing: str | None) -> str:
    """Greeting and closing around the body."""
    ending = f"\n\n{closing}" if closing else ""
    # No signature: the page and the e-mail already say who wrote it.
    return f"Hello,\n\n{body}{ending}"
