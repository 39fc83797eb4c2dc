"""In Chromium: "Not satisfied" reopens a ticket to the desk, and the staff reply appears without a reload."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from tests.e2e.test_flows import open_ticket, wait_for_agent

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

LIVE_WAIT = 15000  # ms: the page checks every 500 ms in these tests


@pytest.fixture
def quick_polling(site, temporary_settings):
    temporary_settings(site.app, TICKET_IDLE_POLL_MS=500)


def test_not_satisfied_reopens_to_the_desk_and_the_reply_appears_live(people, site, quick_polling):
    casey = people("customer@example.com")
    ref = open_ticket(casey, "Where are my shoes?", "Where is my order A1002? It has not arrived yet.")
    wait_for_agent(casey)
    casey.page.click("summary:has-text('Not satisfied')")
    casey.page.fill("#feedback_comment", "The tracking page has said the same thing for a week.")
    casey.page.click("button:has-text('Reopen this ticket')")
    casey.page.wait_for_selector("text=The ticket is open again")
    assert "With our team" in casey.page.locator("#ticket-badge").inner_text()
    ticket = site.ticket_row(ref)
    assert (ticket.status, ticket.satisfaction) == ("escalated", "unsatisfied")

    stella = people("staff@example.com")
    stella.go("/desk/")
    stella.page.click(f"tr[data-reference='{ref}'] a")
    assert "Customer not satisfied" in stella.page.locator("#escalation-reason").inner_text()
    assert "same thing for a week" in stella.page.locator("#thread").inner_text()
    stella.page.fill(
        "textarea[aria-label='Reply to the customer']", "I asked the courier; it arrives Friday."
    )
    stella.page.click("input[value='Send reply']")
    stella.page.wait_for_selector("text=Reply sent to the customer")

    # Casey never reloads: the page's slow polling brings the reply in.
    casey.page.wait_for_selector("#thread >> text=it arrives Friday", timeout=LIVE_WAIT)
    assert casey.dialogs == [] and stella.dialogs == []


def test_email_not_satisfied_link_asks_then_reopens(browser, people, site):
    from portal.mailer.feedback import make_token
    from portal.models import Ticket, User, utcnow

    with site.app.app_context():
        casey = db.session.scalar(select(User).where(User.email == "customer@example.com"))
        ticket = Ticket(
            customer=casey, subject="Kettle", body="It leaks.", status="resolved", resolved_at=utcnow()
        )
        db.session.add(ticket)
        db.session.commit()
        ref, token = ticket.reference, make_token(ticket, "unsatisfied")

    context = browser.new_context(viewport={"width": 390, "height": 844})  # read on a phone, not logged in
    try:
        page = context.new_page()
        page.goto(f"{site.url}/feedback/{token}")
        page.wait_for_selector("text=Not satisfied?")
        assert site.ticket_row(ref).status == "resolved"  # opening the link records nothing
        page.fill("#comment", "Still leaks after the replacement.")
        page.click("button:has-text('reopen my request')")
        page.wait_for_selector("text=Your request is open again")
    finally:
        context.close()
    ticket = site.ticket_row(ref)
    assert (ticket.status, ticket.satisfaction, ticket.escalation_reason) == (
        "escalated",
        "unsatisfied",
        "Customer not satisfied",
    )
    stella = people("staff@example.com")
    stella.go("/desk/")
    assert stella.page.locator(f"tr[data-reference='{ref}']").count() == 1
