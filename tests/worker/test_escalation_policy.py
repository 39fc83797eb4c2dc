"""The escalation policy is data in one module: the agent's triage, backend and rules all follow it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.overrides import settings_from
from tools import escalation_policy as policy
from tools.escalate import CATEGORIES as TOOL_CATEGORIES
from worker.agent.backends.base import TOOL_ACTIONS


def test_every_reason_maps_to_a_category_the_escalate_tool_accepts():
    categories = [category for category, _ in policy.REASON_CATEGORIES.values()]
    assert set(categories) <= set(TOOL_CATEGORIES)
    assert policy.category_for("no such reason") == policy.DEFAULT_CATEGORY
    assert policy.category_for(None) == policy.DEFAULT_CATEGORY


@pytest.mark.parametrize(
    ("action", "reason", "mood", "danger", "money", "expected"),
    [
        ("answer", "legal_threat", 0.0, False, False, "P1"),
        ("answer", "chargeback", 0.0, False, False, "P1"),
        ("answer", None, 0.0, True, False, "P1"),
        ("answer", None, -0.6, False, False, "P1"),
        ("answer", None, -0.59, False, False, "P4"),
        ("refund", None, 0.0, False, False, "P2"),
        ("escalate", "requested_human", 0.0, False, False, "P2"),
        ("order_status", None, 0.0, False, True, "P2"),
        ("order_status", None, 0.0, False, False, "P3"),
        ("answer", None, 0.5, False, True, "P4"),
    ],
)
def test_priority_rules(action, reason, mood, danger, money, expected):
    assert policy.priority(action, reason, mood, danger=danger, money=money) == expected


def test_the_settings_defaults_are_the_policy_defaults(monkeypatch, tmp_path):
    for name in ("ESCALATE_P1_AFTER_TURNS", "ESCALATE_SENTIMENT_BELOW", "ESCALATE_CONFIDENCE_BELOW"):
        monkeypatch.delenv(name, raising=False)
    assert settings_from(tmp_path).agent.escalation == policy.EscalationRules()


def test_statuses_are_given_for_actions_the_agent_has():
    assert set(policy.ACTION_ORDER_STATUSES) <= set(TOOL_ACTIONS)


def test_rules_fire_on_their_thresholds():
    now = datetime(2026, 1, 1, 12)
    calm = dict(priority="P2", customer_turns=1, sentiment=0.0, confidence=0.9, sla_due_at=None, now=now)
    rules = policy.EscalationRules(p1_after_turns=1, sentiment_below=-0.5, confidence_below=0.7)
    assert policy.rule_reasons(rules, **calm) == []
    codes = [
        code
        for code, _ in policy.rule_reasons(
            rules,
            priority="P1",
            customer_turns=2,
            sentiment=-0.51,
            confidence=0.69,
            sla_due_at=now - timedelta(minutes=1),
            now=now,
        )
    ]
    assert codes == ["p1_turns", "sentiment", "confidence", "sla"]


def test_a_new_forced_reason_changes_the_agents_triage_from_this_module_alone(monkeypatch):
    from worker.agent.nlu import triage

    text = "This is the worst service ever, I want to complain about order A1003 arriving late."
    assert triage(text).escalation_reason == "complaint"
    monkeypatch.setattr(policy, "FORCED_REASONS", frozenset({"complaint"}))
    assert triage(text).action == "escalate"
