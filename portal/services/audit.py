"""Who acted, what came of it, and the append-only action log row that records every attempt."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from portal.extensions import db
from portal.models import ActionLog, ActorKind

_CARD_NUMBER = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@dataclass(frozen=True)
class Actor:
    """Who asked for an action: the agent (with its run id), a staff member, the system or a customer."""

    kind: str
    id: int | None
    name: str

    @classmethod
    def agent(cls, run_id: int | None = None, name: str = "agent") -> Actor:
        return cls(ActorKind.AGENT.value, run_id, name)

    @classmethod
    def staff(cls, user_id: int, name: str = "staff") -> Actor:
        return cls(ActorKind.STAFF.value, user_id, name)

    @classmethod
    def customer(cls, user_id: int, name: str = "customer") -> Actor:
        """The customer acting on their own order from the portal (no ticket, no agent)."""
        return cls(ActorKind.CUSTOMER.value, user_id, name)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(ActorKind.SYSTEM.value, None, name)


@dataclass(frozen=True)
class ActionResult:
    """What an action attempt came to, in plain data (safe to keep after the session closes)."""

    tool: str
    outcome: str  # done | denied | held | error
    message: str  # customer-facing
    policy: str | None = None  # policy stem to cite
    order_number: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    reason_code: str | None = None
    escalate: bool = False  # the ticket was handed to a person
    escalation_reason: str | None = None
    effect_id: int | None = None  # Refund / Cancellation / Replacement id
    log_id: int | None = None
    replayed: bool = False  # an earlier identical request's result, returned again
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly (amounts as strings), e.g. for Message.outcome or a run trace."""
        data = asdict(self)
        data["amount"] = None if self.amount is None else str(self.amount)
        return data


def redact(value: Any) -> Any:
    """Mask card numbers and e-mail addresses in logged arguments (nested lists and dicts too)."""
    if isinstance(value, str):
        return _EMAIL.sub("[email]", _CARD_NUMBER.sub("[card number]", value))
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    return value


def log_action(actor: Actor, tool: str, decision: str, **fields: Any) -> ActionLog:
    """Add one action-log row to the session (the log is append-only; see portal.models)."""
    fields["arguments"] = redact(fields.get("arguments") or {})
    row = ActionLog(
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        tool=tool,
        decision=decision,
        **fields,
    )
    db.session.add(row)
    db.session.flush()
    return row
