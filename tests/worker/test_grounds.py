"""Every decision's policy section exists, and the sentence quoted as its rule reads on its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools.types import PolicyLimits
from worker.agent import grounds
from worker.agent.backends.base import Citation, ToolOutcome
from worker.agent.passages import quote
from worker.agent.retrieval.chunking import load_policy_chunks

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
ALL_GROUNDS = sorted({*grounds.GROUNDS.values(), *grounds.POLICY_GROUNDS.values()}, key=repr)


def _headings(policy: str) -> list[str]:
    text = (POLICIES / f"{policy}.md").read_text(encoding="utf-8")
    return [line[3:].strip() for line in text.splitlines() if line.startswith("## ")]


@pytest.mark.parametrize("ground", ALL_GROUNDS, ids=lambda g: f"{g.policy}:{g.section}")
def test_every_section_is_a_heading_of_its_policy_file(ground):
    assert ground.section in _headings(ground.policy)


@pytest.mark.parametrize(
    "limits", [PolicyLimits(), PolicyLimits(refund_window_days=14, approval_threshold=250)]
)
def test_every_quoted_sentence_exists_and_reads_alone_with_any_limits(limits):
    chunks = load_policy_chunks(POLICIES, limits=limits)
    for ground in ALL_GROUNDS:
        found = [
            c for c in chunks if c.policy == ground.policy and grounds.matches(ground.section, c.heading)
        ]
        assert len(found) == 1, ground
        if ground.sentence is not None:
            text = quote(Citation(found[0].policy, found[0].heading, found[0].text), ground.sentence)
            assert text[:1].isupper() and text.endswith("."), (ground, text)


def test_every_refusal_the_tools_give_has_a_ground_or_is_meant_to_be_searched():
    searched = {("change_address", "address_incomplete"), ("change_address", "already_shipped"),
                ("invoice", "not_invoiced"), ("replacement", "item_not_found")}  # fmt: skip
    pattern = re.compile(r'Refusal\(\s*"([a-z_]+)",\s*"([a-z_]+)"')
    source = "".join(path.read_text() for path in (ROOT / "tools").glob("*.py"))
    refusals = set(pattern.findall(source))
    assert refusals and refusals - searched <= set(grounds.GROUNDS)


def test_a_delivered_order_that_cannot_be_cancelled_quotes_the_delivered_rule():
    chunks = load_policy_chunks(POLICIES, limits=PolicyLimits())
    outcome = ToolOutcome("cancel", "denied", "", reason_code="already_delivered", policy="cancellations")
    ground = grounds.ground_for(outcome)
    chunk = next(c for c in chunks if grounds.matches(ground.section, c.heading))
    assert quote(Citation(chunk.policy, chunk.heading, chunk.text), ground.sentence) == (
        "Orders that have already shipped or been delivered."
    )


def test_lookups_are_grounded_by_the_orders_status():
    shipped = ToolOutcome("order_status", "done", "", details={"status": "shipped"}, policy="shipping")
    assert grounds.ground_for(shipped).section == "Tracking your order"
    assert grounds.ground_for(ToolOutcome("order_status", "done", "", policy="shipping")) is None


def test_headings_match_their_rendered_form_only():
    section = "Refund window: {{ refund_window_days }} days after delivery"
    assert grounds.matches(section, "Refund window: 30 days after delivery")
    assert not grounds.matches(section, "Refund window")
    assert grounds.section_words(section).split() == ["Refund", "window:", "days", "after", "delivery"]


def test_a_renamed_section_falls_back_to_searching_its_heading_words():
    from types import SimpleNamespace

    from worker.agent.compose import _grounded
    from worker.agent.pipeline import passage_finder

    renamed = SimpleNamespace(
        policy="escalation", heading="How fast we answer", text="Within a day.", score=0.4
    )
    index = SimpleNamespace(chunks=[renamed], search=lambda query, k: [renamed])
    cited = _grounded(grounds.RESPONSE_TIME, passage_finder(index))
    assert cited.passage.heading == "How fast we answer" and cited.grounded
