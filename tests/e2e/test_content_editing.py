"""An admin edits a policy in the portal; the agent quotes the new text on the very next ticket."""

from __future__ import annotations

import pytest

from tests.e2e.test_flows import open_ticket, wait_for_agent

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

NEW_TEXT = "Bring the parcel to a partner kiosk within {{ refund_window_days }} days to start a refund."
SHOWN = "Bring the parcel to a partner kiosk within 30 days to start a refund."


def test_admin_edits_a_policy_and_the_agent_quotes_it(people, site):
    ada = people("admin@example.com")
    ada.go("/admin/policies/refunds")
    ada.page.click("text=Edit")
    source = ada.page.input_value("#markdown")
    start = source.index("You have **{{ refund_window_days }} days**")
    end = source.index("## How much is refunded")
    ada.page.fill("#markdown", source[:start] + NEW_TEXT + "\n\n" + source[end:])

    ada.page.click("input[type=submit][value=Preview]")
    ada.page.wait_for_selector("#preview-pane")
    assert SHOWN in ada.page.text_content("#preview-pane")  # rendered with the limits, not yet saved
    ada.go("/admin/policies/refunds")
    assert "partner kiosk" not in ada.page.text_content("article.policy-doc")

    ada.page.click("text=Edit")
    ada.page.fill("#markdown", source[:start] + NEW_TEXT + "\n\n" + source[end:])
    ada.page.click("input[type=submit][value=Save]")
    ada.page.wait_for_url("**/admin/policies/refunds")
    assert SHOWN in ada.page.text_content("article.policy-doc")
    ada.page.click("text=History")
    assert "current" in ada.page.inner_text("table")
    ada.shot("admin-policy-history")

    casey = people("customer@example.com")
    open_ticket(casey, "Refund window", "How many days after delivery do I have to ask for a refund?")
    wait_for_agent(casey)
    assert "partner kiosk within 30 days" in casey.page.inner_text(".message-agent")
    casey.shot("agent-quotes-edited-policy")
