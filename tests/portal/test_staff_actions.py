"""Staff actions from the desk ticket page: the agent's tools and rules, the staff member as actor, the
customer told on the ticket and by email; admin overrides; rejections the customer can read."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    ActionLog,
    AddressChange,
    Cancellation,
    EmailOutbox,
    Message,
    Order,
    OrderItem,
    Refund,
    Replacement,
    Ticket,
    utcnow,
)
from tests.portal.conftest import login, user_id

KEY = "k" * 22


def act(client, ref, tool, key=KEY, **fields):
    data = {f"{tool}-{name}": value for name, value in fields.items()}
    data[f"{tool}-request_key"] = key
    return client.post(f"/desk/tickets/{ref}/act/{tool}", data=data)


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def mails(app, event) -> list[EmailOutbox]:
    with app.app_context():
        rows = db.session.scalars(select(EmailOutbox).where(EmailOutbox.event == event)).all()
        db.session.expunge_all()
        return rows


def staff_log(app, tool):
    with app.app_context():
        row = db.session.scalars(
            select(ActionLog).where(ActionLog.tool == tool, ActionLog.actor_kind == "staff")
        ).one()
        db.session.expunge(row)
        return row


def thread(app, ref) -> list[Message]:
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == ref))
        rows = db.session.scalars(
            select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
        ).all()
        db.session.expunge_all()
        return rows


def two_item_order(app, number="A1099") -> str:
    """A delivered order of Casey's with two lines, for a partial refund."""
    with app.app_context():
        now = utcnow()
        order = Order(
            number=number,
            customer_id=user_id("customer@example.com"),
            status="delivered",
            total=Decimal("60.00"),
            payment_method="card",
            placed_at=now - timedelta(days=6),
            shipped_at=now - timedelta(days=5),
            delivered_at=now - timedelta(days=3),
            items=[
                OrderItem(sku="MUG", name="Mug", quantity=1, unit_price=Decimal("20.00")),
                OrderItem(sku="POT", name="Teapot", quantity=1, unit_price=Decimal("40.00")),
            ],
        )
        db.session.add(order)
        db.session.commit()
        return number


def item_id(app, number, name) -> int:
    with app.app_context():
        return db.session.scalar(
            select(OrderItem.id).join(Order).where(Order.number == number, OrderItem.name == name)
        )


def test_the_page_offers_each_action_and_the_override_only_to_admins(client, make_ticket):
    ref = make_ticket(order="A1003")
    login(client, "staff@example.com")
    page = client.get(f"/desk/tickets/{ref}").get_data(as_text=True)
    for tool in ("refund", "replacement", "cancel", "change_address"):
        assert f'action="/desk/tickets/{ref}/act/{tool}"' in page
    assert "B2001" not in page  # only the ticket customer's orders are offered
    assert "Override a limit" not in page
    client.post("/auth/logout")
    login(client, "admin@example.com")
    assert "Override a limit" in client.get(f"/desk/tickets/{ref}").get_data(as_text=True)


def test_staff_refund_a_whole_order_through_the_tools(staff, make_ticket, demo):
    ref = make_ticket(order="A1003")
    response = act(staff, ref, "refund", order="A1003", reason="arrived broken")
    assert response.status_code == 302
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Refund done for A1003; the customer was told." in page
    with demo.app_context():
        refund = db.session.scalars(select(Refund).where(Refund.ticket_id.is_not(None))).one()
        assert (refund.status, refund.amount) == ("issued", Decimal("42.00"))
    row = staff_log(demo, "refund")
    assert (row.actor_name, row.decision, row.order_number) == ("Stella Staff", "done", "A1003")
    [message] = [m for m in thread(demo, ref) if m.author_kind == "staff"]
    assert message.outcome["outcome"] == "done" and "42.00" in message.body and not message.internal
    [mail] = mails(demo, "action_done")
    assert mail.to_address == "customer@example.com" and "A1003" in mail.text_body
    assert make_ticket.get(ref).human_involved


def test_staff_refund_chosen_items_only(staff, make_ticket, demo):
    number = two_item_order(demo)
    ref = make_ticket(order=number)
    act(staff, ref, "refund", order=number, lines=str(item_id(demo, number, "Mug")))
    with demo.app_context():
        refund = db.session.scalars(select(Refund).where(Refund.ticket_id.is_not(None))).one()
        assert (refund.amount, refund.items, refund.status) == (Decimal("20.00"), ["Mug"], "issued")


def test_items_of_another_order_are_refused(staff, make_ticket, demo):
    number = two_item_order(demo)
    ref = make_ticket(order=number)
    response = act(staff, ref, "refund", order="A1003", lines=str(item_id(demo, number, "Mug")))
    assert response.status_code == 400
    assert "Tick only items of order A1003." in response.get_data(as_text=True)
    assert count(demo, Refund, Refund.ticket_id.is_not(None)) == 0


def test_staff_send_a_replacement(staff, make_ticket, demo):
    ref = make_ticket(order="A1003")
    act(staff, ref, "replacement", order="A1003", problem="defective", description="no sound")
    with demo.app_context():
        replacement = db.session.scalars(select(Replacement)).one()
        assert replacement.reason == "defective" and replacement.shipment_reference.startswith("RP-")
    assert staff_log(demo, "replacement").actor_name == "Stella Staff"
    [mail] = mails(demo, "action_done")
    assert replacement.shipment_reference in mail.text_body


def test_staff_cancel_a_pending_order(staff, make_ticket, demo):
    ref = make_ticket(order="A1001")
    act(staff, ref, "cancel", order="A1001")
    with demo.app_context():
        assert db.session.scalar(select(Order.status).where(Order.number == "A1001")) == "cancelled"
        assert db.session.scalars(select(Cancellation)).one().amount == Decimal("189.00")
    assert len(mails(demo, "action_done")) == 1


def test_staff_change_a_delivery_address(staff, make_ticket, demo):
    ref = make_ticket(order="A1001")
    act(staff, ref, "change_address", order="A1001", address="12 Rue de la Paix, 75002 Paris")
    with demo.app_context():
        assert db.session.scalars(select(AddressChange)).one().new_address.startswith("12 Rue de la Paix")
    assert len(mails(demo, "address_changed")) == 1
    assert staff_log(demo, "change_address").actor_name == "Stella Staff"


def test_a_refusal_is_worded_for_staff_and_changes_nothing(staff, make_ticket, demo):
    ref = make_ticket(order="A1004")  # delivered 40 days ago
    response = act(staff, ref, "refund", order="A1004")
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Refund not done: A1004 is outside the 30-day refund window." in page
    assert "I can&#39;t refund" not in page.split('id="thread"')[0]  # not the customer's sentence
    assert count(demo, Refund, Refund.ticket_id.is_not(None)) == 0
    assert mails(demo, "action_done") == [] and make_ticket.get(ref).status == "answered"


def test_double_submit_makes_one_effect(staff, make_ticket, demo):
    ref = make_ticket(order="A1003")
    first = act(staff, ref, "refund", order="A1003")
    again = act(staff, ref, "refund", order="A1003")
    assert "Already done" in staff.get(again.headers["Location"]).get_data(as_text=True)
    assert first.status_code == again.status_code == 302
    assert count(demo, Refund, Refund.ticket_id.is_not(None)) == 1
    assert len(mails(demo, "action_done")) == 1
    assert len([m for m in thread(demo, ref) if m.author_kind == "staff"]) == 1


def test_an_order_of_another_customer_cannot_be_acted_on(staff, make_ticket, demo):
    ref = make_ticket(order="A1003")
    response = act(staff, ref, "refund", order="B2001")
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    assert count(demo, Refund, Refund.ticket_id.is_not(None)) == 0


def test_staff_may_not_override_a_limit(staff, make_ticket, demo):
    ref = make_ticket(order="A1004")
    response = act(
        staff, ref, "refund", order="A1004", override="window", override_reason="Good customer, VIP."
    )
    assert response.status_code == 400
    assert "Only an admin can override a policy limit." in response.get_data(as_text=True)
    assert count(demo, Refund, Refund.ticket_id.is_not(None)) == 0
    assert count(demo, ActionLog, ActionLog.tool == "refund") == 0


def test_an_override_needs_a_written_reason(admin, make_ticket, demo):
    ref = make_ticket(order="A1004")
    response = act(admin, ref, "refund", order="A1004", override="window", override_reason=" ")
    assert response.status_code == 400 and "Write why you override the limit" in response.get_data(
        as_text=True
    )
    assert count(demo, Refund, Refund.ticket_id.is_not(None)) == 0


def test_an_admin_overrides_the_window_with_a_reason_logged_and_shown(admin, make_ticket, demo):
    ref = make_ticket(order="A1004")
    reason = "Courier lost the first parcel for weeks."
    act(admin, ref, "refund", order="A1004", override="window", override_reason=reason)
    with demo.app_context():
        refund = db.session.scalars(select(Refund).where(Refund.ticket_id.is_not(None))).one()
        assert (refund.status, refund.amount) == ("issued", Decimal("44.00"))
    row = staff_log(demo, "refund")
    assert (row.actor_name, row.reason_code) == ("Adam Admin", "admin_override")
    assert row.arguments["override"] == ["window"] and reason in row.detail
    notes = [m for m in thread(demo, ref) if m.internal]
    assert len(notes) == 1 and reason in notes[0].body and "Adam Admin" in notes[0].body
    page = admin.get(f"/desk/tickets/{ref}").get_data(as_text=True)
    assert reason in page


def test_an_admin_overrides_the_refund_limit_and_the_threshold(admin, make_ticket, demo):
    ref = make_ticket(order="A1007")
    with demo.app_context():  # Casey's second refund in 30 days: the limit is now full
        db.session.add(
            Refund(
                idempotency_key="test:limit",
                order_id=db.session.scalar(select(Order.id).where(Order.number == "A1003")),
                customer_id=user_id("customer@example.com"),
                amount=Decimal("42.00"),
                currency="USD",
                method="paypal",
                status="issued",
                issued_at=utcnow(),
            )
        )
        db.session.commit()
    refused = act(admin, ref, "refund", order="A1007", key="a" * 22)
    assert "refund limit" in admin.get(refused.headers["Location"]).get_data(as_text=True)
    act(
        admin,
        ref,
        "refund",
        order="A1007",
        key="b" * 22,
        override=["refund_limit", "approval_threshold"],
        override_reason="Agreed with the customer on the phone.",
    )
    with demo.app_context():
        refund = db.session.scalars(select(Refund).where(Refund.ticket_id.is_not(None))).one()
        assert (refund.status, refund.amount) == ("issued", Decimal("899.00"))


def test_a_staff_refund_above_the_threshold_is_held(staff, make_ticket, demo):
    ref = make_ticket(order="A1007")
    response = act(staff, ref, "refund", order="A1007")
    assert "waits for approval" in staff.get(response.headers["Location"]).get_data(as_text=True)
    with demo.app_context():
        assert db.session.scalars(select(Refund.status).where(Refund.ticket_id.is_not(None))).one() == "held"
    assert len(mails(demo, "action_held")) == 1 and mails(demo, "action_done") == []


def test_a_failed_approval_is_explained_to_staff_not_with_the_customer_sentence(staff, make_ticket, demo):
    ref = make_ticket(order="A1007", status="escalated")
    refund_id = make_ticket.held_refund(ref)
    with demo.app_context():  # two refunds with places before the hold: the limit was full when it was held
        customer = user_id("customer@example.com")
        held = db.session.get(Refund, refund_id)
        held.created_at = utcnow() - timedelta(minutes=1)
        order_id = db.session.scalar(select(Order.id).where(Order.number == "A1003"))
        earlier = utcnow() - timedelta(minutes=5)
        db.session.add(
            Refund(
                idempotency_key="test:earlier",
                order_id=order_id,
                customer_id=customer,
                amount=Decimal("5.00"),
                currency="USD",
                method="paypal",
                status="issued",
                created_at=earlier,
                issued_at=earlier,
            )
        )
        db.session.commit()
    response = staff.post(f"/desk/tickets/{ref}/refunds/{refund_id}", data={"approve": "Approve"})
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    flash = page[page.index("Not approved:") :].split("<", 1)[0]
    assert flash.startswith(
        "Not approved: When it was held, the customer had already reached the refund limit"
    )
    assert "You&#39;ve" not in flash and "I can" not in flash
    with demo.app_context():
        assert db.session.get(Refund, refund_id).status == "held"


def test_a_rejection_tells_the_customer_the_reason_in_plain_words(staff, make_ticket, demo):
    ref = make_ticket(order="A1007", status="escalated")
    refund_id = make_ticket.held_refund(ref)
    path = f"/desk/tickets/{ref}/refunds/{refund_id}"
    missing = staff.post(path, data={"reject": "Reject", "note": "internal"})
    assert "Choose the reason the customer reads." in staff.get(missing.headers["Location"]).get_data(
        as_text=True
    )
    staff.post(
        path,
        data={
            "reject": "Reject",
            "reason": "item_not_returned",
            "customer_note": "Send it back with the label we emailed.",
            "note": "Warehouse checked twice, nothing arrived.",
        },
    )
    staff.post("/auth/logout")
    login(staff, "customer@example.com")
    page = staff.get(f"/tickets/{ref}").get_data(as_text=True)
    assert "We have not received the item back yet." in page
    assert "Send it back with the label we emailed." in page
    assert "Warehouse checked" not in page
    with demo.app_context():
        refund = db.session.get(Refund, refund_id)
        assert (refund.status, refund.decision_reason) == ("rejected", "item_not_returned")


@pytest.mark.parametrize("tool", ["refund", "replacement", "cancel", "change_address"])
def test_customers_cannot_reach_staff_actions(customer, make_ticket, tool):
    ref = make_ticket(order="A1001")
    assert act(customer, ref, tool, order="A1001").status_code == 404


def test_a_held_staff_refund_needs_a_second_person_to_approve_it(staff, make_ticket, demo):
    ref = make_ticket(order="A1007", status="escalated")
    act(staff, ref, "refund", order="A1007")  # 899.00: above the threshold, so held
    with demo.app_context():
        refund = db.session.scalars(select(Refund).where(Refund.ticket_id.is_not(None))).one()
        refund_id = refund.id
        assert refund.requested_by_id == user_id("staff@example.com")
    page = staff.get(f"/desk/tickets/{ref}").get_data(as_text=True)
    assert "another staff member must approve it" in page and 'name="approve"' not in page
    response = staff.post(f"/desk/tickets/{ref}/refunds/{refund_id}", data={"approve": "Approve"})
    flash = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not approved: You asked for this refund, so another staff member must approve it" in flash
    with demo.app_context():
        assert db.session.get(Refund, refund_id).status == "held"
        denial = db.session.scalars(
            select(ActionLog).where(ActionLog.reason_code == "own_request", ActionLog.actor_kind == "staff")
        ).one()
        assert denial.decision == "denied"
    staff.post("/auth/logout")
    login(staff, "admin@example.com")
    assert 'name="approve"' in staff.get(f"/desk/tickets/{ref}").get_data(as_text=True)
    staff.post(f"/desk/tickets/{ref}/refunds/{refund_id}", data={"approve": "Approve"})
    with demo.app_context():
        refund = db.session.get(Refund, refund_id)
        assert (refund.status, refund.decided_by_id) == ("issued", user_id("admin@example.com"))
    assert len(mails(demo, "action_done")) == 1
