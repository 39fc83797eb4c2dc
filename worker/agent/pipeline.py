"""One agent loop for every backend: redact → triage → retrieve → decide/act → compose → escalation rules.

`run_agent` works on a detached TicketSnapshot and holds no database transaction: the only database
work inside it is the toolbox's tool calls, each its own short transaction in the service layer. The
job (worker.jobs) loads the snapshot before and stores the AgentOutput after, in short transactions.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from portal.config_agent import AgentSettings
from portal.models import utcnow
from tools import messages
from tools.escalation_policy import EscalationRules, rule_reasons
from worker.agent import dialogue, grounds
from worker.agent.backends import (
    TOOL_ACTIONS,
    BackendResult,
    Citation,
    ToolOutcome,
    Usage,
    action_of_tool,
    get_backend,
)
from worker.agent.compose import CLOSING, POLICY_TITLES, compose, is_model_reply
from worker.agent.context import TicketSnapshot, build_context, redactor, triage_text
from worker.agent.grounding import ungrounded_claim
from worker.agent.nlu import Triage
from worker.agent.nlu.injection import strip_instructions
from worker.agent.toolbox import ServiceToolbox

PASSAGES_K = 6


class Tracer:
    """Collects the run trace: each step's name, milliseconds, (redacted) input and output."""

    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []

    @contextmanager
    def step(self, name: str, given: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Time the block as one step; the caller fills the yielded entry's output."""
        entry: dict[str, Any] = {"step": name, "ms": 0.0, "input": dict(given or {}), "output": {}}
        started = time.perf_counter()
        try:
            yield entry
        finally:
            entry["ms"] = round((time.perf_counter() - started) * 1000, 2)
            self.steps.append(entry)

    def total_ms(self) -> float:
        """The loop's own steps, without the tool and backend sub-steps (they overlap 'decide')."""
        return sum(s["ms"] for s in self.steps if not s["step"].startswith(("tool:", "backend:")))


@dataclass
class AgentOutput:
    """Everything a run decided, ready to be stored (plain data)."""

    action: str
    reply: str
    citations: list[Citation]
    triage: Triage
    outcome: ToolOutcome | None = None  # the main tool outcome for tool actions
    order_number: str | None = None
    escalate: bool = False  # a person must take over (tool, backend or rule)
    escalated_by_tool: bool = False  # the service layer already marked the ticket
    escalation_reason: str | None = None
    escalation_code: str | None = None
    clarify_options: list[str] = field(default_factory=list)
    question: str | None = None
    trace: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    backend: str = "offline"
    model: str | None = None
    agent_ms: float = 0.0  # wall time of the loop less the tools' database work
    db_ms: float = 0.0

    def outcome_dict(self) -> dict[str, Any]:
        """Message.outcome: what happened, in plain words and values."""
        main = self.outcome
        return {
            "action": self.action,
            "decision": main.outcome if main else None,
            "order": self.order_number,
            "amount": str(main.amount) if main and main.amount is not None else None,
            "currency": main.currency if main else None,
            "reason_code": main.reason_code if main else None,
            "summary": summary(self),
            "escalated": self.escalate,
            "escalation_reason": self.escalation_reason,
            "clarify_options": self.clarify_options,
            # what a clarify asked, for which request: the next turn answers it (dialogue.py)
            "question": self.question,
            "for_action": self.triage.action if self.action == "clarify" else None,
            "intent": self.triage.intent,
        }


def run_agent(
    snapshot: TicketSnapshot,
    *,
    run_id: int | None,
    agent: AgentSettings,
    instance_path: str | Path,
    now: datetime | None = None,
) -> AgentOutput:
    """Run the whole loop for one ticket with the app's agent settings; effects happen only through the
    toolbox."""
    now = now or utcnow()
    tracer = Tracer()
    backend = get_backend(agent)
    clean = redactor(snapshot)
    with tracer.step("redact") as entry:
        text, ignored = strip_instructions(clean(triage_text(snapshot)))
        entry["output"] = {"text": text, "instructions_ignored": ignored}
    with tracer.step("triage", {"text": text}) as entry:
        triage = backend.triage(text)
        turn = dialogue.follow_up(snapshot, clean, backend.triage, triage, text)
        text, triage = turn.text, turn.triage
        entry["output"] = triage_summary(triage) | turn.trace()
    index, passages = retrieve(tracer, agent, instance_path, text)
    limits = agent.limits
    ctx = build_context(
        snapshot, text=text, clean=clean, triage=triage, passages=passages, limits=limits, now=now
    )
    ctx = replace(
        ctx,
        pending=turn.pending,
        answered_order=turn.answered_order,
        ticket_actions=dialogue.ticket_actions(snapshot.messages),
        earlier=turn.earlier,
    )
    toolbox = ServiceToolbox(
        ticket_id=snapshot.ticket_id,
        customer_id=snapshot.customer_id,
        run_id=run_id,
        limits=limits,
        vault=clean.vault,
    )
    with tracer.step("decide", {"backend": backend.name, "orders": [o.number for o in ctx.orders]}) as entry:
        result = backend.run(ctx, toolbox)
        entry["output"] = {"action": result.action, "order": result.order_number, "escalate": result.escalate}
    tracer.steps += [_as_backend_step(s) for s in result.steps] + toolbox.trace
    outcomes = toolbox.outcomes
    ground_reply(tracer, result, outcomes)
    with tracer.step("compose") as entry:
        composed = compose(ctx, result, outcomes, passage_finder(index))
        entry["output"] = {"reply": composed.reply, "citations": [c.policy for c in composed.citations]}
    # The customer gets back the address they wrote; the trace above keeps only its placeholder.
    output = assemble(result, outcomes, clean.vault.reveal(composed.reply), composed.citations, triage)
    with tracer.step("escalation_rules") as entry:
        apply_rules(output, snapshot, agent.escalation, now)
        entry["output"] = {"escalate": output.escalate, "reason": output.escalation_reason}
    output.trace, output.backend = tracer.steps, backend.name
    output.model = result.model or backend.model
    output.db_ms = round(toolbox.db_ms, 2)
    output.agent_ms = round(max(tracer.total_ms() - toolbox.db_ms, 0.0), 2)
    return output


def ground_reply(tracer: Tracer, result: BackendResult, outcomes: list[ToolOutcome]) -> None:
    """Drop a model's reply that claims an action the tools refused or never took (worker.agent.grounding).

    Compose then writes the reply from the outcomes; the `grounding` step flags the run. With no tool
    decision at all there is nothing true to tell, so a person takes the ticket.
    """
    if not (result.reply and is_model_reply(result)):
        return
    why = ungrounded_claim(result.reply, outcomes)
    if why is None:
        return
    with tracer.step("grounding", {"reply": result.reply[:500]}) as entry:
        result.reply = None
        decided = any(o.outcome in ("done", "held", "denied") for o in outcomes)
        if not decided:
            result.action, result.escalate = "escalate", True
            result.escalation_reason = result.escalation_reason or "the model claimed an action no tool took"
        entry["output"] = {"replaced": True, "why": why, "escalated": not decided}


def _as_backend_step(step: Mapping[str, Any]) -> dict[str, Any]:
    name = str(step.get("step", "step"))
    return {**step, "step": name if name.startswith("backend:") else f"backend:{name}"}


def retrieve(tracer: Tracer, agent: AgentSettings, instance_path, text: str):
    """The policy index and the passages most similar to the text."""
    from worker.agent.retrieval import load_index  # FAISS import is slow: only when a ticket runs

    with tracer.step("retrieve", {"query": text, "k": PASSAGES_K}) as entry:
        index = load_index(agent, instance_path)
        passages = [Citation(p.policy, p.heading, p.text, p.score) for p in index.search(text, k=PASSAGES_K)]
        entry["output"] = {
            "passages": [
                {"policy": p.policy, "heading": p.heading, "score": round(p.score, 3)} for p in passages
            ]
        }
    return index, passages


class passage_finder:  # noqa: N801 - used like the function it replaced
    """The policy index for compose: search a policy for a query, or look a section up by heading."""

    def __init__(self, index) -> None:
        self.index = index

    def __call__(self, stem: str, query: str) -> Citation | None:
        """The passage of that policy most similar to the query."""
        for p in self.index.search(query, k=len(self.index.chunks)):
            if p.policy == stem and p.heading != "Overview":  # an overview states no rule
                return Citation(p.policy, p.heading, p.text, p.score)
        chunk = next((c for c in self.index.chunks if c.policy == stem), None)
        return Citation(chunk.policy, chunk.heading, chunk.text) if chunk else None

    def section(self, stem: str, section: str) -> Citation | None:
        """The passage under that heading (as written in the policy file, before rendering)."""
        for chunk in self.index.chunks:
            if chunk.policy == stem and grounds.matches(section, chunk.heading):
                return Citation(chunk.policy, chunk.heading, chunk.text, 1.0)
        return None


def triage_summary(triage: Triage) -> dict[str, Any]:
    """The triage as trace output (JSON-friendly)."""
    data = asdict(triage)
    data.pop("probabilities", None)
    return data


def main_outcome(result: BackendResult, outcomes: list[ToolOutcome]) -> ToolOutcome | None:
    """The outcome of the tool that carried the main action (the last call of that tool)."""
    if result.action not in TOOL_ACTIONS:
        return None
    return next((o for o in reversed(outcomes) if action_of_tool(o.tool) == result.action), None)


def assemble(result: BackendResult, outcomes, reply: str, citations, triage: Triage) -> AgentOutput:
    """The backend's decision and the tools' outcomes as one output."""
    main = main_outcome(result, outcomes)
    by_tool = next((o for o in outcomes if o.escalate), None)
    action = (
        result.action if result.action in TOOL_ACTIONS + ("answer", "clarify", "escalate") else "escalate"
    )
    return AgentOutput(
        action=action,
        reply=reply,
        citations=citations,
        triage=triage,
        outcome=main,
        order_number=(main.order_number if main else None) or result.order_number,
        escalate=bool(by_tool) or result.escalate,
        escalated_by_tool=by_tool is not None,
        escalation_reason=(by_tool.escalation_reason if by_tool else None) or result.escalation_reason,
        escalation_code="tool" if by_tool else ("backend" if result.escalate else None),
        clarify_options=list(result.clarify_options),
        question=result.question,
        usage=result.usage,
    )


def apply_rules(output: AgentOutput, snapshot: TicketSnapshot, rules: EscalationRules, now: datetime) -> None:
    """The configured escalation rules, on top of whatever the backend and the tools decided."""
    fired = rule_reasons(
        rules,
        priority=output.triage.priority,
        customer_turns=snapshot.customer_turns,
        sentiment=output.triage.sentiment,
        confidence=output.triage.confidence,
        sla_due_at=snapshot.sla_due_at,
        now=now,
    )
    if fired and not output.escalate:
        output.escalate = True
        output.escalation_code, output.escalation_reason = fired[0]
        output.reply = _handover_note(output.reply)
    elif fired and output.escalation_reason is None:
        output.escalation_code, output.escalation_reason = fired[0]


def _handover_note(reply: str) -> str:
    note = "I've also asked a member of our support team to look at your ticket; they'll follow up with you."
    if CLOSING in reply:  # the usual closing offers the assistant's help; a person takes over instead
        return reply.replace(CLOSING, note)
    return reply + "\n\n" + note


def escalation_label(output: AgentOutput) -> str:
    """Why the run went to a person, as a short code from a closed set (a metrics label): the rule
    that fired (p1_turns, sentiment, confidence, sla), or the tool and its reason or category."""
    code = output.escalation_code or "backend"
    main = output.outcome
    if code in ("tool", "backend") and main is not None:
        why = main.reason_code or main.details.get("category") or main.outcome
        return f"{main.tool}:{why}"
    return code


def summary(output: AgentOutput) -> str:
    """One line in plain words for the staff desk and the customer's ticket page."""
    main, number = output.outcome, output.order_number
    if main is not None:
        return _tool_summary(main, number)
    if output.action == "answer":
        cited = output.citations[0].policy if output.citations else ""
        return f"Answered from the {POLICY_TITLES.get(cited, 'policies')}"
    if output.action == "clarify":
        options = ", ".join(output.clarify_options)
        return f"Asked the customer which order ({options})" if options else "Asked the customer for details"
    return f"Handed to a person: {output.escalation_reason or 'needs a person'}"


def _tool_summary(main: ToolOutcome, number: str | None) -> str:
    amount = f"{main.amount} {main.currency}" if isinstance(main.amount, Decimal) else ""
    return messages.run_summary(
        main.tool, main.outcome, amount=amount, order_number=number, reason=main.reason_code
    )
