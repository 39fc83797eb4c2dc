"""Email verification at sign-up: the signed link, the home-page banner with its resend, the desk badge."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from portal.auth import account_links
from portal.extensions import db
from portal.models import User
from tests.portal.test_account import link_path, outbox, user

NEW = "newbie@example.com"
SIGNUP = {"name": "Nina Newbie", "email": NEW, "password": "newbie-password", "confirm": "newbie-password"}


def sign_up(app, client) -> str:
    """Sign up; returns the path of the verification link that was mailed."""
    response = client.post("/auth/signup", data=SIGNUP)
    assert response.status_code == 302
    login = client.post("/auth/login", data={"email": NEW, "password": SIGNUP["password"]})
    assert login.status_code == 302
    [row] = outbox(app, "email_verify")
    assert row.to_address == NEW and row.subject == "Confirm your SupportOps email address"
    assert "expires after 24 hours" in row.text_body
    return link_path(row)


def test_signup_mails_a_link_and_the_account_works_unverified(demo, client):
    path = sign_up(demo, client)
    assert path.startswith("/auth/verify/")
    assert user(demo, NEW).email_verified_at is None
    home = client.get("/").get_data(as_text=True)
    assert 'id="verify-banner"' in home and NEW in home  # usable, with the offer to resend
    assert client.get("/orders").status_code == 200


def test_the_link_verifies_the_address_and_the_banner_goes(demo, client):
    path = sign_up(demo, client)
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert user(demo, NEW).email_verified_at is not None
    home = client.get("/").get_data(as_text=True)
    assert f"{NEW} is confirmed" in home and 'id="verify-banner"' not in home
    assert client.get(path).status_code == 302  # opening it again is harmless


def test_the_link_works_without_being_signed_in(demo, client):
    path = sign_up(demo, client)
    client.post("/auth/logout")
    response = demo.test_client().get(path)
    assert response.headers["Location"] == "/auth/login"
    assert user(demo, NEW).email_verified_at is not None


def test_the_link_expires_after_24_hours(demo, client, monkeypatch):
    path = sign_up(demo, client)
    now = time.time()
    monkeypatch.setattr(account_links, "clock", lambda: now + 25 * 3600)
    response = client.get(path)
    assert response.status_code == 400 and "This link has expired." in response.get_data(as_text=True)
    assert user(demo, NEW).email_verified_at is None


@pytest.mark.parametrize(
    "mangle", [lambda p: p[:-3] + "AAA", lambda p: p + "x", lambda p: "/auth/verify/abc"]
)
def test_a_tampered_link_is_refused(demo, client, mangle):
    response = client.get(mangle(sign_up(demo, client)))
    assert response.status_code == 400 and "This link is not valid." in response.get_data(as_text=True)
    assert user(demo, NEW).email_verified_at is None


def test_a_link_for_another_purpose_is_refused(demo, client):
    sign_up(demo, client)
    with demo.app_context():
        token = account_links.reset_token(db.session.scalar(select(User).where(User.email == NEW)))
    assert client.get(f"/auth/verify/{token}").status_code == 400


def test_a_link_to_the_old_address_is_refused_after_an_email_change(demo, client):
    path = sign_up(demo, client)
    with demo.app_context():
        db.session.scalar(select(User).where(User.email == NEW)).email = "renamed@example.com"
        db.session.commit()
    response = client.get(path)
    assert response.status_code == 400 and "no longer uses" in response.get_data(as_text=True)
    assert user(demo, "renamed@example.com").email_verified_at is None


def test_confirming_a_new_address_also_verifies_it(customer, demo):
    with demo.app_context():
        casey = db.session.scalar(select(User).where(User.email == "customer@example.com"))
        token = account_links.email_change_token(casey, "casey@new.example.com")
        casey.email_verified_at = None
        db.session.commit()
    customer.post(f"/settings/email/confirm/{token}")
    assert user(demo, "casey@new.example.com").email_verified_at is not None


def test_resend_mails_a_new_link_and_refuses_once_verified(demo, client):
    first = sign_up(demo, client)
    response = client.post("/auth/verify/resend", follow_redirects=True)
    assert f"We sent a new confirmation link to {NEW}" in response.get_data(as_text=True)
    rows = outbox(demo, "email_verify")
    assert len(rows) == 2 and rows[1].to_address == NEW
    client.get(link_path(rows[1]))
    assert user(demo, NEW).email_verified_at is not None
    done = client.post("/auth/verify/resend", follow_redirects=True)
    assert "already confirmed" in done.get_data(as_text=True) and len(outbox(demo, "email_verify")) == 2
    assert client.get(first).status_code == 302  # the first link was valid too


def test_resend_is_rate_limited(tmp_path):
    from portal.extensions import limiter
    from tests.conftest import make_app

    app = make_app(
        f"sqlite:///{tmp_path / 'resend.db'}",
        tmp_path,
        RATELIMIT_ENABLED=True,
        VERIFY_RESEND_RATE_LIMIT="2 per hour",
    )
    limiter.reset()
    try:
        client = app.test_client()
        sign_up(app, client)
        codes = [client.post("/auth/verify/resend").status_code for _ in range(3)]
        assert codes == [302, 302, 429]
        assert len(outbox(app, "email_verify")) == 3  # the sign-up mail and two resends
    finally:
        limiter.reset()


def test_demo_users_are_verified_and_have_no_banner(customer, demo):
    assert user(demo).email_verified_at is not None
    assert 'id="verify-banner"' not in customer.get("/").get_data(as_text=True)


def test_the_desk_shows_whether_the_customers_email_is_verified(staff, demo, make_ticket):
    reference = make_ticket()
    assert "email verified" in staff.get(f"/desk/tickets/{reference}").get_data(as_text=True)
    with demo.app_context():
        db.session.scalar(select(User).where(User.email == "customer@example.com")).email_verified_at = None
        db.session.commit()
    assert "email not verified" in staff.get(f"/desk/tickets/{reference}").get_data(as_text=True)
