"""Canned replies: placeholders filled safely, unknown ones refused at save time, personal vs shared,
and the reply box's picker (filled in for the ticket, searchable)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.desk import canned
from portal.extensions import db
from portal.models import CannedReply, Message
from tests.portal.conftest import login, user_id

VALUES = {"customer_name": "Sam Carter", "order_number": "B2001", "staff_name": "Stella"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Hi {customer_name}, order {order_number}. {staff_name}", "Hi Sam Carter, order B2001. Stella"),
        ("Ref {ticket_reference}", "Ref {ticket_reference}"),  # a value the ticket lacks stays visible
        ("{unknown} {0} {customer_name.__class__} {}", "{unknown} {0} {customer_name.__class__} {}"),
        ("{{customer_name}}", "{Sam Carter}"),
        ("No placeholders at all: 100% {", "No placeholders at all: 100% {"),
    ],
)
def test_render_fills_known_names_only(body, expected):
    assert canned.render(body, VALUES) == expected


def test_unknown_placeholders_are_refused_with_the_known_ones_listed():
    canned.check_body("Dear {customer_first_name}, about {order_number}")
    with pytest.raises(canned.CannedError) as refused:
        canned.check_body("Dear {custmer_name}, {__class__} and {customer_name}")
    message = str(refused.value)
    assert message.startswith("Unknown placeholder {__class__}, {custmer_name}.")
    assert "{customer_name}" in message.split("Use one of:")[1]


def test_staff_create_edit_and_delete_their_own_and_see_shared_ones(demo, client):
    with demo.app_context():
        db.session.add(CannedReply(title="Shared hello", body="Hello {customer_first_name}"))
        db.session.add(
            CannedReply(title="Admin's own", body="Private", owner_id=user_id("admin@example.com"))
        )
        db.session.commit()
    login(client, "staff@example.com")
    made = client.post("/desk/canned", data={"title": "Thanks", "body": "Thanks {customer_name}"})
    assert made.status_code == 302
    refused = client.post("/desk/canned", data={"title": "Typo", "body": "Hi {custmer_name}"})
    assert refused.status_code == 400 and "Unknown placeholder {custmer_name}" in refused.get_data(
        as_text=True
    )
    page = client.get("/desk/canned").get_data(as_text=True)
    assert "Thanks" in page and "Shared hello" in page and "Admin&#39;s own" not in page
    with demo.app_context():
        mine = db.session.scalar(select(CannedReply).where(CannedReply.title == "Thanks"))
        shared = db.session.scalar(select(CannedReply).where(CannedReply.title == "Shared hello"))
        assert mine.owner_id == user_id("staff@example.com") and not mine.shared
    assert client.get(f"/desk/canned/{shared.id}/edit").status_code == 404  # shared: the admin page
    assert (
        client.post(f"/desk/canned/{mine.id}/edit", data={"title": "Thanks!", "body": "Ta"}).status_code
        == 302
    )
    assert client.post(f"/desk/canned/{mine.id}/delete").status_code == 302
    with demo.app_context():
        assert db.session.get(CannedReply, mine.id) is None
        assert db.session.get(CannedReply, shared.id) is not None


def test_admins_manage_the_shared_ones(demo, client):
    login(client, "admin@example.com")
    assert (
        client.post("/admin/canned", data={"title": "Delay", "body": "Sorry, {customer_name}"}).status_code
        == 302
    )
    with demo.app_context():
        reply = db.session.scalar(select(CannedReply).where(CannedReply.title == "Delay"))
        assert reply.owner_id is None
    assert "Delay" in client.get("/admin/canned").get_data(as_text=True)
    bad = client.post(f"/admin/canned/{reply.id}/edit", data={"title": "Delay", "body": "{x}"})
    assert bad.status_code == 400 and "Unknown placeholder {x}" in bad.get_data(as_text=True)
    assert client.post(f"/admin/canned/{reply.id}/delete").status_code == 302
    with demo.app_context():
        assert db.session.get(CannedReply, reply.id) is None


def test_the_picker_lists_own_and_shared_filled_in_for_the_ticket(demo, client, make_ticket):
    ref = make_ticket(email="second@example.com", order="B2001", status="escalated")
    with demo.app_context():
        staff_id = user_id("staff@example.com")
        db.session.add_all(
            [
                CannedReply(
                    title="Delivery",
                    body="Hi {customer_first_name}, {order_number} ({ticket_reference}) — {staff_name}",
                    owner_id=staff_id,
                ),
                CannedReply(
                    title="Shared refund", body="Your refund for {order_number} <b>is</b> on its way."
                ),
                CannedReply(title="Someone else's", body="x", owner_id=user_id("admin@example.com")),
            ]
        )
        db.session.commit()
    login(client, "staff@example.com")
    data = client.get(f"/desk/tickets/{ref}/canned").get_json()
    titles = [r["title"] for r in data["replies"]]
    assert titles == ["Delivery", "Shared refund"]  # own first, then shared; never another's
    assert data["replies"][0]["text"] == f"Hi Sam, B2001 ({ref}) — Stella Staff"
    assert (
        data["replies"][1]["text"] == "Your refund for B2001 <b>is</b> on its way."
    )  # text: the JS inserts it as text
    assert [r["title"] for r in client.get(f"/desk/tickets/{ref}/canned?q=REFUND").get_json()["replies"]] == [
        "Shared refund"
    ]
    assert client.get(f"/desk/tickets/{ref}/canned?q=100%25").get_json() == {"replies": []}
    page = client.get(f"/desk/tickets/{ref}").get_data(as_text=True)
    assert 'id="canned-picker"' in page and '<script src="/static/canned-picker.js">' in page

    # Inserted, edited and sent through the normal reply path: the customer gets the filled-in text.
    client.post(f"/desk/tickets/{ref}/reply", data={"body": data["replies"][0]["text"] + " Thanks."})
    with demo.app_context():
        last = db.session.scalars(select(Message).order_by(Message.id.desc())).first()
        assert (last.author_kind, last.body) == ("staff", f"Hi Sam, B2001 ({ref}) — Stella Staff Thanks.")
