"""Sessions that can be revoked (issue 17, finding 4): logout, a password change or reset, deactivation and
"Log out everywhere" end every session and remember-me cookie; cookie flags; the staff idle timeout."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import User
from tests.overrides import override_settings
from tests.portal.conftest import PASSWORDS, user_id
from tests.portal.test_account import link_path, outbox

CASEY = "customer@example.com"
STAFF = "staff@example.com"
NEW_PASSWORD = "a-brand-new-password"


def log_in(app, email=CASEY, remember=False):
    client = app.test_client()
    data = {"email": email, "password": PASSWORDS[email]}
    if remember:
        data["remember"] = "y"
    assert client.post("/auth/login", data=data).status_code == 302
    return client


def copy_of(app, client, *names):
    """A second browser holding copies of `client`'s cookies (a stolen cookie)."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        thief.set_cookie(name, cookie.value)
    return thief


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def sent_to_login(client) -> bool:
    response = client.get("/orders")
    return response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def test_a_copied_session_cookie_stops_working_at_logout(demo):
    browser = log_in(demo)
    copy = copy_of(demo, browser, "session")
    assert signed_in(copy)
    assert browser.post("/auth/logout").status_code == 302
    assert sent_to_login(copy)


def test_a_remember_me_cookie_stops_working_at_logout(demo):
    browser = log_in(demo, remember=True)
    stolen = browser.get_cookie("remember_token").value
    assert signed_in(copy_of(demo, browser, "remember_token"))  # the cookie alone signs in ...
    browser.post("/auth/logout")
    thief = demo.test_client()
    thief.set_cookie("remember_token", stolen)
    assert sent_to_login(thief)  # ... until logout


def test_each_login_after_a_logout_gets_a_new_remember_cookie(demo):
    first = log_in(demo, remember=True).get_cookie("remember_token").value
    log_in(demo).post("/auth/logout")
    second = log_in(demo, remember=True).get_cookie("remember_token").value
    assert first != second


def test_a_password_change_ends_remember_cookies_elsewhere(demo):
    here, phone = log_in(demo, remember=True), log_in(demo, remember=True)
    stolen = phone.get_cookie("remember_token").value
    form = {
        "current_password": PASSWORDS[CASEY],
        "new_password": NEW_PASSWORD,
        "repeat_password": NEW_PASSWORD,
    }
    assert here.post("/settings/password", data=form).status_code == 302
    thief = demo.test_client()
    thief.set_cookie("remember_token", stolen)
    assert sent_to_login(thief) and sent_to_login(phone)
    assert signed_in(here)


def test_a_password_reset_ends_every_session_and_remember_cookie(demo):
    phone = log_in(demo, remember=True)
    remembered = copy_of(demo, phone, "remember_token")
    laptop = demo.test_client()
    laptop.post("/auth/forgot", data={"email": CASEY})
    [row] = outbox(demo, "password_reset")
    laptop.post(link_path(row), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert sent_to_login(phone) and sent_to_login(remembered)


def test_reactivating_a_user_does_not_revive_old_cookies(demo):
    casey = log_in(demo, remember=True)
    session_copy = copy_of(demo, casey, "session")
    remember_copy = copy_of(demo, casey, "remember_token")
    admin = log_in(demo, "admin@example.com")
    with demo.app_context():
        casey_id = user_id(CASEY)
    assert admin.post(f"/admin/users/{casey_id}/deactivate").status_code == 302
    assert sent_to_login(session_copy)
    assert admin.post(f"/admin/users/{casey_id}/activate").status_code == 302
    assert sent_to_login(session_copy) and sent_to_login(remember_copy) and sent_to_login(casey)
    assert signed_in(log_in(demo))  # logging in again works


def test_the_cli_deactivation_ends_sessions(demo):
    casey = log_in(demo, remember=True)
    remember_copy = copy_of(demo, casey, "remember_token")
    result = demo.test_cli_runner().invoke(args=["users", "deactivate", CASEY])
    assert result.exit_code == 0, result.output
    with demo.app_context():
        db.session.scalar(select(User).where(User.email == CASEY)).active = True
        db.session.commit()
    assert sent_to_login(casey) and sent_to_login(remember_copy)


def test_log_out_everywhere_from_account_settings(demo):
    here, phone = log_in(demo), log_in(demo, remember=True)
    remembered = copy_of(demo, phone, "remember_token")
    page = here.get("/settings/").get_data(as_text=True)
    assert 'action="/settings/sessions/end"' in page and "Log out everywhere" in page
    response = here.post("/settings/sessions/end", follow_redirects=True)
    assert "You are signed out on every device." in response.get_data(as_text=True)
    assert sent_to_login(here) and sent_to_login(phone) and sent_to_login(remembered)
    assert signed_in(log_in(demo))


def set_cookie_headers(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_session_and_remember_cookies_are_httponly_lax_and_short_lived(demo):
    client = demo.test_client()
    data = {"email": CASEY, "password": PASSWORDS[CASEY], "remember": "y"}
    cookies = set_cookie_headers(client.post("/auth/login", data=data))
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name], cookies[name]
    expires = client.get_cookie("remember_token").expires
    assert expires is not None and expires - datetime.now(UTC) < timedelta(days=15)  # not a year


def test_cookies_are_secure_in_production(monkeypatch, tmp_path):
    from portal.config import load_config

    monkeypatch.setenv("SUPPORTOPS_ENV", "production")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["REMEMBER_COOKIE_SAMESITE"] == "Lax" and config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)


def test_secure_flag_is_on_the_cookies_when_configured(demo):
    demo.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    data = {"email": CASEY, "password": PASSWORDS[CASEY], "remember": "y"}
    response = demo.test_client().post("/auth/login", data=data, base_url="https://localhost")
    cookies = set_cookie_headers(response)
    assert "Secure" in cookies["session"] and "Secure" in cookies["remember_token"]


# --- the staff idle timeout -------------------------------------------------------------------------------


def idle_for(client, minutes: float) -> None:
    with client.session_transaction() as session:
        session["seen_at"] = int(time.time() - minutes * 60)


def test_staff_are_signed_out_after_the_idle_timeout(demo):
    staff = log_in(demo, STAFF)
    assert staff.get("/desk/").status_code == 200
    idle_for(staff, 29)
    assert staff.get("/desk/").status_code == 200  # activity keeps the session
    idle_for(staff, 31)
    response = staff.get("/desk/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login?next=")
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "signed out after 30 minutes without activity" in page
    assert staff.get("/desk/").status_code == 302


def test_the_idle_timeout_is_configurable_and_customers_have_none(demo):
    override_settings(demo, STAFF_IDLE_MINUTES=5)
    staff = log_in(demo, STAFF)
    idle_for(staff, 6)
    assert staff.get("/desk/").status_code == 302
    customer = log_in(demo)
    idle_for(customer, 24 * 60)
    assert signed_in(customer)


def test_staff_get_no_remember_cookie(demo):
    client = demo.test_client()
    data = {"email": STAFF, "password": PASSWORDS[STAFF], "remember": "y"}
    assert "remember_token" not in set_cookie_headers(client.post("/auth/login", data=data))


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "application/json"},  # the ticket page's status poll
        {"Accept": "text/html", "Sec-Fetch-Mode": "cors"},  # the desk queue's refresh (a fetch())
    ],
)
def test_background_polls_do_not_keep_a_staff_session_alive(demo, headers):
    staff = log_in(demo, STAFF)
    idle_for(staff, 20)
    assert staff.get("/desk/", headers=headers).status_code == 200  # a poll: not activity
    with staff.session_transaction() as session:
        assert time.time() - session["seen_at"] > 19 * 60
    staff.get("/desk/", headers={"Sec-Fetch-Mode": "navigate"})  # a page load is
    with staff.session_transaction() as session:
        assert time.time() - session["seen_at"] < 60
