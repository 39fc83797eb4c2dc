"""The tool-calling loop every chat-model backend shares (Mistral, any OpenAI-compatible server).

    call 1: instructions + policy passages + the customer's own orders + the redacted ticket
            → the model answers (policy question, clarification: done in 1 call) or calls tools
    tools:  every call goes through the toolbox (ownership from the ticket, policy, idempotency)
    call 2: the tool results → the model writes the reply (or, with *_DIRECT_TOOL_REPLY, the tools'
            own customer-facing messages are the reply and call 2 is skipped)

A tool call the toolbox rejects (bad arguments, unknown tool, policy refusal) goes back to the model
as the tool's answer, so the reply reflects it; each extra round trip counts toward the max steps,
and the last allowed call is made with tool_choice="none" so the loop ends.

The loop knows only langchain's BaseChatModel (`invoke`, `bind_tools`, `AIMessage.tool_calls` and
`usage_metadata`). A backend brings the chat model, its settings and its client's transport errors
(`retry.ErrorKinds`); retries, token and cost accounting, the reply guards and the result are here.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from portal.config_agent import ChatSettings
from portal.services.audit import redact as redact_arguments
from worker.agent.backends.base import (
    TOOL_ACTIONS,
    AgentContext,
    Backend,
    BackendError,
    BackendResult,
    Toolbox,
    ToolOutcome,
    Usage,
    action_of_tool,
)
from worker.agent.backends.mistral_checks import unsupported_reply
from worker.agent.backends.mistral_prompt import (
    build_messages,
    cited_numbers,
    prompt_passages,
    strip_citation_marks,
)
from worker.agent.backends.retry import HTTPX_ERRORS, ErrorKinds, RetryPolicy, call_with_retries

logger = logging.getLogger(__name__)


class ChatModelBackend(Backend):
    """A backend deciding with a langchain chat model through `ToolLoop` (subclasses build `chat`)."""

    settings: ChatSettings
    chat: BaseChatModel
    errors: ErrorKinds = HTTPX_ERRORS  # the chat model's client's transport errors

    def run(self, ctx: AgentContext, toolbox: Toolbox) -> BackendResult:
        """Run the tool-calling loop for one ticket (no database session is used here)."""
        return ToolLoop(self.chat, self.settings, ctx, toolbox, self.errors).execute()


@dataclass
class ToolLoop:
    """The state of one ticket's loop: messages so far, usage and trace steps."""

    chat: BaseChatModel
    settings: ChatSettings
    ctx: AgentContext
    toolbox: Toolbox
    errors: ErrorKinds = HTTPX_ERRORS
    usage: Usage = field(default_factory=Usage)
    steps: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        settings = self.settings
        self.messages: list[BaseMessage] = build_messages(self.ctx)
        specs = self.toolbox.specs()
        self.with_tools = self.chat.bind_tools(specs)
        self.answer_only = self.chat.bind_tools(specs, tool_choice="none")
        self.retry = RetryPolicy(
            settings.max_retries, settings.backoff, settings.max_backoff, time.monotonic() + settings.budget
        )

    def execute(self) -> BackendResult:
        """Ask, run the tools asked for, ask again, until an answer or the step limit."""
        for step in range(1, self.settings.max_steps + 1):
            last = step == self.settings.max_steps
            try:
                reply = self._ask(self.answer_only if last else self.with_tools)
            except BackendError as exc:
                if not self._acted():
                    raise
                return self._fallback(f"final answer failed ({exc}); replying from the tool results")
            self.messages.append(reply)
            calls = _calls(reply)
            if not calls:
                return self._finish(_text(reply))
            outcomes = [self._run_tool(call) for call in calls]
            if self.settings.direct_tool_reply and all(o.outcome != "error" for o in outcomes):
                return self._result(reply=None)
        return self._fallback(f"no final answer within {self.settings.max_steps} model calls")

    # --- model calls ---------------------------------------------------------------------------

    def _ask(self, model) -> AIMessage:
        started = time.perf_counter()
        retries: list[str] = []

        def attempt() -> AIMessage:
            try:
                return model.invoke(self.messages)
            except self.errors.types:
                raise
            except Exception as exc:  # a response langchain could not read: not worth retrying
                raise BackendError(f"unreadable model response: {exc}", transient=False) from exc

        reply = call_with_retries(
            attempt,
            self.retry,
            on_retry=lambda n, what, wait: retries.append(f"{what}; waited {wait:.2f}s"),
            errors=self.errors,
        )
        self._count(reply, started, retries)
        return reply

    def _count(self, reply: AIMessage, started: float, retries: list[str]) -> None:
        usage = reply.usage_metadata or {}
        prompt, completion = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
        self.usage.add(prompt, completion, self.settings.cost(prompt, completion))
        step = {
            "step": "model_call",
            "ms": round((time.perf_counter() - started) * 1000, 2),
            "input": {"messages": len(self.messages), "model": self.settings.model},
            "output": {
                "tool_calls": [
                    {"name": c.get("name"), "args": redact_arguments(c.get("args"))} for c in _calls(reply)
                ],
                "text": redact_arguments(_text(reply))[:500],
            },
            "tokens": {"prompt": prompt, "completion": completion},
        }
        if retries:
            step["retries"] = retries
        self.steps.append(step)

    # --- tools ---------------------------------------------------------------------------------

    def _run_tool(self, call: dict[str, Any]) -> ToolOutcome:
        name, args = str(call.get("name") or ""), call.get("args")
        if call.get("error") is not None or not isinstance(args, Mapping):
            outcome = _bad_arguments(name)
        else:
            outcome = self.toolbox.call(name, args)
        content = json.dumps(outcome.for_model())
        # Every call, even a broken one, gets its answer under its own id: OpenAI-style APIs refuse a
        # conversation where a tool call has no tool message after it.
        self.messages.append(ToolMessage(content, tool_call_id=call.get("id") or "", name=name))
        return outcome

    def _acted(self) -> bool:
        return any(o.outcome != "error" for o in self.toolbox.outcomes)

    # --- the result ----------------------------------------------------------------------------

    def _finish(self, text: str) -> BackendResult:
        passages = prompt_passages(self.ctx)
        cited = [passages[n - 1].policy for n in cited_numbers(text) if 1 <= n <= len(passages)]
        reply = strip_citation_marks(text)
        problem = unsupported_reply(reply, self.ctx, self.toolbox.outcomes)
        if problem:
            return self._fallback(problem)
        result = self._result(reply=reply, cited=cited)
        if result.action == "answer" and _asks_which_order(reply, self.ctx):
            result.action = "clarify"
            result.clarify_options = [o.number for o in self.ctx.orders if o.number in reply]
        elif result.action == "answer" and not cited and passages:
            # An uncited policy answer still rests on what it was given: the best-ranked passage.
            result.cited_policies = [passages[0].policy]
        return result

    def _fallback(self, why: str) -> BackendResult:
        """The tools' own messages become the reply; with nothing done, a person takes over."""
        logger.warning("ticket %s: %s", self.ctx.ticket_id, why)
        self.steps.append({"step": "fallback", "ms": 0.0, "input": {}, "output": {"why": why}})
        result = self._result(reply=None)
        if not self._acted():
            result.action, result.escalate = "escalate", True
            result.escalation_reason = f"the model gave no usable answer: {why}"[:200]
        return result

    def _result(self, reply: str | None, cited: list[str] | None = None) -> BackendResult:
        outcomes = self.toolbox.outcomes
        main = main_outcome(outcomes)
        escalated = next((o for o in outcomes if o.escalate), None)
        if main is not None:
            action, order = action_of_tool(main.tool), main.order_number
        else:
            action, order = ("escalate" if escalated else "answer"), None
        return BackendResult(
            action=action,
            reply=reply or None,
            order_number=order,
            cited_policies=list(dict.fromkeys(cited or [])),
            escalate=escalated is not None,
            escalation_reason=escalated.escalation_reason if escalated else None,
            usage=self.usage,
            model=self.settings.model,
            steps=self.steps,
        )


def main_outcome(outcomes: list[ToolOutcome]) -> ToolOutcome | None:
    """The action the run is about: the last tool action carried out or held, else the last refused one."""
    actions = [o for o in outcomes if action_of_tool(o.tool) in TOOL_ACTIONS]
    acted = [o for o in actions if o.outcome in ("done", "held")]
    refused = [o for o in actions if o.outcome == "denied"]
    return (acted or refused or [None])[-1]


def _asks_which_order(reply: str, ctx: AgentContext) -> bool:
    asks = "?" in reply and re.search(r"\border", reply, re.I) is not None
    return asks and (ctx.triage.action in TOOL_ACTIONS or len(ctx.orders) > 1)


def _bad_arguments(name: str) -> ToolOutcome:
    message = "The arguments were not valid JSON; call the tool again with the arguments it describes."
    return ToolOutcome(name or "unknown", "error", message, reason_code="invalid_arguments")


def _calls(reply: AIMessage) -> list[dict[str, Any]]:
    """Parsed tool calls plus the ones langchain could not parse (marked with 'error')."""
    invalid = [dict(c, error=c.get("error") or "invalid JSON") for c in reply.invalid_tool_calls]
    return [dict(c) for c in reply.tool_calls] + invalid


def _text(reply: AIMessage) -> str:
    content = reply.content
    if isinstance(content, list):
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content or "")
