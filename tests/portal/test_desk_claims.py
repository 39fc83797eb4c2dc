"""Claims are compare-and-set: of two staff claiming one ticket at once, exactly one owns it and the
other is told who does. Real threads, two logged-in staff members, SQLite and Postgres."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from html import unescape

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import ActionLog, Ticket
from tests.portal.conftest import TicketFactory, login

STAFF = {"staff@example.com": "Stella Staff", "admin@example.com": "Adam Admin"}
ROUNDS = 5  # a few tickets, each claimed by both at once: a lost race would show on one of them


@pytest.fixture
def desk(any_app, monkeypatch):
    """The demo data on SQLite or Postgres (cheap argon2 hashes: tests/conftest.py base_config)."""
    from portal.commands.demo import seed_demo

    monkeypatch.setattr("portal.desk.actions.notify", lambda *args, **kwargs: None)
    with any_app.app_context():
        seed_demo()
        db.session.commit()
    return any_app


def _flash(html: str) -> str:
    match = re.search(r'<div class="alert alert-(\w+)[^"]*" role="alert">\s*(.*?)\s*<button', html, re.S)
    assert match, html
    return f"{match.group(1)}: {unescape(match.group(2))}"


def _claim_together(app, reference: str) -> dict[str, str]:
    """Both staff members post the claim at the same moment; the flash each of them sees."""
    clients = {}
    for email in STAFF:
        clients[email] = app.test_client()
        login(clients[email], email)
    barrier = threading.Barrier(len(clients))

    def claim(email: str) -> tuple[str, str]:
        barrier.wait(timeout=30)
        response = clients[email].post(f"/desk/tickets/{reference}/claim", follow_redirects=True)
        assert response.status_code == 200
        return email, _flash(response.get_data(as_text=True))

    with ThreadPoolExecutor(len(clients)) as pool:
        return dict(pool.map(claim, clients))


def test_two_staff_claiming_at_once_one_wins_the_other_is_told_who(desk):
    make_ticket = TicketFactory(desk)
    for _ in range(ROUNDS):
        reference = make_ticket(status="escalated")
        seen = _claim_together(desk, reference)
        with desk.app_context():
            ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
            owner = ticket.assignee.email
            claims = db.session.scalars(
                select(ActionLog.tool).where(ActionLog.ticket_id == ticket.id, ActionLog.tool == "desk.claim")
            ).all()
        loser = next(email for email in STAFF if email != owner)
        assert seen[owner] == f"success: You own {reference} now."
        assert seen[loser] == (
            f"warning: Not claimed: {STAFF[owner]} already owns {reference}. Use Assign to take it over."
        )
        assert claims == ["desk.claim"]  # one claim happened, logged once


def test_claiming_a_ticket_someone_owns_is_refused_and_names_the_owner(desk):
    reference = TicketFactory(desk)(status="escalated")
    adam, stella = desk.test_client(), desk.test_client()
    login(adam, "admin@example.com")
    login(stella, "staff@example.com")
    assert _flash(adam.post(f"/desk/tickets/{reference}/claim", follow_redirects=True).text).startswith(
        "success"
    )
    refused = stella.post(f"/desk/tickets/{reference}/claim", follow_redirects=True).text
    assert (
        _flash(refused)
        == f"warning: Not claimed: Adam Admin already owns {reference}. Use Assign to take it over."
    )
    again = adam.post(f"/desk/tickets/{reference}/claim", follow_redirects=True).text
    assert _flash(again) == "info: Nothing changed: the ticket is already yours."
    with desk.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert ticket.assignee.name == "Adam Admin"
    assert 'button class="btn btn-sm btn-primary" type="submit">Claim<' not in refused  # owned: no Claim
