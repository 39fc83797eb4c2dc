"""At 390 px wide (a phone) no page scrolls sideways: the orders table and admin metrics fit (issue 11)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

PHONE = {"width": 390, "height": 844}


def busy_month(app) -> None:
    """Tickets on many days, tool outcomes and model costs: every part of the metrics page is drawn."""
    from portal.models import ActionLog, AgentRun, Order, OrderItem, Ticket, User, utcnow

    with app.app_context():
        casey = db.session.scalar(select(User).where(User.email == "customer@example.com"))
        now = utcnow()
        for day in range(30):
            ticket = Ticket(
                customer=casey,
                subject=f"Day {day}",
                body="Help",
                status="answered",
                created_at=now - timedelta(days=day),
            )
            db.session.add(ticket)
            db.session.flush()
            db.session.add(
                AgentRun(
                    ticket_id=ticket.id,
                    status="done",
                    backend="mistral-small-latest-with-tools",
                    queued_at=now - timedelta(days=day),
                    duration_ms=1234.5,
                    prompt_tokens=123456789,
                    completion_tokens=98765432,
                    cost=Decimal("1234.567891"),
                )
            )
            for tool, decision in (("replacement_request", "done"), ("change_delivery_address", "denied")):
                db.session.add(
                    ActionLog(
                        actor_kind="agent",
                        actor_name="agent",
                        tool=tool,
                        decision=decision,
                        ticket_id=ticket.id,
                        customer_id=casey.id,
                        created_at=now - timedelta(days=day),
                    )
                )
        order = db.session.scalar(select(Order).where(Order.number == "A1001"))
        order.items.append(
            OrderItem(
                sku="NC-LONG-1",
                name="Noise-cancelling-wireless-over-ear-headphones-with-carrying-case",
                quantity=12345,
                unit_price=Decimal("123456.78"),
            )
        )
        db.session.commit()


def scroll_width(person, path: str) -> int:
    person.go(path)
    person.page.wait_for_load_state("load")
    return person.page.evaluate("document.scrollingElement.scrollWidth")


@pytest.mark.parametrize(
    ("email", "path", "landmarks"),
    [
        ("customer@example.com", "/orders", ["table"]),
        ("admin@example.com", "/admin/", ["#chart-by-day", "#tool-outcomes", "#costs", "#help-metrics"]),
        ("customer@example.com", "/help/search?q=refund", ["#help-results"]),
        ("customer@example.com", "/help/articles/shipping-policy", ["article"]),
    ],
)
def test_page_fits_a_390_px_screen(people, site, email, path, landmarks):
    busy_month(site.app)
    person = people(email)
    person.page.set_viewport_size(PHONE)
    width = scroll_width(person, path)
    for landmark in landmarks:  # the parts that used to overflow are on the page
        assert person.page.locator(landmark).count() >= 1, landmark
    if width > PHONE["width"]:
        person.shot(f"narrow-{path.strip('/').replace('/', '-')}")
    assert width <= PHONE["width"], f"{path} is {width} px wide at {PHONE['width']} px"
