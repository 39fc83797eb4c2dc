"""What a model's reply may not say: an amount no tool, order or policy gave, or an action no tool took.

The Mistral backend checks every reply with `unsupported_reply` before it is sent; a reply that fails
is replaced by the tools' own messages (worker.agent.backends.mistral._Run._fallback).
"""

from __future__ import annotations

import re
from decimal import Decimal

from worker.agent.backends.base import AgentContext, ToolOutcome
from worker.agent.backends.mistral_prompt import prompt_passages

_MONEY = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})*|\d+)\.(\d{2})(?!\d)")
_CLAIMS = {
    "refund": re.compile(r"\b(refund\b[^.]*\b(has|have) been issued|i(?:'ve| have) (issued|refunded))", re.I),
    "cancel": re.compile(r"\b((has|have) been cancell?ed|i(?:'ve| have) cancell?ed)\b", re.I),
}


def unsupported_reply(reply: str, ctx: AgentContext, outcomes: list[ToolOutcome]) -> str | None:
    """Why a model's reply cannot be sent as is (an invented amount or an action nobody took), or None."""
    if not reply.strip():
        return "empty reply"
    known = _known_amounts(ctx, outcomes)
    invented = [m.group(0) for m in _MONEY.finditer(reply) if _amount(m) not in known]
    if invented:
        return f"reply mentions amounts no tool or order gave: {', '.join(invented)}"
    for tool, claim in _CLAIMS.items():
        done = any(o.tool == tool and o.outcome == "done" for o in outcomes)
        if claim.search(reply) and not done:
            return f"reply claims a {tool} that did not happen"
    return None


def _amount(match: re.Match[str]) -> Decimal:
    return Decimal(match.group(1).replace(",", "") + "." + match.group(2))


def _known_amounts(ctx: AgentContext, outcomes: list[ToolOutcome]) -> set[Decimal]:
    texts = [o.message for o in outcomes] + [p.text for p in prompt_passages(ctx)]
    known = {_amount(m) for text in texts for m in _MONEY.finditer(text)}
    known |= {o.amount for o in outcomes if o.amount is not None}
    for order in ctx.orders:
        known |= {order.total, order.refunded_total, order.refundable}
        known |= {i.unit_price for i in order.items} | {i.value for i in order.items}
    known.add(ctx.limits.approval_threshold)
    return {Decimal(k).quantize(Decimal("0.01")) for k in known}
