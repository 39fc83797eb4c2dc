"""Pure policy rules for SupportOps: each tool takes plain snapshots, limits and `now`, and returns
a Decision (done or held) or a Refusal. Standard library only; never imports flask, portal or worker.

The service layer (portal.services.actions) loads the rows, takes the locks, calls these functions
and records the effects; the agent only chooses a tool name and its MODEL_ARGS.
"""

from __future__ import annotations

from typing import Any

from tools import cancel as _cancel
from tools import change_address as _change_address
from tools import escalate as _escalate
from tools import invoice as _invoice
from tools import order_status as _order_status
from tools import refund as _refund
from tools import refund_status as _refund_status
from tools import replacement as _replacement
from tools.cancel import cancel
from tools.change_address import change_address
from tools.escalate import escalate
from tools.invoice import invoice
from tools.order_status import order_status
from tools.refund import refund
from tools.refund_status import refund_status
from tools.replacement import replacement
from tools.specs import ToolArgumentError, clean_args, function_spec, model_description
from tools.types import (
    CustomerHistory,
    Decision,
    ItemSnapshot,
    OrderSnapshot,
    PolicyLimits,
    RefundSnapshot,
    Refusal,
    ToolResult,
    business_days,
    format_money,
    money,
)

TOOLS = {
    "refund": refund,
    "cancel": cancel,
    "replacement": replacement,
    "order_status": order_status,
    "change_address": change_address,
    "refund_status": refund_status,
    "invoice": invoice,
    "escalate": escalate,
}

MODEL_ARGS = {
    "refund": _refund.MODEL_ARGS,
    "cancel": _cancel.MODEL_ARGS,
    "replacement": _replacement.MODEL_ARGS,
    "order_status": _order_status.MODEL_ARGS,
    "change_address": _change_address.MODEL_ARGS,
    "refund_status": _refund_status.MODEL_ARGS,
    "invoice": _invoice.MODEL_ARGS,
    "escalate": _escalate.MODEL_ARGS,
}

POLICIES = {
    "refund": _refund.POLICY,
    "cancel": _cancel.POLICY,
    "replacement": _replacement.POLICY,
    "order_status": _order_status.POLICY,
    "change_address": _change_address.POLICY,
    "refund_status": _refund_status.POLICY,
    "invoice": _invoice.POLICY,
    "escalate": _escalate.POLICY,
}


def tool_specs(limits: PolicyLimits | None = None) -> list[dict[str, Any]]:
    """Every tool in the function-calling format the Mistral backend binds (numbers from limits)."""
    limits = limits or PolicyLimits()
    return [function_spec(name, fn, MODEL_ARGS[name], limits) for name, fn in TOOLS.items()]


__all__ = [
    "MODEL_ARGS",
    "POLICIES",
    "TOOLS",
    "CustomerHistory",
    "Decision",
    "ItemSnapshot",
    "OrderSnapshot",
    "PolicyLimits",
    "RefundSnapshot",
    "Refusal",
    "ToolArgumentError",
    "ToolResult",
    "cancel",
    "change_address",
    "clean_args",
    "escalate",
    "business_days",
    "format_money",
    "function_spec",
    "invoice",
    "model_description",
    "money",
    "order_status",
    "refund",
    "refund_status",
    "replacement",
    "tool_specs",
]
