"""The customer-facing reply: what was done (the tools' own words), the policy it rests on, citations.

A model backend writes its own reply; compose then only attaches the citations and scrubs PII. For the
offline backend it writes the reply: greeting, the tool outcomes, a quote of the cited passage, closing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from worker.agent.backends.base import AgentContext, BackendResult, Citation, ToolOutcome
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
QUOTE_MAX = 320
_MARKDOWN = re.compile(r"\*\*|__|`")
_BULLET = re.compile(r"^\s*(?:[-*]|\d+\.)\s+", re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

PassageFinder = Callable[[str, str], Citation | None]  # (policy stem, query) → best passage of that policy


@dataclass(frozen=True)
class Composed:
    """The reply text and the passages it cites."""

    reply: str
    citations: list[Citation]


def cited_policies(result: BackendResult, outcomes: Sequence[ToolOutcome]) -> list[str]:
    """Policy stems the reply rests on: the backend's, then each tool outcome's, without repeats."""
    stems = [*result.cited_policies, *(o.policy for o in outcomes if o.policy)]
    return list(dict.fromkeys(stem for stem in stems if stem))


def citations_for(
    ctx: AgentContext, result: BackendResult, outcomes: Sequence[ToolOutcome], find: PassageFinder
) -> list[Citation]:
    """One passage per cited policy: the retrieved one if any, else the best for the tool's message."""
    citations = []
    for stem in cited_policies(result, outcomes):
        # The tool's own words name the rule that applied ("outside our 30-day window"), so they find
        # the passage stating it better than the customer's text does.
        query = " ".join(o.message for o in outcomes if o.policy == stem) or ctx.text
        passage = (
            next((p for p in ctx.passages if p.policy == stem), None) if result.action == "answer" else None
        )
        passage = passage or find(stem, query)
        if passage is not None:
            citations.append(passage)
    return citations


def compose(
    ctx: AgentContext, result: BackendResult, outcomes: Sequence[ToolOutcome], find: PassageFinder
) -> Composed:
    """The reply and its citations; PII never leaves in the reply."""
    citations = citations_for(ctx, result, outcomes, find)
    if result.reply and _is_model_reply(result):
        return Composed(reply=redact(result.reply.strip()), citations=citations)
    if result.reply:
        body = result.reply.strip()
        if citations:
            body += "\n\n" + quote(citations[0])
    else:
        body = write_body(result, outcomes, citations)
    return Composed(reply=redact(wrap(body, escalated=_escalated(result, outcomes))), citations=citations)


def _is_model_reply(result: BackendResult) -> bool:
    return result.model is not None and result.usage.model_calls > 0


def _escalated(result: BackendResult, outcomes: Sequence[ToolOutcome]) -> bool:
    return result.escalate or any(o.escalate for o in outcomes)


def write_body(result: BackendResult, outcomes: Sequence[ToolOutcome], citations: Sequence[Citation]) -> str:
    """The offline reply body: what the tools said, then the policy it rests on."""
    if result.action == "answer" and citations:
        return answer_text(citations[0])
    said = list(dict.fromkeys(o.message for o in outcomes if o.message))
    parts = said or ["I've looked into your request."]
    if citations and not (outcomes and outcomes[-1].reason_code == "order_not_found"):
        parts.append(quote(citations[0]))
    return "\n\n".join(parts)


def answer_text(passage: Citation) -> str:
    """A policy answer: the passage itself, attributed."""
    title = POLICY_TITLES.get(passage.policy, f"{passage.policy} policy")
    return f"Here's what our {title} says under \u201c{passage.heading}\u201d:\n\n{plain(passage.text)}"


def quote(passage: Citation) -> str:
    """'As our refund policy puts it (“Heading”): “First sentences.”'"""
    title = POLICY_TITLES.get(passage.policy, f"{passage.policy} policy")
    return f"As our {title} puts it (\u201c{passage.heading}\u201d): \u201c{snippet(passage.text)}\u201d"


def snippet(text: str, limit: int = QUOTE_MAX) -> str:
    """Whole sentences from the start of a passage, up to about `limit` characters."""
    sentences = _SENTENCE_END.split(plain(text))
    out = sentences[0]
    for sentence in sentences[1:]:
        if len(out) + len(sentence) + 1 > limit:
            break
        out += " " + sentence
    return out if len(out) <= limit + 80 else out[:limit].rsplit(" ", 1)[0] + " \u2026"


def plain(text: str) -> str:
    """Markdown emphasis removed, whitespace tidied."""
    return " ".join(_BULLET.sub("", _MARKDOWN.sub("", text)).split())


def wrap(body: str, *, escalated: bool) -> str:
    """Greeting and closing around the body."""
    closing = (
        "You don't need to do anything else for now: we'll be in touch."
        if escalated
        else "If there's anything else I can help with, just reply to this message."
    )
    return f"Hello,\n\n{body}\n\n{closing}\n\nSupportOps assistant"
