"""The desk as a workplace, in Chromium: the assistant's draft edited and sent, a canned reply with
placeholders inserted and sent, and a search by order number and by a word of the message."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Draft
from tests.e2e.test_csp import Watch
from tests.e2e.test_flows import open_ticket, wait_for_agent

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

DRAFT_WAIT = 45.0  # seconds: the draft job runs in the in-process queue after the escalation commits


def wait_for_draft(person, reference: str) -> None:
    """The draft appears on the ticket page once the job has stored it (reload until then)."""
    deadline = time.monotonic() + DRAFT_WAIT
    while time.monotonic() < deadline:
        person.go(f"/desk/tickets/{reference}")
        if person.page.locator("#ai-draft").count():
            return
        time.sleep(0.5)
    person.shot("failed-wait-for-draft")
    pytest.fail(f"no draft on {reference}; the database holds {person.site.ticket_state(person.page.url)}")


def test_an_escalated_ticket_shows_the_assistants_draft_which_staff_edit_and_send(people, site):
    casey = people("customer@example.com")
    ref = open_ticket(
        casey, "A person please", "Please put me through to a human agent about my order A1002."
    )
    wait_for_agent(casey)
    assert site.ticket_row(ref).status == "escalated"

    stella = people("staff@example.com")
    wait_for_draft(stella, ref)
    page = stella.page
    assert "not sent" in page.locator("#ai-draft").inner_text()
    box = page.locator("textarea[aria-label='Reply to the customer']")
    drafted = box.input_value()
    assert drafted.startswith("Hello Casey,")
    assert drafted not in casey.page.locator("#thread").inner_text()  # nothing went out by itself
    stella.shot("desk-ticket-ai-draft")
    box.fill(drafted + "\n\nI have also asked the courier for the parcel's exact location.")
    page.click("input[value='Send reply']")
    page.wait_for_selector("text=Reply sent to the customer")
    assert page.locator("#ai-draft").count() == 0

    casey.page.reload()
    thread = casey.page.locator("#thread").inner_text()
    assert "I have also asked the courier for the parcel's exact location." in thread
    assert drafted.splitlines()[-1] in thread
    with site.app.app_context():
        statuses = db.session.scalars(select(Draft.status)).all()
        db.session.remove()
    assert statuses == ["sent_edited"]


def test_a_canned_reply_with_placeholders_is_inserted_and_sent(people, site):
    adam = people("admin@example.com")
    adam.go("/admin/canned")
    adam.page.fill("#title", "Ships today")
    adam.page.fill(
        "#body",
        "Hi {customer_first_name}, order {order_number} ({ticket_reference}) ships today. {staff_name}",
    )
    adam.page.click("#canned-form button[type=submit]")
    adam.page.wait_for_selector("text=Saved")
    adam.page.fill("#body", "Hi {custmer_name}")
    adam.page.fill("#title", "Typo")
    adam.page.click("#canned-form button[type=submit]")
    assert "Unknown placeholder {custmer_name}" in adam.page.locator("#canned-error").inner_text()

    casey = people("customer@example.com")
    ref = open_ticket(casey, "Where are my shoes?", "Where is my order? It has not arrived yet.", "A1002")
    wait_for_agent(casey)

    stella = people("staff@example.com")
    watch = Watch(stella)
    watch.visit(f"/desk/tickets/{ref}")
    page = stella.page
    page.click("#canned-picker summary")
    page.fill("#canned-search", "ships")
    option = page.locator(".canned-option", has_text="Ships today")
    option.wait_for()
    page.locator("textarea[aria-label='Reply to the customer']").fill("")
    option.click()
    expected = f"Hi Casey, order A1002 ({ref}) ships today. Stella"
    box = page.locator("textarea[aria-label='Reply to the customer']")
    assert box.input_value().startswith(expected)
    watch.assert_clean()
    stella.shot("desk-ticket-canned-reply")
    page.click("input[value='Send reply']")
    page.wait_for_selector("text=Reply sent to the customer")

    casey.page.reload()
    thread = casey.page.locator("#thread").inner_text()
    assert expected in thread and "{" not in thread.split("ships today")[0][-80:]


def test_search_finds_the_ticket_by_order_number_and_by_a_word_of_the_message(people, site):
    casey = people("customer@example.com")
    ref = open_ticket(
        casey, "Crackling sound", "My headphones crackle loudly whenever the volume is above half.", "A1003"
    )
    wait_for_agent(casey)

    stella = people("staff@example.com")
    stella.go("/desk/")
    page = stella.page
    page.fill("#desk-search", "A1003")
    page.press("#desk-search", "Enter")
    first = page.locator(".search-result").first
    first.wait_for()
    assert first.get_attribute("data-reference") == ref and first.get_attribute("data-matched") == "order"
    assert "Casey" in first.inner_text()

    page.fill("#desk-search", "crackle")
    page.press("#desk-search", "Enter")
    page.wait_for_url("**/desk/search?q=crackle")
    hit = page.locator(f".search-result[data-reference='{ref}']")
    assert hit.count() == 1
    assert hit.locator("mark").first.inner_text().lower() == "crackle"
    stella.shot("desk-search")
    hit.locator("a").first.click()
    page.wait_for_url(f"**/desk/tickets/{ref}")
