"""The customer's data export and account closing (anonymisation), on SQLite and Postgres."""

from __future__ import annotations

import json

from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    ActionLog,
    AddressChange,
    Cancellation,
    EmailOutbox,
    LedgerEntry,
    Message,
    Order,
    Refund,
    Ticket,
    User,
)
from portal.services import privacy
from portal.services.audit import Actor
from portal.services.transaction import customer_transaction

ADDRESS = "8 Harbour Road, Bristol"
SECRET_NOTE = "staff-only: customer sounded upset"


def rich_customer(shop) -> dict:
    """A customer with an address change, a refund, a cancellation and a conversation with a note."""
    customer = shop.customer("Ada")
    pending = shop.order(customer, status="pending", items=[("Mug", 2, "5.00"), ("Teapot", 1, "32.00")])
    delivered = shop.order(customer, total="42.00")
    to_cancel = shop.order(customer, status="pending", total="19.00")
    ticket = shop.ticket(customer, subject="My parcel")
    assert (
        shop.run("change_address", ticket, customer, order_number=pending, address=ADDRESS).outcome == "done"
    )
    assert (
        shop.run("refund", ticket, customer, order_number=delivered, reason="arrived broken").outcome
        == "done"
    )
    assert shop.run("cancel", ticket, customer, order_number=to_cancel).outcome == "done"
    db.session.add_all(
        [
            Message(
                ticket_id=ticket, author_kind="customer", author_id=customer, body="Ada here, call 0117 496"
            ),
            Message(ticket_id=ticket, author_kind="agent", body="Your refund is issued."),
            Message(ticket_id=ticket, author_kind="staff", body=SECRET_NOTE, internal=True),
        ]
    )
    db.session.commit()
    return {
        "id": customer,
        "pending": pending,
        "delivered": delivered,
        "cancelled": to_cancel,
        "ticket": ticket,
    }


def test_export_holds_everything_about_the_customer_and_nothing_else(shop):
    data = rich_customer(shop)
    other = shop.customer("Bob")
    shop.order(other, number="OTHER1")
    user = db.session.get(User, data["id"])
    export = privacy.export_customer_data(user)

    json.dumps(export)  # machine-readable as it is
    assert export["format"] == privacy.EXPORT_FORMAT
    profile = export["profile"]
    assert (profile["name"], profile["email"], profile["role"]) == ("Ada", user.email, "customer")
    assert profile["created_at"] and profile["preferences"] == {"email_updates": True}
    orders = {o["number"]: o for o in export["orders"]}
    assert set(orders) == {data["pending"], data["delivered"], data["cancelled"]}  # not OTHER1
    pending = orders[data["pending"]]
    assert pending["delivery_address"] == ADDRESS
    assert pending["address_changes"][0]["new_address"] == ADDRESS
    assert {(i["name"], i["quantity"], i["unit_price"]) for i in pending["items"]} == {
        ("Mug", 2, "5.00"),
        ("Teapot", 1, "32.00"),
    }
    [refund] = export["refunds"]
    assert (refund["order_number"], refund["amount"], refund["status"]) == (
        data["delivered"],
        "42.00",
        "issued",
    )
    [cancellation] = export["cancellations"]
    assert (cancellation["order_number"], cancellation["amount"]) == (data["cancelled"], "19.00")
    assert export["replacements"] == []
    [ticket] = export["tickets"]
    bodies = [m["body"] for m in ticket["messages"]]
    assert "Ada here, call 0117 496" in bodies and "Your refund is issued." in bodies
    assert SECRET_NOTE not in json.dumps(export)  # internal notes are not the customer's to read
    actions = {entry["action"] for entry in export["action_log"]}
    assert {"change_address", "refund", "cancel"} <= actions


def close(user_id: int, actor: Actor) -> None:
    with customer_transaction(user_id):
        privacy.close_account(db.session.get(User, user_id), actor)


def test_closing_anonymises_personal_data_and_keeps_the_accounting_rows(shop):
    data = rich_customer(shop)
    customer = data["id"]
    email = db.session.get(User, customer).email
    session_id = db.session.get(User, customer).get_id()
    db.session.add_all(
        [
            EmailOutbox(dedupe_key="sent", event="agent_answered", to_address=email, user_id=customer,
                        subject="Hi Ada", text_body="Hello Ada", status="sent"),
            EmailOutbox(dedupe_key="queued", event="resolved", to_address=email, user_id=customer,
                        subject="Hi Ada", text_body="Bye Ada"),
        ]
    )  # fmt: skip
    db.session.commit()
    log_rows_before = db.session.query(ActionLog).filter_by(customer_id=customer).count()
    staff = shop.staff("Sam")

    close(customer, Actor.staff(staff, "Sam"))
    db.session.expire_all()

    user = db.session.get(User, customer)
    assert (user.name, user.email, user.active) == ("Closed account", f"closed-{customer}@invalid", False)
    assert user.closed_at is not None and user.get_id() != session_id  # every session ended
    assert not user.check_password("x") and not user.check_password("")
    assert db.session.scalar(select(User).where(User.email == email)) is None
    assert db.session.get(Order, 1) is not None
    orders = db.session.scalars(select(Order).where(Order.customer_id == customer)).all()
    assert len(orders) == 3 and {o.delivery_address for o in orders} <= {None, "[removed]"}
    change = db.session.scalars(select(AddressChange)).one()
    assert (change.old_address, change.new_address) == ("[removed]", "[removed]")
    ticket = db.session.get(Ticket, data["ticket"])
    assert (ticket.subject, ticket.body) == ("[removed]", "[removed]")
    by_kind = {
        m.author_kind: m.body
        for m in db.session.scalars(select(Message).where(Message.ticket_id == ticket.id))
    }
    assert by_kind["customer"] == "[removed]" and by_kind["agent"] == "Your refund is issued."
    # Accounting and audit stay: money moved must remain explainable.
    assert db.session.scalars(select(Refund)).one().amount == 42
    assert db.session.scalars(select(Cancellation)).one().customer_id == customer
    assert db.session.query(LedgerEntry).filter_by(customer_id=customer).count() == 2
    log = db.session.scalars(
        select(ActionLog).where(ActionLog.customer_id == customer).order_by(ActionLog.id)
    ).all()
    assert len(log) == log_rows_before + 1
    closing = log[-1]
    assert (closing.tool, closing.actor_kind, closing.actor_id, closing.actor_name) == (
        "account.close",
        "staff",
        staff,
        "Sam",
    )
    assert "Ada" not in (closing.detail or "") and email not in (closing.detail or "")
    [mail] = db.session.scalars(select(EmailOutbox).where(EmailOutbox.user_id == customer)).all()
    # The sent one stays as a record, without its content; the queued one is never sent.
    assert (mail.dedupe_key, mail.to_address, mail.subject, mail.text_body) == (
        "sent",
        f"closed-{customer}@invalid",
        "[removed]",
        "[removed]",
    )


def test_closing_twice_or_a_staff_account_is_refused(shop):
    customer = shop.customer()
    close(customer, Actor.customer(customer))
    for user_id in (customer, shop.staff()):
        try:
            close(user_id, Actor.customer(user_id))
        except privacy.PrivacyError:
            pass
        else:
            raise AssertionError(f"user {user_id} was closed again")
    assert db.session.query(ActionLog).filter_by(tool="account.close").count() == 1


def test_the_export_of_a_closed_account_holds_no_personal_data_outside_the_action_log(shop):
    data = rich_customer(shop)
    close(data["id"], Actor.customer(data["id"]))
    export = privacy.export_customer_data(db.session.get(User, data["id"]))
    log = export.pop("action_log")
    text = json.dumps(export)
    assert "Ada" not in text and ADDRESS not in text and "@example.com" not in text
    # The action log is append-only (the audit record of what the tools did): an address given to the
    # change_address tool stays in its row. policies/privacy.md says so.
    assert any(ADDRESS in (entry["detail"] or "") for entry in log)
