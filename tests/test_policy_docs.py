"""The numbers the policy documents promise must be the numbers the code enforces.

The documents are templates rendered with the limits (portal.help.policy_text); these tests read them
rendered with the defaults. tests/test_policy_numbers.py changes each limit.
"""

import re
from pathlib import Path

import pytest

from portal.config import load_config, policy_limits
from portal.help.policy_text import read_policy
from tools import PolicyLimits

POLICIES = Path(__file__).resolve().parent.parent / "policies"
DOCS = [
    "refunds",
    "cancellations",
    "replacements",
    "shipping",
    "payments",
    "accounts",
    "escalation",
    "privacy",
]
LIMITS = PolicyLimits()


def text(stem):
    return read_policy(POLICIES / f"{stem}.md", LIMITS)


def numbers_before(stem, unit):
    """Every number written just before `unit`, e.g. '30' in '**30 days**'."""
    return set(re.findall(rf"(\d+(?:\.\d+)?)\**\s+{unit}", text(stem)))


def test_config_defaults_build_the_tool_defaults(tmp_path, monkeypatch):
    names = "REFUND_WINDOW_DAYS REFUNDS_PER_PERIOD REFUND_PERIOD_DAYS REFUND_APPROVAL_THRESHOLD"
    more = " REFUND_DAYS_CARD REFUND_DAYS_PAYPAL REFUND_DAYS_GIFT_CARD SHIP_WITHIN_DAYS TRACKING_STALE_DAYS"
    more += " SHIPPING_DAYS_STANDARD SHIPPING_DAYS_EXPRESS SHIPPING_DAYS_INTERNATIONAL"
    for name in (names + " REPLACEMENT_WINDOW_DAYS REPLACEMENTS_PER_ORDER SLA_HOURS" + more).split():
        monkeypatch.delenv(name, raising=False)
    assert policy_limits(load_config(str(tmp_path))) == LIMITS


@pytest.mark.parametrize("stem", DOCS)
def test_each_document_has_a_title_and_sections(stem):
    body = text(stem)
    assert body.startswith("# ")
    assert len(re.findall(r"^## \S", body, flags=re.M)) >= 3


def test_refund_document_states_the_limits():
    assert numbers_before("refunds", "days") == {str(LIMITS.refund_window_days)}
    assert LIMITS.refund_period_days == LIMITS.refund_window_days  # the document says "30 days" for both
    assert f"{LIMITS.refunds_per_period} refunds in any rolling {LIMITS.refund_period_days} days" in text(
        "refunds"
    )
    assert set(re.findall(r"\d+\.\d{2}", text("refunds"))) == {str(LIMITS.approval_threshold), "42.00"}
    days = LIMITS.refund_window_days
    assert f"on day {days} is accepted; from day {days + 1} on" in text("refunds")


def test_cancellation_document_points_to_the_refund_window_and_limit():
    assert numbers_before("cancellations", "days") == {str(LIMITS.refund_window_days)}
    assert f"{LIMITS.refunds_per_period} refunds in any {LIMITS.refund_period_days} days" in text(
        "cancellations"
    )


def test_replacement_document_states_the_limits():
    assert numbers_before("replacements", "days") == {str(LIMITS.replacement_window_days)}
    assert f"at most {LIMITS.replacements_per_order} time" in text("replacements")


def test_escalation_document_states_the_response_time():
    assert numbers_before("escalation", "hours") == {f"{LIMITS.sla_hours:g}"}
    assert str(LIMITS.approval_threshold) in text("escalation")


def test_shipping_answers_international_orders_and_refund_windows():
    body = text("shipping")
    assert "## Do you ship internationally?" in body
    assert numbers_before("shipping", "days") == {str(LIMITS.refund_window_days)}


def test_payments_lists_every_method_and_its_timing():
    body = text("payments")
    for words in ("Card", "PayPal", "Gift card", "5 to 10 business days", "3 to 5 business days", "instant"):
        assert words in body


def test_accounts_and_privacy_cover_the_common_questions():
    for heading in (
        "## How to unsubscribe from the newsletter",
        "## Deleting your account",
        "## Forgot your password",
    ):
        assert heading in text("accounts")
    assert "redacts" in text("privacy")
