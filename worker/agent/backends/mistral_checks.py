"""What a model's reply may not say: an amount no tool, order or policy gave.

Both model backends (Mistral, OpenAI-compatible) check every reply with `unsupported_reply` before it
is sent; a reply that fails is replaced by the tools' own messages
(worker.agent.backends.chat_loop.ToolLoop._fallback). Claims of an
action no tool took are checked for every model backend by the pipeline (worker.agent.grounding).
"""

from __future__ import annotations

import re
from decimal import Decimal

from worker.agent.backends.base import AgentContext, ToolOutcome
from worker.agent.backends.mistral_prompt import prompt_passages

_MONEY = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})*|\d+)\.(\d{2})(?!\d)")


def unsupported_reply(reply: str, ctx: AgentContext, outcomes: list[ToolOutcome]) -> str | None:
    """Why a model's reply cannot be sent as is (empty, or an invented amount), or None."""
    if not reply.strip():
        return "empty reply"
    known = _known_amounts(ctx, outcomes)
    invented = [m.group(0) for m in _MONEY.finditer(reply) if _amount(m) not in known]
    if invented:
        return f"reply mentions amounts no tool or order gave: {', '.join(invented)}"
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
