"""The customer-facing reply: what was done (the tools' own words), the policy it rests on, citations.

A model backend writes its own reply; compose then only attaches the citations and scrubs PII. For the
offline backend it writes the reply: greeting, the tool outcomes, a quote of the passage that states
the rule applied (worker.agent.passages picks it), the refund timing when a refund is issued,
closing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from worker.agent import localize
from worker.agent.backends.base import AgentContext, BackendResult, Citation, ToolOutcome
from worker.agent.grounds import POLICY_GROUNDS, Ground, ground_for, section_words
from worker.agent.passages import answer_passage, excerpt, quote, rank, synonyms
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

# Which passage a decision rests on is looked up in worker.agent.grounds; search is for questions.
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


class PassageFinder(Protocol):
    """The policy index as compose uses it."""

    def __call__(self, stem: str, query: str) -> Citation | None:
        """The passage of that policy most similar to the query."""

    def section(self, stem: str, section: str) -> Citation | None:
        """The passage of that policy under that heading (as written in the policy file), or None."""


@dataclass(frozen=True)
class Composed:
    """The reply text and the passages it cites."""

    reply: str
    citations: list[Citation]


@dataclass(frozen=True)
class Cited:
    """One cited passage and the words it was chosen for (they also pick the sentences to quote)."""

    passage: Citation
    query: str = ""  # what it was searched for (an answer quotes the sentences that match it)
    sentence: int | None = None  # a decision's passage: the one sentence stating the rule (None: quote none)
    grounded: bool = False  # looked up from the decision (grounds), not searched


def cited_policies(result: BackendResult, outcomes: Sequence[ToolOutcome]) -> list[str]:
    """Policy stems the reply rests on: the backend's, then each tool outcome's, without repeats."""
    # A hand-over rests on no rule the customer needs quoted: escalations cite nothing.
    stems = [*result.cited_policies, *(o.policy for o in outcomes if o.policy and o.tool != "escalate")]
    return list(dict.fromkeys(stem for stem in stems if stem))


def choose(
    ctx: AgentContext, result: BackendResult, outcomes: Sequence[ToolOutcome], find: PassageFinder
) -> list[Cited]:
    """One passage per cited policy: for an answer the one answering the question (searched), else
    the section stating the rule the decision applied (looked up in grounds)."""
    chosen = []
    for stem in cited_policies(result, outcomes):
        decided = [o for o in outcomes if o.policy == stem]
        if result.action == "answer" and not decided:
            cited = _answering(ctx, stem, find)
        else:
            ground = ground_for(decided[-1]) if decided else POLICY_GROUNDS.get(stem)
            fallback = decided[-1].message if decided else ctx.text
            cited = _grounded(ground, find) if ground and ground.policy == stem else None
            cited = cited or _searched(ctx, stem, fallback, find)
        if cited is not None:
            chosen.append(cited)
    return chosen


def _candidates(ctx: AgentContext, stem: str, query: str, find: PassageFinder) -> list[Citation]:
    found = [find(stem, query), *(p for p in ctx.passages if p.policy == stem)]
    return [p for p in found if p is not None and p.policy == stem]


def _answering(ctx: AgentContext, stem: str, find: PassageFinder) -> Cited | None:
    best = answer_passage(ctx.text, _candidates(ctx, stem, ctx.text, find))
    return Cited(best, ctx.text) if best is not None else None


def _grounded(ground: Ground, find: PassageFinder) -> Cited | None:
    """The ground's section; when an edited policy renamed it, the passage its heading's words find."""
    passage = find.section(ground.policy, ground.section) or find(
        ground.policy, section_words(ground.section)
    )
    return Cited(passage, sentence=ground.sentence, grounded=True) if passage is not None else None


def _searched(ctx: AgentContext, stem: str, query: str, find: PassageFinder) -> Cited | None:
    """A decision no ground covers: the passage most like its own message."""
    best = next(iter(rank(query, _candidates(ctx, stem, query, find))), None)
    return Cited(best, query) if best is not None else None


def compose(
    ctx: AgentContext, result: BackendResult, outcomes: Sequence[ToolOutcome], find: PassageFinder
) -> Composed:
    """The reply and its citations; PII never leaves in the reply."""
    cited = choose(ctx, result, outcomes, find)
    citations = [c.passage for c in cited]
    # The customer's item names ("Michael Kors Jeans") are product names, never a person to hide.
    items = sorted({item.name for order in ctx.orders for item in order.items if item.name})
    if result.reply and is_model_reply(result):
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


def is_model_reply(result: BackendResult) -> bool:
    """Whether the reply is a model's own text (a model backend made calls), not the offline rules'."""
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
    return Cited(ranked[0], method) if ranked else None


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
    if cited.grounded:
        text = quote(passage, cited.sentence) if cited.sentence is not None else ""
    else:
        text = excerpt(passage, cited.query, QUOTE_MAX, min_share=0.5, max_units=1)
    if not text[:1].isupper():
        return None  # a fragment of a list reads badly on its own: the citation box has it whole
    return f"{lead}: {text}" if lead else f"Our {title}: {text}"


def wrap(body: str, closing: str | None) -> str:
    """Greeting and closing around the body."""
    ending = f"\n\n{closing}" if closing else ""
    # No signature: the page and the e-mail already say who wrote it.
    return f"Hello,\n\n{body}{ending}"
