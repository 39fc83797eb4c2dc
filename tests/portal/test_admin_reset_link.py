"""Admins send a customer a password-reset link from the admin users page: the same email as
"Forgot password?", an action-log row naming the admin, and only admins may do it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.jobs.queue import SEND_EMAIL
from portal.models import ActionLog, User
from tests.portal.conftest import PASSWORDS, login, user_id
from tests.portal.test_account import link_path, outbox

CASEY = "customer@example.com"
NEW_PASSWORD = "set-by-the-customer"


def reset_path(app, email: str = CASEY) -> str:
    with app.app_context():
        return f"/admin/users/{user_id(email)}/send-reset"


def test_users_page_offers_the_button_for_customers(admin, demo):
    page = admin.get("/admin/users").get_data(as_text=True)
    assert f'action="{reset_path(demo)}"' in page
    assert f'action="{reset_path(demo, "staff@example.com")}"' not in page  # staff: not a customer


def test_admin_sends_a_working_reset_link_and_it_is_logged(admin, demo):
    response = admin.post(reset_path(demo), follow_redirects=True)
    assert response.status_code == 200
    assert f"A password-reset link is on its way to {CASEY}" in response.get_data(as_text=True)

    [row] = outbox(demo, "password_reset")
    assert row.to_address == CASEY and row.subject == "Reset your SupportOps password"
    assert (SEND_EMAIL, (row.id,)) in demo.extensions["manual_queue"].jobs  # enqueued after commit
    with demo.app_context():
        entry = db.session.scalar(select(ActionLog).where(ActionLog.tool == "admin.password_reset_sent"))
        assert entry.actor_name == "Adam Admin" and entry.actor_id == user_id("admin@example.com")
        assert entry.customer_id == user_id(CASEY) and "Adam Admin" in entry.detail

    path = link_path(row)
    customer = demo.test_client()
    assert b"Choose a new password" in customer.get(path).data
    done = customer.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/auth/login"
    assert customer.post("/auth/login", data={"email": CASEY, "password": NEW_PASSWORD}).status_code == 302
    assert customer.get(path).status_code == 400  # single use, like every reset link


@pytest.mark.parametrize("email", ["staff@example.com", "customer@example.com", "second@example.com"])
def test_staff_and_customers_cannot_send_one(client, demo, email):
    login(client, email)
    assert client.post(reset_path(demo)).status_code == 404
    assert outbox(demo, "password_reset") == []
    with demo.app_context():
        logged = select(ActionLog).where(ActionLog.tool == "admin.password_reset_sent")
        assert db.session.scalar(logged) is None


def test_anonymous_is_sent_to_log_in(client, demo):
    response = client.post(reset_path(demo))
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert outbox(demo, "password_reset") == []


def test_no_link_for_staff_accounts_unknown_or_deactivated_users(admin, demo):
    assert admin.post(reset_path(demo, "staff@example.com")).status_code == 404
    assert admin.post("/admin/users/999999/send-reset").status_code == 404
    with demo.app_context():
        db.session.scalar(select(User).where(User.email == CASEY)).active = False
        db.session.commit()
    page = admin.post(reset_path(demo), follow_redirects=True).get_data(as_text=True)
    assert "No reset link for a deactivated or closed account" in page
    assert outbox(demo, "password_reset") == []


def test_the_button_needs_a_csrf_token(admin, demo):
    demo.config["WTF_CSRF_ENABLED"] = True
    try:
        assert admin.post(reset_path(demo)).status_code == 400
    finally:
        demo.config["WTF_CSRF_ENABLED"] = False
    assert outbox(demo, "password_reset") == []
    with demo.app_context():
        assert db.session.get(User, user_id(CASEY)).check_password(PASSWORDS[CASEY])
