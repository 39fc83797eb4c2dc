"""Export my data and close my account: the settings page, the staff desk and the admin users page."""

from __future__ import annotations

import json

from sqlalchemy import select

from portal.extensions import db
from portal.models import ActionLog, Order, User
from tests.portal.conftest import PASSWORDS, login, user_id

CASEY = "customer@example.com"
SAM = "second@example.com"
CLOSE = {"close_password": PASSWORDS[CASEY], "close_confirm": "y"}


def account(app, uid: int) -> User:
    with app.app_context():
        row = db.session.get(User, uid)
        db.session.expunge(row)
        return row


def ids(app, *emails) -> list[int]:
    with app.app_context():
        return [user_id(email) for email in emails]


def log_rows(app, tool: str) -> list[ActionLog]:
    with app.app_context():
        rows = db.session.scalars(
            select(ActionLog).where(ActionLog.tool == tool).order_by(ActionLog.id)
        ).all()
        db.session.expunge_all()
        return rows


# --- export -------------------------------------------------------------------------------------------------


def test_settings_page_offers_export_and_close(customer):
    page = customer.get("/settings/").get_data(as_text=True)
    assert 'action="/settings/export"' in page and "Download my data (JSON)" in page
    assert 'action="/settings/close"' in page and "Close my account" in page


def test_export_downloads_the_customers_own_data_as_json(customer, demo, make_ticket):
    make_ticket(subject="Lamp flickers", body="The desk lamp flickers.", order="A1004")
    response = customer.post("/settings/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="supportops-data-')
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    assert data["profile"]["email"] == CASEY and data["profile"]["name"] == "Casey Customer"
    assert {o["number"] for o in data["orders"]} == {f"A100{i}" for i in range(1, 8)}  # none of Sam's
    assert [t["subject"] for t in data["tickets"]] == ["Lamp flickers"]
    assert data["tickets"][0]["messages"][0]["body"] == "The desk lamp flickers."
    [logged] = log_rows(demo, "privacy.export")
    assert (logged.actor_kind, logged.customer_id) == ("customer", ids(demo, CASEY)[0])


def test_export_needs_a_csrf_token(customer, demo):
    demo.config["WTF_CSRF_ENABLED"] = True
    try:
        assert customer.post("/settings/export").status_code == 400
        assert customer.post("/settings/close", data=CLOSE).status_code == 400
    finally:
        demo.config["WTF_CSRF_ENABLED"] = False
    assert account(demo, ids(demo, CASEY)[0]).closed_at is None


# --- closing one's own account ------------------------------------------------------------------------------


def test_wrong_password_or_no_confirmation_is_refused(customer, demo):
    wrong = customer.post("/settings/close", data={**CLOSE, "close_password": "not-my-password"})
    assert wrong.status_code == 400 and "This is not your current password." in wrong.get_data(as_text=True)
    unticked = customer.post("/settings/close", data={"close_password": PASSWORDS[CASEY]})
    assert unticked.status_code == 400 and "Tick the box to confirm" in unticked.get_data(as_text=True)
    casey = account(demo, ids(demo, CASEY)[0])
    assert casey.closed_at is None and casey.email == CASEY
    assert customer.get("/").status_code == 200  # still signed in


def test_closing_logs_out_everywhere_and_the_old_login_fails(customer, demo):
    other_device = demo.test_client()
    login(other_device, CASEY)
    response = customer.post("/settings/close", data=CLOSE)
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert customer.get("/").headers["Location"].startswith("/auth/login")
    assert other_device.get("/").headers["Location"].startswith("/auth/login")  # a new session token

    refused = demo.test_client().post("/auth/login", data={"email": CASEY, "password": PASSWORDS[CASEY]})
    assert refused.status_code == 401 and "Wrong email or password." in refused.get_data(as_text=True)
    casey_id = log_rows(demo, "account.close")[0].customer_id
    casey = account(demo, casey_id)
    assert (casey.name, casey.email, casey.active) == ("Closed account", f"closed-{casey_id}@invalid", False)
    [logged] = log_rows(demo, "account.close")
    assert (logged.actor_kind, logged.actor_id, logged.detail) == ("customer", casey_id, "by the customer")
    with demo.app_context():  # the orders stay for accounting
        assert db.session.scalar(select(Order.customer_id).where(Order.number == "A1003")) == casey_id
    # The address is free again: a new sign-up with it is a new, separate account.
    signup = demo.test_client().post(
        "/auth/signup",
        data={
            "name": "Casey Again",
            "email": CASEY,
            "password": "another-password",
            "confirm": "another-password",
        },
    )
    assert signup.status_code == 302


def test_staff_cannot_close_their_own_account_on_the_settings_page(staff, demo):
    data = {"close_password": PASSWORDS["staff@example.com"], "close_confirm": "y"}
    assert staff.post("/settings/close", data=data).status_code == 404
    assert "Close my account" not in staff.get("/settings/").get_data(as_text=True)
    assert account(demo, ids(demo, "staff@example.com")[0]).closed_at is None


# --- on a customer's request: desk and admin ----------------------------------------------------------------


def test_customers_cannot_export_or_close_another_account(customer, demo):
    [sam] = ids(demo, SAM)
    assert customer.post(f"/desk/customers/{sam}/export").status_code == 404
    assert customer.post(f"/desk/customers/{sam}/close", data={"close_confirm": "y"}).status_code == 404
    assert account(demo, sam).closed_at is None and log_rows(demo, "privacy.export") == []


def test_staff_export_and_close_a_customer_and_are_the_logged_actor(staff, demo, make_ticket):
    reference = make_ticket(email=SAM, subject="Please delete me", body="Close my account please.")
    [sam, staff_id] = ids(demo, SAM, "staff@example.com")
    page = staff.get(f"/desk/tickets/{reference}").get_data(as_text=True)
    assert f'action="/desk/customers/{sam}/export"' in page and 'id="email-verified"' in page

    export = staff.post(f"/desk/customers/{sam}/export")
    assert export.status_code == 200 and json.loads(export.data)["profile"]["email"] == SAM

    back = f"/desk/tickets/{reference}"
    unconfirmed = staff.post(f"/desk/customers/{sam}/close", data={"next": back}, follow_redirects=True)
    assert "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    assert account(demo, sam).closed_at is None

    closed = staff.post(f"/desk/customers/{sam}/close", data={"close_confirm": "y", "next": back})
    assert closed.status_code == 302 and closed.headers["Location"] == back
    assert account(demo, sam).email == f"closed-{sam}@invalid"
    [exported] = log_rows(demo, "privacy.export")
    [logged] = log_rows(demo, "account.close")
    for row in (exported, logged):
        assert (row.actor_kind, row.actor_id, row.actor_name, row.customer_id) == (
            "staff",
            staff_id,
            "Stella Staff",
            sam,
        )
    assert "Stella Staff" in logged.detail
    again = staff.post(f"/desk/customers/{sam}/close", data={"close_confirm": "y"}, follow_redirects=True)
    assert "already closed" in again.get_data(as_text=True)


def test_staff_accounts_cannot_be_closed_from_the_desk(staff, demo):
    [admin_id] = ids(demo, "admin@example.com")
    assert staff.post(f"/desk/customers/{admin_id}/close", data={"close_confirm": "y"}).status_code == 404
    assert account(demo, admin_id).closed_at is None


def test_admin_users_page_has_export_and_close_for_customers(admin, demo):
    [sam, staff_id] = ids(demo, SAM, "staff@example.com")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert f"/desk/customers/{sam}/export" in page and f"/desk/customers/{sam}/close" in page
    assert f"/desk/customers/{staff_id}/close" not in page
    response = admin.post(f"/desk/customers/{sam}/close", data={"close_confirm": "y", "next": "/admin/users"})
    assert response.headers["Location"] == "/admin/users"
    page = admin.get("/admin/users").get_data(as_text=True)
    assert f"closed-{sam}@invalid" in page and f"/desk/customers/{sam}/close" not in page
    reactivate = admin.post(f"/admin/users/{sam}/activate", follow_redirects=True)
    assert "A closed account stays closed." in reactivate.get_data(as_text=True)
    assert account(demo, sam).active is False


def test_desk_close_needs_a_csrf_token(staff, demo):
    [sam] = ids(demo, SAM)
    demo.config["WTF_CSRF_ENABLED"] = True
    try:
        response = staff.post(
            f"/desk/customers/{sam}/close", data={"close_confirm": "y"}, follow_redirects=True
        )
        assert "CSRF token is missing" in response.get_data(as_text=True)
        assert staff.post(f"/desk/customers/{sam}/export").status_code == 400
    finally:
        demo.config["WTF_CSRF_ENABLED"] = False
    assert account(demo, sam).closed_at is None
