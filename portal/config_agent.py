"""The agent's settings: backend choice, chat-model providers, escalation rules and the policy limits.

Part of the typed settings (portal.config_types): the agent pipeline, the backends and the retrieval index
receive an AgentSettings and nothing else. The policy limits live here because the agent's tools enforce
them; the portal's pages read the same object as `Settings.policy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from portal.config_mail import intervals
from tools.escalation_policy import EscalationRules
from tools.types import PolicyLimits  # tools is a leaf package: portal may import it

MILLION = Decimal(1_000_000)
COST_QUANTUM = Decimal("0.000001")  # AgentRun.cost is Numeric(12, 6)
BUDGET_SHARE = 0.8  # of AGENT_JOB_TIMEOUT one run may spend on model calls: the job must still store it

# PolicyLimits field → config key; the day ranges per payment method and shipping option are mappings.
LIMIT_KEYS = {
    "refund_window_days": "REFUND_WINDOW_DAYS",
    "refunds_per_period": "REFUNDS_PER_PERIOD",
    "refund_period_days": "REFUND_PERIOD_DAYS",
    "approval_threshold": "REFUND_APPROVAL_THRESHOLD",
    "replacement_window_days": "REPLACEMENT_WINDOW_DAYS",
    "replacements_per_order": "REPLACEMENTS_PER_ORDER",
    "sla_hours": "SLA_HOURS",
    "ship_within_days": "SHIP_WITHIN_DAYS",
    "tracking_stale_days": "TRACKING_STALE_DAYS",
}
LIMIT_RANGES = {
    "refund_days": {
        "card": "REFUND_DAYS_CARD",
        "paypal": "REFUND_DAYS_PAYPAL",
        "gift_card": "REFUND_DAYS_GIFT_CARD",
    },
    "shipping_days": {
        "standard": "SHIPPING_DAYS_STANDARD",
        "express": "SHIPPING_DAYS_EXPRESS",
        "international": "SHIPPING_DAYS_INTERNATIONAL",
    },
}


def policy_limits(config: Mapping[str, Any]) -> PolicyLimits:
    """The policy limits as the tools expect them (a key missing from a partial config keeps its default)."""
    defaults = PolicyLimits()
    values: dict[str, Any] = {field: config[key] for field, key in LIMIT_KEYS.items() if key in config}
    for field, keys in LIMIT_RANGES.items():
        ranges = dict(getattr(defaults, field))
        ranges.update({name: tuple(config[key]) for name, key in keys.items() if key in config})
        # A plain dict, as tools.PolicyLimits' own defaults: tools.specs copies the limits with asdict(),
        # which cannot copy a read-only MappingProxyType.
        values[field] = ranges
    return PolicyLimits(**values)


def escalation_rules(config: Mapping[str, Any]) -> EscalationRules:
    """The ESCALATE_* thresholds that hand an answered ticket to a person."""
    return EscalationRules(
        p1_after_turns=int(config["ESCALATE_P1_AFTER_TURNS"]),
        sentiment_below=float(config["ESCALATE_SENTIMENT_BELOW"]),
        confidence_below=float(config["ESCALATE_CONFIDENCE_BELOW"]),
    )


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """What the tool-calling loop needs to know about a chat-model provider (MISTRAL_*, OPENAI_*)."""

    api_key: str | None
    base_url: str
    model: str
    timeout: float
    max_retries: int
    max_steps: int
    input_cost: Decimal  # per million prompt tokens
    output_cost: Decimal  # per million completion tokens
    backoff: float
    max_backoff: float
    budget: float  # seconds one run may spend before giving up (within the job timeout)
    direct_tool_reply: bool

    @classmethod
    def from_prefix(cls, config: Mapping[str, Any], prefix: str) -> ChatSettings:
        """The `{prefix}_*` settings (MISTRAL, OPENAI) as portal/config.py read them; no default is
        restated here, so a hand-built config that lacks one is refused with the key's name."""

        def setting(name: str) -> Any:
            key = f"{prefix}_{name}" if name != "AGENT_JOB_TIMEOUT" else name
            if key not in config:
                raise ValueError(f"the {prefix.lower()} backend needs {key} (see portal/config.py)")
            return config[key]

        return cls(
            api_key=setting("API_KEY") or None,
            base_url=setting("BASE_URL"),
            model=setting("MODEL"),
            timeout=float(setting("TIMEOUT")),
            max_retries=int(setting("MAX_RETRIES")),
            max_steps=max(1, int(setting("MAX_STEPS"))),
            input_cost=Decimal(str(setting("INPUT_COST_PER_MTOK"))),
            output_cost=Decimal(str(setting("OUTPUT_COST_PER_MTOK"))),
            backoff=float(setting("BACKOFF_SECONDS")),
            max_backoff=float(setting("BACKOFF_MAX_SECONDS")),
            budget=float(setting("AGENT_JOB_TIMEOUT")) * BUDGET_SHARE,  # leave the job time to store it
            direct_tool_reply=bool(setting("DIRECT_TOOL_REPLY")),
        )

    def cost(self, prompt_tokens: int, completion_tokens: int) -> Decimal:
        """The estimated price of one call."""
        raw = (prompt_tokens * self.input_cost + completion_tokens * self.output_cost) / MILLION
        return raw.quantize(COST_QUANTUM)


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """Everything the agent pipeline, its backends and the policy index need."""

    backend: str  # AGENT_BACKEND: auto | offline | mistral | openai
    job_timeout: int  # AGENT_JOB_TIMEOUT, seconds
    retry_intervals: tuple[int, ...]  # AGENT_RETRY_INTERVALS
    max_requeues: int  # AGENT_MAX_REQUEUES: stale runs re-enqueued before a person takes the ticket
    stale_after_seconds: int  # AGENT_STALE_AFTER_SECONDS
    escalation: EscalationRules
    limits: PolicyLimits
    mistral: ChatSettings
    openai: ChatSettings
    retrieval_embedder: str  # RETRIEVAL_EMBEDDER: auto | offline | mistral
    policies_dir: str  # POLICIES_DIR

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AgentSettings:
        """The AGENT_*, ESCALATE_*, MISTRAL_*, OPENAI_*, RETRIEVAL_EMBEDDER, POLICIES_DIR and limit keys."""
        return cls(
            backend=config["AGENT_BACKEND"],
            job_timeout=int(config["AGENT_JOB_TIMEOUT"]),
            retry_intervals=intervals(config["AGENT_RETRY_INTERVALS"]),
            max_requeues=int(config["AGENT_MAX_REQUEUES"]),
            stale_after_seconds=int(config["AGENT_STALE_AFTER_SECONDS"]),
            escalation=escalation_rules(config),
            limits=policy_limits(config),
            mistral=ChatSettings.from_prefix(config, "MISTRAL"),
            openai=ChatSettings.from_prefix(config, "OPENAI"),
            retrieval_embedder=config["RETRIEVAL_EMBEDDER"],
            policies_dir=str(config["POLICIES_DIR"]),
        )
