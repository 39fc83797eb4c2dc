"""The offline backend: triage + rules decide, the same tools act. No network, deterministic.

It reads the classifier's action, picks the order (named in the text, picked in the form, or the
only one that fits; several fitting and none named → ask which), calls the tool through the toolbox,
and leaves the wording to worker.agent.compose (the tools' own messages plus a policy quote).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tools import OrderSnapshot
from tools.escalation_policy import ACTION_ORDER_STATUSES, EscalationRules, category_for, forces_person
from worker.agent.backends.base import TOOL_ACTIONS, AgentContext, Backend, BackendResult, Citation, Toolbox
from worker.agent.nlu import item_mentions
from worker.agent.nlu.extract import new_address
from worker.agent.passages import answer_passage

_PROBLEMS = {"damaged": "damaged", "defective": "defective", "wrong": "wrong_item"}
# "I ordered a blue one but got a red one": a wrong item the classifier's keywords can miss.
_WRONG_ITEM_HINT = re.compile(
    r"\b(?:ordered|asked\s+for|bought|paid\s+for)\b[^.?!]{0,60}\b(?:but|and)\s+(?:got|received|was\s+sent|"
    r"you\s+sent|it\s+came)\b|\bthe\s+right\s+(?:one|item|size|colou?r)\b",
    re.IGNORECASE,
)
_REASON_WORDS = {
    "damaged_item": "arrived damaged",
    "defective_item": "does not work",
    "wrong_item": "wrong item sent",
    "not_received": "not received",
    "not_as_described": "not as described",
    "changed_mind": "changed their mind",
}


class OfflineBackend(Backend):
    """Rules over the offline classifier's triage; every effect goes through the toolbox."""

    name = "offline"
    model = "nlu-rules-v1"

    def __init__(
        self, *, min_confidence: float = EscalationRules.confidence_below, min_answer_score: float = 0.45
    ):
        self.min_confidence = min_confidence
        self.min_answer_score = min_answer_score

    def run(self, ctx: AgentContext, toolbox: Toolbox) -> BackendResult:
        """Decide from the triage and act through the toolbox; never ask the same question twice."""
        result = self.decide(ctx, toolbox)
        pending = ctx.pending
        if result.action == "clarify" and pending is not None and pending.asked == result.question:
            return escalate(toolbox, "asked_twice")
        return result

    def decide(self, ctx: AgentContext, toolbox: Toolbox) -> BackendResult:
        """The decision for this turn (the caller checks it does not repeat the open question)."""
        triage = ctx.triage
        if triage.intent == "greeting":
            return acknowledge(ctx.text)
        if triage.intent == "review" and not forces_person(triage.escalation_reason):
            return thank_for_feedback()
        if forces_person(triage.escalation_reason) or triage.action == "escalate":
            return escalate(toolbox, triage.escalation_reason or "out_of_scope")
        if triage.confidence < self.min_confidence:
            return unsure(triage.confidence, ctx.limits.sla_hours)
        if ctx.earlier is not None and ctx.earlier.get("action") == "replacement":
            return replacement_follow_up(ctx, toolbox)
        if triage.intent == "track_refund":
            return track_refund(ctx, toolbox)
        if triage.action == "answer" or _general_delivery_question(ctx):
            return self.answer(ctx, toolbox)
        if _how_to_without_order(ctx):
            return self.answer(ctx, toolbox, _HOW_TO_TOPICS[triage.action])
        if triage.action in TOOL_ACTIONS:
            return act(ctx, toolbox, triage.action)
        return ask_for_details()

    def answer(self, ctx: AgentContext, toolbox: Toolbox, topic: str | None = None) -> BackendResult:
        """Answer a policy question from the best passage, or hand over when no policy covers it."""
        passage = best_passage(ctx.passages, topic or ctx.triage.topic, self.min_answer_score)
        if passage is None:
            return escalate(toolbox, "out_of_scope")
        # The policy's passage that answers best (compose quotes the same one): retrieval's first
        # pick can be a neighbouring section, or a page's overview that states no rule.
        passage = answer_passage(ctx.text, [p for p in ctx.passages if p.policy == passage.policy]) or passage
        return BackendResult(action="answer", cited_policies=[passage.policy], steps=[_step(passage)])


def _step(passage: Citation) -> dict[str, Any]:
    return {
        "step": "choose_passage",
        "ms": 0.0,
        "input": {},
        "output": {"policy": passage.policy, "heading": passage.heading, "score": round(passage.score, 3)},
    }


def best_passage(passages: Sequence[Citation], topic: str | None, min_score: float) -> Citation | None:
    """The best passage of the question's topic if one was retrieved, else the best one if good enough."""
    on_topic = [p for p in passages if p.policy == topic]
    if on_topic:
        return on_topic[0]
    if passages and passages[0].score >= min_score and topic is not None:
        return passages[0]
    return None


def escalate(toolbox: Toolbox, reason: str) -> BackendResult:
    """Hand the ticket to a person through the escalate tool (logged like every action)."""
    category, note = category_for(reason)
    toolbox.call("escalate", {"category": category, "reason": note})
    return BackendResult(action="escalate", escalate=True, escalation_reason=note)


def unsure(confidence: float, sla_hours: float) -> BackendResult:
    """Not sure enough of what the customer wants to act: a person takes it (nothing is done)."""
    return BackendResult(
        action="escalate",
        reply=(
            "Thanks for your message. I want to be sure I get this right, so I've passed your ticket "
            f"to a member of our support team, who will reply within {sla_hours:g} hours."
        ),
        escalate=True,
        escalation_reason=f"the assistant was unsure what the customer needs (confidence {confidence:.2f})",
    )


def _general_delivery_question(ctx: AgentContext) -> bool:
    """ "How long does delivery take?" with no order in sight: the policy's times answer it."""
    if ctx.triage.intent != "delivery_period" or ctx.mentioned_orders or ctx.ticket_order:
        return False
    return not any(o.status in ACTION_ORDER_STATUSES["order_status"] for o in ctx.orders)


def track_refund(ctx: AgentContext, toolbox: Toolbox) -> BackendResult:
    """A question about a refund already asked for: report it from the data, never start a new one."""
    number, candidates = choose_refunded_order(ctx)
    if number is None:
        return clarify_order("order_status", candidates)
    outcome = toolbox.call("refund_status", {"order_number": number})
    return BackendResult(
        action="order_status",
        order_number=outcome.order_number or number,
        cited_policies=[outcome.policy] if outcome.policy else [],
        steps=[{"step": "decide", "ms": 0.0, "input": {}, "output": {"tool": "refund_status"}}],
    )


def replacement_follow_up(ctx: AgentContext, toolbox: Toolbox) -> BackendResult:
    """ "Has the replacement shipped?": what was arranged on this ticket, from its record."""
    number = ctx.earlier.get("order") if ctx.earlier else None
    toolbox.call("order_status", {"order_number": number})
    summary = (ctx.earlier or {}).get("summary") or f"Replacement sent for order {number}"
    reply = (
        f"Yes: {summary[0].lower()}{summary[1:]} on this ticket, and it is on its way as a shipment "
        "of its own, separate from the original delivery."
    )
    return BackendResult(action="order_status", order_number=number, reply=reply)


def choose_refunded_order(ctx: AgentContext) -> tuple[str | None, list[OrderSnapshot]]:
    """The order named, else the only one with money paid back (or the only order)."""
    if (number := named_order(ctx)) is not None:
        return number, []
    refunded = [o for o in ctx.orders if o.refunded_total > 0 or o.status in ("refunded", "cancelled")]
    if len(refunded) == 1:
        return refunded[0].number, []
    if not refunded and len(ctx.orders) == 1:
        return ctx.orders[0].number, []
    return None, refunded or list(ctx.orders)


def thank_for_feedback() -> BackendResult:
    """A review or suggestion: thanks, and the team reads it (the ticket keeps it, tagged review)."""
    return BackendResult(
        action="answer",
        reply=(
            "Thank you for taking the time to tell us! Your feedback is saved with this ticket, "
            "where our team reads it."
        ),
        courtesy="review",
    )


_THANKS = re.compile(
    r"\b(?:thanks?|thank\s*(?:you|u)|thx|ty|cheers|appreciated?|grateful|gracias|merci|danke|vielen\s+dank)\b",
    re.IGNORECASE,
)


def acknowledge(text: str = "") -> BackendResult:
    """A thank-you or hello that asks for nothing: a short, warm answer and no action."""
    if _THANKS.search(text):
        reply = "You're welcome, and thanks for getting in touch! If anything else comes up, just reply here."
        return BackendResult(action="answer", reply=reply, courtesy="thanks")
    reply = "Hello! How can I help you today? If it's about an order, the order number helps me find it."
    return BackendResult(action="answer", reply=reply, courtesy="hello")


# "How do I cancel an order?" from a customer with nothing to cancel: the policy says how.
_HOW_TO = re.compile(
    r"^\W*(?:how\s+(?:do|can|would|could)\s+(?:i|you|we)|how\s+to|can\s+i|is\s+it\s+possible)\b", re.I
)
_HOW_TO_TOPICS = {
    "cancel": "cancellations",
    "refund": "refunds",
    "replacement": "replacements",
    "change_address": "shipping",
}


def _how_to_without_order(ctx: AgentContext) -> bool:
    action = ctx.triage.action
    asks = _HOW_TO.search(ctx.text) or ctx.text.rstrip().endswith("?")
    if action not in _HOW_TO_TOPICS or not asks or named_order(ctx) is not None:
        return False
    return not any(o.status in ACTION_ORDER_STATUSES[action] for o in ctx.orders)


def ask_for_details() -> BackendResult:
    """The message asks for nothing the agent can identify: ask what the customer needs."""
    return BackendResult(
        action="clarify",
        reply=(
            "Thanks for getting in touch! Could you tell me a little more about what you need? "
            "If it's about an order, please include the order number (for example A1001)."
        ),
        question="details",
    )


def act(ctx: AgentContext, toolbox: Toolbox, action: str) -> BackendResult:
    """Pick the order, call the tool, and report what it did."""
    number, candidates = choose_order(ctx, action)
    if number is None:
        return clarify_order(action, candidates)
    if action == "refund" and _asks_partial_without_items(ctx, number):
        return clarify_items(ctx.own_order(number))
    args = tool_args(ctx, action, number)
    if args is None:
        return clarify_address(number) if action == "change_address" else clarify_problem(number)
    outcome = toolbox.call(action, args)
    return BackendResult(
        action=action,
        order_number=outcome.order_number or number,
        cited_policies=[outcome.policy] if outcome.policy else [],
        steps=[{"step": "decide", "ms": 0.0, "input": {}, "output": {"tool": action, "args": args}}],
    )


def named_order(ctx: AgentContext) -> str | None:
    """The order the customer pointed at: written in the text (their own first), chosen in answer to
    the agent's question or meant by "it", else picked in the ticket form."""
    if ctx.mentioned_orders:
        own = [n for n in ctx.mentioned_orders if ctx.own_order(n) is not None]
        return (own or list(ctx.mentioned_orders))[0]
    return ctx.answered_order or ctx.ticket_order


def choose_order(ctx: AgentContext, action: str) -> tuple[str | None, list[OrderSnapshot]]:
    """(order number, candidates): the one named, else the only one that fits the action."""
    if (number := named_order(ctx)) is not None:
        return number, []
    fitting = [o for o in ctx.orders if o.status in ACTION_ORDER_STATUSES[action]]
    named_items = [o for o in fitting if item_mentions(ctx.text, [i.name for i in o.items])]
    fitting = named_items or fitting
    if len(fitting) == 1:
        return fitting[0].number, []
    if not fitting and len(ctx.orders) == 1:
        return ctx.orders[0].number, []  # the tool explains why it does not apply
    return None, fitting or list(ctx.orders)


def tool_args(ctx: AgentContext, action: str, number: str) -> dict[str, Any] | None:
    """The tool's arguments from the message; None when a replacement's problem is not said."""
    args: dict[str, Any] = {"order_number": number}
    items = partial_items(ctx, number)
    reason = _REASON_WORDS.get(ctx.triage.detail or "")
    if action == "refund":
        args.update({"item_names": items, "reason": reason})
    elif action == "cancel":
        args["reason"] = reason
    elif action == "change_address":
        # Read from the redacted text, so this is the vault's placeholder ([ADDRESS_1]): the toolbox
        # puts the customer's own words back server-side, and no model or trace ever sees them.
        args["address"] = new_address(ctx.text)
        if not args["address"]:
            return None
    elif action == "replacement":
        problem = _PROBLEMS.get(ctx.triage.replacement_reason or "")
        if problem is None and _WRONG_ITEM_HINT.search(ctx.text):
            problem = "wrong_item"
        if problem is None:
            return None
        args.update({"problem": problem, "item_names": items})
    return {key: value for key, value in args.items() if value}


def partial_items(ctx: AgentContext, number: str) -> list[str]:
    """Item names the customer singled out, when they are only part of the order."""
    order = ctx.own_order(number)
    if order is None or len(order.items) < 2:
        return []
    names = item_mentions(ctx.text, [item.name for item in order.items])
    return names if 0 < len(names) < len(order.items) else []


_CLARIFY_LEADS = {
    "refund": "I'd be glad to help with a refund.",
    "cancel": "I'd be glad to help with a cancellation.",
    "replacement": "I'd be glad to help with a replacement.",
    "order_status": "I'd be glad to check on your order.",
    "change_address": "I'd be glad to change the delivery address.",
    "invoice": "I'd be glad to get you the invoice.",
}


def clarify_order(action: str, candidates: Sequence[OrderSnapshot]) -> BackendResult:
    """Ask which order the customer means, listing their candidate orders by number and items."""
    lead = _CLARIFY_LEADS.get(action, "I'd be glad to help.")
    if not candidates:
        reply = (
            f"{lead} Which order is it about? I couldn't find an order on "
            "your account that fits, so please reply with the order number from your confirmation email "
            "(it looks like A1001)."
        )
    else:
        listed = "\n".join(f"- {describe(order)}" for order in candidates)
        reply = (
            f"{lead} Which of these orders do you mean?\n\n{listed}\n\n"
            f"Just reply with the order number, for example {candidates[0].number}."
        )
    return BackendResult(
        action="clarify", reply=reply, clarify_options=[o.number for o in candidates], question="order"
    )


_PARTIAL = re.compile(
    r"\bpartial\b|\bsome\s+of\b|\bone\s+of\s+the\s+(?:items|things)\b|\bonly\s+part\b", re.I
)


def _asks_partial_without_items(ctx: AgentContext, number: str) -> bool:
    order = ctx.own_order(number)
    if order is None or len(order.items) < 2 or not _PARTIAL.search(ctx.text):
        return False
    return not item_mentions(ctx.text, [item.name for item in order.items])


def clarify_items(order: OrderSnapshot) -> BackendResult:
    """A partial refund needs the items: list the order's, by name."""
    listed = "\n".join(f"- {item.name}" for item in order.items)
    reply = (
        f"I can refund part of order {order.number}. Which items should I refund?\n\n{listed}\n\n"
        "Just reply with their names."
    )
    return BackendResult(
        action="clarify", reply=reply, order_number=order.number, cited_policies=["refunds"], question="items"
    )


def clarify_problem(number: str) -> BackendResult:
    """A replacement needs to know what is wrong with the item."""
    reply = (
        f"I can look into a replacement for order {number}. What is wrong with the item: did it arrive "
        "damaged, does it not work, or did we send the wrong item?"
    )
    return BackendResult(
        action="clarify",
        reply=reply,
        order_number=number,
        cited_policies=["replacements"],
        question="problem",
    )


def clarify_address(number: str) -> BackendResult:
    """An address change needs the new address."""
    reply = (
        f"I can change the delivery address of order {number} while it hasn't shipped. What is the new "
        "address (street and number, city and postcode)?"
    )
    return BackendResult(
        action="clarify", reply=reply, order_number=number, cited_policies=["shipping"], question="address"
    )


def describe(order: OrderSnapshot) -> str:
    """'A1001: Ceramic Mug, Plate (42.00 USD, delivered on 3 May 2026)'."""
    names = [item.name for item in order.items[:3]] + (["and more"] if len(order.items) > 3 else [])
    items = f": {', '.join(names)}" if names else ""
    return f"{order.number}{items} ({order.total} {order.currency}, {_stage(order)})"


def _stage(order: OrderSnapshot) -> str:
    """Where the order is, with the date that tells similar orders apart."""
    moment = {"delivered": order.delivered_at, "shipped": order.shipped_at}.get(order.status, order.placed_at)
    words = {"pending": "placed", "shipped": "shipped", "delivered": "delivered"}.get(
        order.status, order.status
    )
    return f"{words} on {moment.day} {moment:%B %Y}" if moment else words
