"""The one adapter from a backend's tool calls to the service layer (portal.services.execute).

The toolbox is bound to one ticket: the customer comes from the ticket, never from the model's
arguments, so a model cannot act on somebody else's order however it is prompted. Each call is its
own short transaction in the service layer (customer lock, idempotency key, action log); no session
is left open afterwards, so the backend may go back to the model straight away.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from portal.extensions import db
from portal.services import ActionResult, Actor, execute
from portal.services.audit import redact as redact_arguments
from tools import PolicyLimits, tool_specs
from worker.agent.backends.base import ToolOutcome
from worker.agent.redaction.vault import AddressVault

logger = logging.getLogger(__name__)


class ServiceToolbox:
    """Executes tool calls for one ticket's customer through portal.services (see base.Toolbox)."""

    def __init__(
        self,
        *,
        ticket_id: int,
        customer_id: int,
        run_id: int | None,
        limits: PolicyLimits,
        vault: AddressVault | None = None,
    ):
        self.ticket_id = ticket_id
        self.vault = vault
        self.customer_id = customer_id
        self.run_id = run_id
        self.limits = limits
        self._outcomes: list[ToolOutcome] = []
        self.trace: list[dict[str, Any]] = []
        self.db_ms = 0.0  # time spent inside the service layer (database work)

    def specs(self) -> list[dict[str, Any]]:
        """The tools in function-calling format, their numbers taken from the configured limits."""
        return tool_specs(self.limits)

    @property
    def outcomes(self) -> list[ToolOutcome]:
        """Every call's outcome so far, in order (a copy)."""
        return list(self._outcomes)

    def call(self, name: str, args: Mapping[str, Any] | None) -> ToolOutcome:
        """Run one tool for this ticket's customer; refusals and bad arguments come back as outcomes."""
        started = time.perf_counter()
        safe_args = dict(args or {}) if isinstance(args, Mapping) else {}
        try:
            result = execute(
                name,
                ticket_id=self.ticket_id,
                customer_id=self.customer_id,
                args=self._revealed(name, safe_args),
                actor=Actor.agent(self.run_id),
            )
        finally:
            db.session.close()  # nothing stays open while the backend thinks or calls the model
        outcome = self._masked(to_outcome(result))
        elapsed = (time.perf_counter() - started) * 1000
        self.db_ms += elapsed
        self._outcomes.append(outcome)
        self.trace.append(
            {
                "step": f"tool:{name}",
                "ms": round(elapsed, 2),
                "input": redact_arguments(safe_args),
                "output": outcome.for_model()
                | {"reason_code": outcome.reason_code, "replayed": outcome.replayed},
            }
        )
        logger.info("ticket %s run %s: %s → %s", self.ticket_id, self.run_id, name, outcome.outcome)
        return outcome

    def _revealed(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """The real address for change_address's `address` argument only: nothing else is unmasked."""
        if self.vault is None or name != "change_address" or not isinstance(args.get("address"), str):
            return args
        return args | {"address": self.vault.reveal(args["address"])}

    def _masked(self, outcome: ToolOutcome) -> ToolOutcome:
        """The outcome with any address it echoes put back behind its placeholder (model, trace)."""
        if self.vault is None or not len(self.vault):
            return outcome
        details = {k: self.vault.mask(v) if isinstance(v, str) else v for k, v in outcome.details.items()}
        return replace(outcome, message=self.vault.mask(outcome.message), details=details)


def to_outcome(result: ActionResult) -> ToolOutcome:
    """The service layer's result as the plain outcome backends see."""
    return ToolOutcome(
        tool=result.tool,
        outcome=result.outcome,
        message=result.message,
        policy=result.policy,
        order_number=result.order_number,
        amount=result.amount,
        currency=result.currency,
        reason_code=result.reason_code,
        escalate=result.escalate,
        escalation_reason=result.escalation_reason,
        replayed=result.replayed,
        details=dict(result.details),
    )
