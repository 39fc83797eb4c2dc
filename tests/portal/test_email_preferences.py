"""Email preferences: the Ticket updates and Newsletter switches, and the policy that describes them."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from portal.extensions import db
from portal.models import User

POLICY = Path(__file__).resolve().parents[2] / "policies" / "accounts.md"


def casey(app) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "customer@example.com"))
        db.session.expunge(user)
        return user


def test_newsletter_is_off_until_the_customer_turns_it_on(demo, customer):
    page = customer.get("/settings/").get_data(as_text=True)
    assert "Ticket updates" in page and "Newsletter" in page
    assert re.search(r'id="newsletter"[^>]*role="switch"', page) and 'id="newsletter" checked' not in page
    assert casey(demo).newsletter is False and casey(demo).email_updates is True
    customer.post("/settings/", data={"email_updates": "y", "newsletter": "y"})
    assert (casey(demo).email_updates, casey(demo).newsletter) == (True, True)
    assert re.search(
        r'checked[^>]*id="newsletter"|id="newsletter"[^>]*checked',
        customer.get("/settings/").get_data(as_text=True),
    )
    customer.post("/settings/", data={})  # both switches off
    assert (casey(demo).email_updates, casey(demo).newsletter) == (False, False)


def section(heading: str) -> str:
    text = POLICY.read_text(encoding="utf-8")
    return text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_the_policy_describes_exactly_these_switches():
    for heading in ("Email preferences and newsletter", "How to unsubscribe from the newsletter"):
        body = section(heading)
        assert "**Account settings → Email preferences**" in body
        assert "**Newsletter**" in body and "**Ticket updates**" in body
        assert "don't send a newsletter" not in body and "do not send a **newsletter**" not in body
