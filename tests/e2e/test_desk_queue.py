"""The desk queue refreshes itself: a ticket escalated after the page loaded appears without a reload."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Message, Ticket, User, utcnow

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def _escalated_ticket(site, subject: str) -> str:
    with site.app.app_context():
        customer = db.session.query(User).filter_by(email="customer@example.com").one()
        ticket = Ticket(customer_id=customer.id, subject=subject, body="Please call me.", status="escalated",
                        escalation_reason="human_requested: The customer asks to talk to a person.",
                        escalated_at=utcnow())  # fmt: skip
        ticket.messages.append(Message(author_kind="customer", author_id=customer.id, body="Please call me."))
        db.session.add(ticket)
        db.session.commit()
        reference = ticket.reference
        db.session.remove()
        return reference


def test_the_queue_shows_a_new_escalation_without_a_reload(people, site, temporary_settings):
    temporary_settings(site.app, DESK_REFRESH_SECONDS=0.5)
    stella = people("staff@example.com")
    stella.go("/desk/?status=escalated")
    count = stella.page.locator("[data-count=escalated]")
    before = int(count.inner_text())
    reference = _escalated_ticket(site, "Arrived while the queue was open")
    marker = stella.page.evaluate("() => (window.__kept = 'same page')")
    stella.page.wait_for_selector(f"tr[data-reference='{reference}']", timeout=10000)
    assert "Asked for a person" in stella.page.locator(f"tr[data-reference='{reference}']").inner_text()
    assert int(stella.page.locator("[data-count=escalated]").inner_text()) == before + 1
    assert stella.page.evaluate("() => window.__kept") == marker  # refreshed in place, not reloaded
    stella.close()
