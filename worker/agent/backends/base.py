"""The contract between the agent pipeline and a decision backend (offline rules or a chat model).

The pipeline (worker.agent.pipeline) does everything around the decision:

    redact → triage → retrieve passages → backend.run(ctx, toolbox) → compose reply + citations
           → rule-based escalation → store message, ticket fields, run trace → notifications

A backend only decides what to do and does it through the `Toolbox`:

    class MyBackend(Backend):
        name = "mine"
        def run(self, ctx: AgentContext, toolbox: Toolbox) -> BackendResult:
            outcome = toolbox.call("refund", {"order_number": "A1001", "reason": "arrived broken"})
            return BackendResult(action="refund", order_number=outcome.order_number, reply=None)

Rules every backend follows:
- `ctx` holds plain, already-redacted data and no database session is open while `run` executes:
  make as many model/HTTP calls as needed, never touch `db.session` yourself.
- Every effect goes through `toolbox.call(name, args)`. The toolbox acts for THIS ticket's customer
  only (ownership comes from the ticket, never from the model's arguments), is idempotent per
  (ticket, tool, order), and returns a plain `ToolOutcome` (it never raises for a policy refusal or
  bad arguments: those come back as outcome "denied" / "error" with a message for the model).
- `BackendResult.reply` is the customer-facing text. A model backend writes it; `None` lets
  worker.agent.compose write it from the tool outcomes and passages. Either way compose attaches
  the citations (from `cited_policies` and the policies of the tool outcomes) and strips PII.
- Raise `BackendError(transient=True)` for failures worth retrying (timeouts, 429, 5xx): the job
  re-raises and RQ retries with backoff; `transient=False` (bad key, bad request) hands the ticket
  to a person at once.
- Fill `usage` (model calls, tokens, cost as Decimal) and `model`; add `steps` for the run trace
  (each a dict like {"step": "model_call", "ms": 812.3, "input": {...}, "output": {...}}, redacted).

Selection (worker.agent.backends.get_backend, given the AgentSettings): `worker.agent.backends.mistral.
MistralBackend(agent.mistral)` when MISTRAL_API_KEY is set (a portal.config_agent.ChatSettings read
from MISTRAL_API_KEY, MISTRAL_MODEL, MISTRAL_BASE_URL, MISTRAL_TIMEOUT, MISTRAL_MAX_RETRIES,
MISTRAL_MAX_STEPS, MISTRAL_*_COST_PER_MTOK ...), `worker.agent.backends.openai_compatible.
OpenAIBackend(agent.openai)` with AGENT_BACKEND=openai (the same settings as OPENAI_*), else
`worker.agent.backends.offline.OfflineBackend()`. Both model backends are
`chat_loop.ChatModelBackend`s: one tool-calling loop over a langchain chat model. One instance per
process, used from several threads at once (in-process mode): keep per-ticket state in locals, not
on self.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from tools import OrderSnapshot, PolicyLimits

if TYPE_CHECKING:  # the NLU package is only needed for the type
    from worker.agent.nlu import Triage

# What the agent did, as the scenario format and AgentRun.action name it.
TOOL_ACTIONS = ("refund", "cancel", "replacement", "order_status", "change_address", "invoice")
ACTIONS = (*TOOL_ACTIONS, "answer", "clarify", "escalate")
# A question about a refund already made is an order-status question answered by its own tool.
_TOOL_ACTION = {"refund_status": "order_status"}


def action_of_tool(tool: str) -> str:
    """The action a tool call carries out, as the scenario format names it."""
    return _TOOL_ACTION.get(tool, tool)


class BackendError(Exception):
    """A backend could not decide. transient=True: worth retrying later (timeout, 429, 5xx)."""

    def __init__(self, message: str, *, transient: bool = True):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class Citation:
    """A policy passage the reply relies on; stored on Message.citations as a dict."""

    policy: str  # file stem: refunds | cancellations | replacements | shipping | escalation | ...
    heading: str
    text: str
    score: float = 0.0

    def as_dict(self) -> dict[str, str]:
        """The citation as stored in Message.citations (the score is not kept)."""
        return {"policy": self.policy, "heading": self.heading, "text": self.text}


@dataclass(frozen=True)
class Turn:
    """One message of the conversation, redacted. author: customer | agent | staff."""

    author: str
    text: str


@dataclass(frozen=True)
class AgentContext:
    """Everything a backend may know about the ticket: plain, redacted, detached from the database."""

    ticket_id: int
    reference: str
    subject: str  # redacted
    text: str  # the latest customer message, redacted (the first message on a new ticket)
    conversation: tuple[Turn, ...]  # oldest first, public messages only, includes `text` last
    customer_turns: int
    ticket_order: str | None  # the order number the customer picked in the ticket form
    mentioned_orders: tuple[str, ...]  # order numbers written in the text (normalized, may be foreign)
    orders: tuple[OrderSnapshot, ...]  # the customer's OWN orders, newest first
    passages: tuple[Citation, ...]  # policy passages retrieved for the text, best first
    triage: Triage
    limits: PolicyLimits
    now: datetime
    # The agent's open question the customer answers now (worker.agent.dialogue), if any.
    pending: Any = None
    answered_order: str | None = None  # the order the answer picked among those offered
    ticket_actions: tuple[dict[str, Any], ...] = ()  # what the agent already did on this ticket
    earlier: dict[str, Any] | None = None  # the earlier action a follow-up question asks about

    def own_order(self, number: str | None) -> OrderSnapshot | None:
        """The customer's order with this number, or None (foreign or unknown numbers included)."""
        wanted = (number or "").strip().lstrip("#").upper()
        return next((o for o in self.orders if o.number.upper() == wanted), None)


@dataclass(frozen=True)
class ToolOutcome:
    """What one tool call came to, in plain data (safe to show the model: nothing about foreign orders)."""

    tool: str
    outcome: str  # done | denied | held | error
    message: str  # customer-facing, with real numbers
    policy: str | None = None  # policy stem to cite
    order_number: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    reason_code: str | None = None
    escalate: bool = False  # the service layer handed the ticket to a person
    escalation_reason: str | None = None
    replayed: bool = False  # an identical earlier call's result, returned again (no second effect)
    details: Mapping[str, Any] = field(default_factory=dict)

    def for_model(self) -> dict[str, Any]:
        """The JSON a model sees as the tool's answer."""
        return {
            "outcome": self.outcome,
            "message": self.message,
            "order_number": self.order_number,
            "amount": None if self.amount is None else str(self.amount),
            "currency": self.currency,
            "escalated_to_staff": self.escalate,
        }


class Toolbox(Protocol):
    """Executes tool calls for the ticket's customer (implemented by worker.agent.toolbox)."""

    def specs(self) -> list[dict[str, Any]]:
        """The tools in Mistral/OpenAI function-calling format (descriptions filled from the limits)."""
        ...

    def call(self, name: str, args: Mapping[str, Any] | None) -> ToolOutcome:
        """Run tool `name` with the model's `args`; never raises for refusals or bad arguments."""
        ...

    @property
    def outcomes(self) -> list[ToolOutcome]:
        """Every outcome returned so far, in call order."""
        ...


@dataclass
class Usage:
    """What the model calls of one run cost."""

    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: Decimal = Decimal("0")

    def add(self, prompt_tokens: int, completion_tokens: int, cost: Decimal = Decimal("0")) -> None:
        """Count one model call and its tokens and cost."""
        self.model_calls += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.cost += cost


@dataclass
class BackendResult:
    """A backend's decision: what it did (through the toolbox) and what to tell the customer."""

    action: str  # one of ACTIONS: the main thing done
    reply: str | None = None  # customer-facing text; None → compose writes it from the outcomes
    order_number: str | None = None  # the order the action concerned
    cited_policies: list[str] = field(default_factory=list)  # policy stems the reply relies on
    escalate: bool = False  # hand the ticket to a person (besides what tool outcomes say)
    escalation_reason: str | None = None  # short, plain words, for staff
    clarify_options: list[str] = field(default_factory=list)  # order numbers offered when clarifying
    question: str | None = None  # what a clarify asks for: order | problem | address | items | details
    courtesy: str | None = None  # a reply that rests on no outcome: thanks | hello | review
    usage: Usage = field(default_factory=Usage)
    model: str | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)  # extra trace entries (redacted)


class Backend(ABC):
    """A decision maker for one ticket. Instances are created once per process and reused."""

    name: str = "base"  # stored on AgentRun.backend
    model: str | None = None  # stored on AgentRun.model

    def triage(self, text: str) -> Triage:
        """Classify a redacted message (the offline classifier unless a backend knows better)."""
        from worker.agent.nlu import triage

        return triage(text)

    @abstractmethod
    def run(self, ctx: AgentContext, toolbox: Toolbox) -> BackendResult:
        """Decide and act for the ticket in `ctx` through `toolbox`; never touches the database."""
