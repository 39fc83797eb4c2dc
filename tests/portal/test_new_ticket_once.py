"""The new-ticket form submits once: its one-time token finds the ticket it already opened (issue 11)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Ticket


def form_token(client) -> str:
    page = client.get("/tickets/new").get_data(as_text=True)
    return re.search(r'name="form_token" type="hidden" value="([^"]+)"', page).group(1)


def ticket_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Ticket))


def test_back_and_send_again_goes_to_the_ticket_already_opened(demo, customer):
    token = form_token(customer)
    first = customer.post(
        "/tickets/new", data={"subject": "Late parcel", "message": "Where is it?", "form_token": token}
    )
    assert first.status_code == 302
    # Back in the browser, the text edited a little, Send again: the same form, so the same ticket.
    again = customer.post(
        "/tickets/new",
        data={"subject": "Late parcel!", "message": "Where is it? Any news?", "form_token": token},
        follow_redirects=True,
    )
    assert ticket_count(demo) == 1
    assert again.request.path == first.headers["Location"]
    assert "You already sent this" in again.get_data(as_text=True)


def test_a_fresh_form_opens_a_new_ticket(demo, customer):
    for subject in ("First question", "Second question"):
        data = {"subject": subject, "message": "Something else.", "form_token": form_token(customer)}
        assert customer.post("/tickets/new", data=data).status_code == 302
    assert ticket_count(demo) == 2


def test_tokens_are_per_form_and_per_customer(demo, customer):
    first, second = form_token(customer), form_token(customer)
    assert first != second and len(first) >= 30
    with demo.app_context():
        customer.post("/tickets/new", data={"subject": "A", "message": "B", "form_token": first})
        assert db.session.scalar(select(Ticket.form_token)) == first
