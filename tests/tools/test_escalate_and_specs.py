import json
import subprocess
import sys
from decimal import Decimal

import pytest

import tools
from tools import MODEL_ARGS, TOOLS, PolicyLimits, ToolArgumentError, clean_args, escalate, tool_specs


@pytest.mark.parametrize(
    "category", ["human_requested", "complaint", "legal_threat", "chargeback", "not_covered"]
)
def test_escalate(category):
    result = escalate(category=category, reason="Wants to talk to a person.", limits=PolicyLimits())
    assert (result.outcome, result.escalate, result.policy) == ("done", True, "escalation")
    assert result.details["category"] == category
    assert "within 4 hours" in result.message


def test_unknown_escalation_category_becomes_other():
    result = escalate(category="weird", reason="?", limits=PolicyLimits())
    assert result.details["category"] == "other"


def test_every_tool_has_a_model_schema_and_description():
    specs = tool_specs()
    assert [spec["function"]["name"] for spec in specs] == list(TOOLS)
    for spec in specs:
        function = spec["function"]
        assert function["parameters"] == MODEL_ARGS[function["name"]]
        assert "Implementation" not in function["description"]
        assert "{" not in function["description"]
        assert "customer_id" not in json.dumps(function["parameters"])  # identity comes from the ticket
    json.dumps(specs)  # serialisable as-is


def test_descriptions_follow_the_configured_limits():
    specs = tool_specs(PolicyLimits(refund_window_days=14, approval_threshold=Decimal("250.00"), sla_hours=2))
    refund_text = specs[0]["function"]["description"]
    assert "within\n14 days of delivery" in refund_text
    assert "above 250.00" in refund_text
    assert "within 2 hours" in specs[-1]["function"]["description"]


def test_clean_args_keeps_schema_arguments_only():
    cleaned = clean_args(
        MODEL_ARGS["refund"], {"order_number": " A1 ", "item_names": "Mug", "customer_id": 9}
    )
    assert cleaned == {"order_number": "A1", "item_names": ["Mug"]}


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("refund", {}),
        ("refund", {"order_number": ""}),
        ("refund", {"order_number": "A1", "item_names": [1]}),
        ("replacement", {"order_number": "A1", "problem": "meh"}),
        ("escalate", {"category": "complaint"}),
    ],
)
def test_clean_args_rejects_bad_arguments(tool, args):
    with pytest.raises(ToolArgumentError):
        clean_args(MODEL_ARGS[tool], args)


def test_tools_is_a_leaf_package():
    banned = "('flask', 'portal', 'worker', 'sqlalchemy')"
    code = f"import sys, tools; print([m for m in sys.modules if m.split('.')[0] in {banned}])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=_root()
    )
    assert out.stdout.strip() == "[]"


def _root():
    from pathlib import Path

    return Path(tools.__file__).resolve().parent.parent
