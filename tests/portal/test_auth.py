"""Accounts: sign-up, login, logout, throttling, CSRF, roles and object-level access."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import User


def test_signup_creates_a_customer_who_then_logs_in(client, app):
    response = client.post(
        "/auth/signup",
        data={
            "name": "Nina New",
            "email": "Nina@Example.com",
            "password": "long-enough-pw",
            "confirm": "long-enough-pw",
        },
    )
    assert response.headers["Location"] == "/auth/signup/sent"
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nina@example.com"))
        assert user.role == "customer"
        assert user.password_hash.startswith("$argon2id$")
    assert "nina@example.com" in client.get("/auth/signup/sent").get_data(as_text=True)
    login = client.post("/auth/login", data={"email": "nina@example.com", "password": "long-enough-pw"})
    assert login.status_code == 302
    assert b"Hello, Nina New" in client.get("/").data


def test_signup_ignores_a_role_field(client, app):
    client.post(
        "/auth/signup",
        data={
            "name": "Eve",
            "email": "eve@example.com",
            "password": "long-enough-pw",
            "confirm": "long-enough-pw",
            "role": "admin",
        },
    )
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.email == "eve@example.com")) == "customer"


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short", "short", b"Use at least 10 characters."),
        ("long-enough-pw", "different-pw", b"Passwords differ."),
    ],
)
def test_signup_rejects_bad_passwords(client, password, confirm, message):
    response = client.post(
        "/auth/signup", data={"name": "X", "email": "x@example.com", "password": password, "confirm": confirm}
    )
    assert response.status_code == 200
    assert message in response.data


def sign_up(app, email, password="long-enough-pw"):
    client = app.test_client()
    data = {"name": "Someone", "email": email, "password": password, "confirm": password}
    response = client.post("/auth/signup", data=data)
    return response, client.get(response.headers["Location"]).get_data(as_text=True)


def test_signup_with_a_taken_email_looks_the_same_and_tells_the_owner(seeded):
    from tests.portal.test_account import outbox

    new, new_page = sign_up(seeded, "brand-new@example.com")
    taken, taken_page = sign_up(seeded, "Customer@Example.com")
    assert (taken.status_code, taken.headers["Location"]) == (new.status_code, new.headers["Location"])
    assert taken_page.replace("customer@example.com", "brand-new@example.com") == new_page
    with seeded.app_context():
        owners = db.session.scalars(select(User).where(User.email == "customer@example.com")).all()
        assert len(owners) == 1 and owners[0].name == "Casey Customer"
        assert owners[0].check_password("customer-demo")  # nothing about the account changed
    [notice] = outbox(seeded, "signup_attempt")
    assert notice.to_address == "customer@example.com"
    assert "reset your password" in notice.text_body and "/auth/forgot" in notice.text_body
    assert [row.to_address for row in outbox(seeded, "email_verify")] == ["brand-new@example.com"]
    sign_up(seeded, "customer@example.com")  # again: still one notice in this window
    assert len(outbox(seeded, "signup_attempt")) == 1


def test_login_and_logout(client, auth, seeded):
    assert auth.login().headers["Location"] == "/"
    assert b"Hello, Casey Customer" in client.get("/").data
    auth.logout()
    assert client.get("/").headers["Location"].startswith("/auth/login")


def test_wrong_password_is_refused(client, auth, seeded):
    response = auth.login(password="not-the-password")
    assert response.status_code == 401
    assert b"Wrong email or password." in response.data
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_log_in(client, auth, seeded):
    with seeded.app_context():
        db.session.scalar(select(User).where(User.email == "customer@example.com")).active = False
        db.session.commit()
    assert auth.login().status_code == 401


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_login_never_redirects_off_site(client, seeded, target):
    response = client.post(
        f"/auth/login?next={target}", data={"email": "customer@example.com", "password": "customer-demo"}
    )
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next(client, seeded):
    response = client.post(
        "/auth/login?next=/orders", data={"email": "customer@example.com", "password": "customer-demo"}
    )
    assert response.headers["Location"] == "/orders"


def test_login_is_throttled(tmp_path):
    from portal.extensions import limiter
    from tests.conftest import rate_limited_demo_app

    app = rate_limited_demo_app(tmp_path, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [
        client.post(
            "/auth/login", data={"email": "customer@example.com", "password": "wrong-password"}
        ).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    limiter.reset()


def test_forms_without_csrf_token_are_rejected(seeded):
    seeded.config["WTF_CSRF_ENABLED"] = True
    client = seeded.test_client()
    response = client.post("/auth/login", data={"email": "customer@example.com", "password": "customer-demo"})
    assert response.status_code == 400
    assert b"CSRF token is missing" in response.data
    assert client.get("/").status_code == 302  # not logged in


def test_customer_sees_own_orders_only(client, auth, seeded):
    auth.login()
    page = client.get("/orders").data
    assert b"A1003" in page and b"B2001" not in page
    own = client.get("/orders/A1003")
    assert own.status_code == 200 and b"Wireless headphones" in own.data
    response = client.get("/orders/B2001")
    assert response.status_code == 404
    assert b"Coffee grinder" not in response.data


def test_pages_need_login(client, seeded):
    for path in ("/", "/orders", "/orders/A1003"):
        assert client.get(path).headers["Location"].startswith("/auth/login")


def test_session_cookie_flags(seeded):
    client = seeded.test_client()
    response = client.post("/auth/login", data={"email": "customer@example.com", "password": "customer-demo"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secret_key_required_outside_development(monkeypatch):
    from portal import create_app

    monkeypatch.setenv("SUPPORTOPS_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_trusted_proxies_give_the_client_address(tmp_path):
    from flask import request

    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'p.db'}", tmp_path, TRUSTED_PROXIES=1)
    app.add_url_rule("/whoami", "whoami", lambda: request.remote_addr)
    headers = {"X-Forwarded-For": "203.0.113.7"}
    assert app.test_client().get("/whoami", headers=headers).text == "203.0.113.7"
    plain = make_app(f"sqlite:///{tmp_path / 'q.db'}", tmp_path)
    plain.add_url_rule("/whoami", "whoami", lambda: request.remote_addr)
    assert plain.test_client().get("/whoami", headers=headers).text == "127.0.0.1"
