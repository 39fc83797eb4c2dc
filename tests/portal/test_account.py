"""Customer self-service: password reset by email, account settings (name, password, email address)."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from portal.auth import account_links
from portal.extensions import db
from portal.jobs.queue import SEND_EMAIL
from portal.models import EmailOutbox, User
from tests.portal.conftest import PASSWORDS, login

CASEY = "customer@example.com"
NEW_PASSWORD = "a-brand-new-password"


def outbox(app, event: str) -> list[EmailOutbox]:
    with app.app_context():
        rows = db.session.scalars(
            select(EmailOutbox).where(EmailOutbox.event == event).order_by(EmailOutbox.id)
        )
        return list(rows)


def link_path(row: EmailOutbox) -> str:
    """The path of the one link in the message (text and HTML carry the same one)."""
    urls = set(re.findall(r"http://127\.0\.0\.1:5000(/[^\s\"<]+)", row.text_body))
    assert len(urls) == 1, row.text_body
    path = urls.pop()
    assert path in row.html_body
    return path


def user(app, email: str = CASEY) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def request_reset(app, client, email: str = CASEY) -> str:
    response = client.post("/auth/forgot", data={"email": email})
    assert response.status_code == 200
    rows = outbox(app, "password_reset")
    assert rows and rows[-1].to_address == email
    return link_path(rows[-1])


# --- password reset ------------------------------------------------------------------------------------


def test_login_page_links_to_forgot_password(client, demo):
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'href="/auth/forgot"' in page and "Forgot password?" in page
    assert client.get("/auth/forgot").status_code == 200


def test_reset_flow_end_to_end(demo, client):
    response = client.post("/auth/forgot", data={"email": "Customer@Example.com"})
    assert response.status_code == 200 and b"Check your inbox" in response.data
    [row] = outbox(demo, "password_reset")
    assert row.to_address == CASEY and row.ticket_id is None
    assert row.subject == "Reset your SupportOps password"
    assert (SEND_EMAIL, (row.id,)) in demo.extensions["manual_queue"].jobs  # enqueued after commit
    path = link_path(row)
    assert path.startswith("/auth/reset/") and "expires after 60 minutes" in row.text_body

    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"

    assert client.post("/auth/login", data={"email": CASEY, "password": PASSWORDS[CASEY]}).status_code == 401
    assert client.post("/auth/login", data={"email": CASEY, "password": NEW_PASSWORD}).status_code == 302
    second = client.get(path)  # single use: the password it was made for is gone
    assert second.status_code == 400 and b"already used" in second.data
    again = client.post(path, data={"password": "yet-another-password", "confirm": "yet-another-password"})
    assert again.status_code == 400
    assert user(demo).check_password(NEW_PASSWORD)


def test_unknown_email_gets_the_same_page_and_no_email(demo, client):
    known = client.post("/auth/forgot", data={"email": CASEY}).get_data(as_text=True)
    unknown = client.post("/auth/forgot", data={"email": "nobody@example.com"}).get_data(as_text=True)
    assert unknown.replace("nobody@example.com", CASEY) == known
    assert [row.to_address for row in outbox(demo, "password_reset")] == [CASEY]


def test_inactive_account_gets_no_reset_email(demo, client):
    with demo.app_context():
        db.session.scalar(select(User).where(User.email == CASEY)).active = False
        db.session.commit()
    assert client.post("/auth/forgot", data={"email": CASEY}).status_code == 200
    assert outbox(demo, "password_reset") == []


def test_reset_link_expires_after_an_hour(demo, client, monkeypatch):
    path = request_reset(demo, client)
    now = time.time()
    monkeypatch.setattr(account_links, "clock", lambda: now + 59 * 60)
    assert client.get(path).status_code == 200
    monkeypatch.setattr(account_links, "clock", lambda: now + 61 * 60)
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400 and b"expired" in response.data
    assert not user(demo).check_password(NEW_PASSWORD)


@pytest.mark.parametrize("mangle", [lambda p: p[:-3] + "AAA", lambda p: p + "x", lambda p: "/auth/reset/abc"])
def test_tampered_reset_link_is_refused(demo, client, mangle):
    path = request_reset(demo, client)
    response = client.get(mangle(path))
    assert response.status_code in (400, 404)


def test_reset_link_of_one_purpose_does_not_work_for_another(demo, client):
    with demo.app_context():
        token = account_links.email_change_token(user(demo), "new@example.com")
    assert client.get(f"/auth/reset/{token}").status_code == 400


def test_reset_uses_the_signup_password_rules(demo, client):
    path = request_reset(demo, client)
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 200 and b"Use at least 10 characters." in short.data
    differ = client.post(path, data={"password": NEW_PASSWORD, "confirm": "something-else"})
    assert b"Passwords differ." in differ.data
    assert user(demo).check_password(PASSWORDS[CASEY])


def test_reset_ends_every_session(demo):
    phone, laptop = demo.test_client(), demo.test_client()
    login(phone, CASEY)
    assert signed_in(phone)
    path = request_reset(demo, laptop)
    laptop.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert phone.get("/").headers["Location"].startswith("/auth/login")
    assert phone.get("/settings/").status_code == 302


def test_reset_requests_are_rate_limited_per_address(tmp_path):
    from portal.extensions import limiter
    from tests.conftest import rate_limited_demo_app

    app = rate_limited_demo_app(tmp_path, RESET_RATE_LIMIT="2 per minute")
    try:
        codes = [
            app.test_client().post("/auth/forgot", data={"email": CASEY}, environ_base={"REMOTE_ADDR": ip})
            for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3")
        ]
        assert [r.status_code for r in codes] == [200, 200, 429]  # other addresses do not help
        assert len(outbox(app, "password_reset")) == 2
    finally:
        limiter.reset()


def test_forgot_and_reset_forms_need_a_csrf_token(demo, client):
    demo.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post("/auth/forgot", data={"email": CASEY})
        assert refused.status_code == 400 and b"CSRF token is missing" in refused.data
        assert outbox(demo, "password_reset") == []
    finally:
        demo.config["WTF_CSRF_ENABLED"] = False
    path = request_reset(demo, client)
    demo.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert refused.status_code == 400
        assert not user(demo).check_password(NEW_PASSWORD)
    finally:
        demo.config["WTF_CSRF_ENABLED"] = False


# --- sessions -------------------------------------------------------------------------------------------


def test_session_ids_carry_a_random_token_that_ending_sessions_replaces(demo):
    from portal.auth.accounts import load_user

    with demo.app_context():
        casey = db.session.scalar(select(User).where(User.email == CASEY))
        old = casey.get_id()
        user_id, _, token = old.partition(":")
        assert user_id == str(casey.id) and len(token) >= 40
        assert load_user(old) is casey
        casey.end_sessions()
        db.session.commit()
        assert load_user(old) is None and load_user(casey.get_id()) is casey
        assert load_user(str(casey.id)) is None and load_user(f"{casey.id}:0") is None  # old formats
        assert load_user("garbage") is None and load_user(f"{casey.id}:") is None
        assert load_user(f"99999999999:{token}") is None


# --- account settings -----------------------------------------------------------------------------------


def test_navigation_links_account_settings(customer):
    page = customer.get("/").get_data(as_text=True)
    assert '<a class="nav-link me-2" href="/settings/">Account settings</a>' in page
    settings = customer.get("/settings/").get_data(as_text=True)
    for action in ("/settings/name", "/settings/email", "/settings/password", 'action="/settings/"'):
        assert action in settings


def test_change_name(customer, demo):
    assert customer.post("/settings/name", data={"name": "  Casey C. "}).status_code == 302
    assert user(demo).name == "Casey C."
    assert customer.post("/settings/name", data={"name": ""}).status_code == 400
    assert user(demo).name == "Casey C."


def test_password_change_needs_the_current_password_and_ends_other_sessions(demo):
    here, elsewhere = demo.test_client(), demo.test_client()
    login(here, CASEY)
    login(elsewhere, CASEY)
    form = {
        "current_password": "wrong-password",
        "new_password": NEW_PASSWORD,
        "repeat_password": NEW_PASSWORD,
    }
    wrong = here.post("/settings/password", data=form)
    assert wrong.status_code == 400 and b"not your current password" in wrong.data
    short = here.post(
        "/settings/password", data={**form, "current_password": PASSWORDS[CASEY], "new_password": "x"}
    )
    assert short.status_code == 400 and b"Use at least 10 characters." in short.data
    assert signed_in(elsewhere)

    ok = here.post("/settings/password", data={**form, "current_password": PASSWORDS[CASEY]})
    assert ok.status_code == 302
    assert signed_in(here)  # this browser stays signed in ...
    assert not signed_in(elsewhere)  # ... every other one is out
    assert user(demo).check_password(NEW_PASSWORD)
    assert here.post("/auth/logout").status_code == 302
    assert here.post("/auth/login", data={"email": CASEY, "password": NEW_PASSWORD}).status_code == 302


def test_email_change_happens_only_when_the_link_is_followed(customer, demo):
    response = customer.post(
        "/settings/email", data={"new_email": "Casey.New@Example.com", "email_password": PASSWORDS[CASEY]}
    )
    assert response.status_code == 302
    [row] = outbox(demo, "email_change")
    assert row.to_address == "casey.new@example.com"  # the NEW address gets the link
    assert user(demo, CASEY) is not None  # nothing changed yet
    path = link_path(row)

    confirm_page = demo.test_client().get(path)  # opened on another device, not signed in
    assert confirm_page.status_code == 200 and b"casey.new@example.com" in confirm_page.data
    assert confirm_page.headers["Referrer-Policy"] == "no-referrer"
    assert user(demo, CASEY) is not None  # a GET (a mail scanner) changes nothing

    done = demo.test_client().post(path)
    assert done.status_code == 302
    assert user(demo, CASEY) is None and user(demo, "casey.new@example.com") is not None
    assert signed_in(customer)  # an address change does not sign anyone out
    assert demo.test_client().post(path).status_code == 400  # single use
    fresh = demo.test_client()
    assert (
        fresh.post(
            "/auth/login", data={"email": "casey.new@example.com", "password": PASSWORDS[CASEY]}
        ).status_code
        == 302
    )


def test_email_change_to_a_taken_address_is_refused(customer, demo):
    taken = customer.post(
        "/settings/email", data={"new_email": "SECOND@example.com", "email_password": PASSWORDS[CASEY]}
    )
    assert taken.status_code == 400 and b"already exists" in taken.data
    wrong = customer.post(
        "/settings/email", data={"new_email": "free@example.com", "email_password": "wrong-password"}
    )
    assert wrong.status_code == 400 and b"not your current password" in wrong.data
    assert outbox(demo, "email_change") == []


def test_email_taken_after_the_link_was_sent_is_refused_on_confirm(customer, demo, client):
    customer.post(
        "/settings/email", data={"new_email": "free@example.com", "email_password": PASSWORDS[CASEY]}
    )
    path = link_path(outbox(demo, "email_change")[0])
    with demo.app_context():
        second = db.session.scalar(select(User).where(User.email == "second@example.com"))  # someone else
        second.email = "free@example.com"
        db.session.commit()
    response = demo.test_client().post(path)
    assert response.status_code == 400 and b"already exists" in response.data
    assert user(demo, CASEY) is not None


def test_email_change_link_expires(customer, demo, monkeypatch):
    customer.post(
        "/settings/email", data={"new_email": "free@example.com", "email_password": PASSWORDS[CASEY]}
    )
    path = link_path(outbox(demo, "email_change")[0])
    later = time.time() + 3601
    monkeypatch.setattr(account_links, "clock", lambda: later)
    assert customer.post(path).status_code == 400
    assert user(demo, CASEY) is not None


def test_email_preferences_still_work_on_the_same_page(customer, demo):
    page = customer.get("/settings/").get_data(as_text=True)
    assert "Email preferences" in page and "always sent" in page
    customer.post("/settings/", data={})
    assert user(demo).email_updates is False


def test_settings_forms_need_a_csrf_token(customer, demo):
    demo.config["WTF_CSRF_ENABLED"] = True
    try:
        for path, data in [
            ("/settings/name", {"name": "Mallory"}),
            (
                "/settings/password",
                {
                    "current_password": PASSWORDS[CASEY],
                    "new_password": NEW_PASSWORD,
                    "repeat_password": NEW_PASSWORD,
                },
            ),  # fmt: skip
            ("/settings/email", {"new_email": "mallory@example.com", "email_password": PASSWORDS[CASEY]}),
        ]:
            response = customer.post(path, data=data)
            assert response.status_code == 400 and b"CSRF token is missing" in response.data, path
    finally:
        demo.config["WTF_CSRF_ENABLED"] = False
    casey = user(demo)
    assert casey.name != "Mallory" and not casey.check_password(NEW_PASSWORD)
    assert outbox(demo, "email_change") == []


def test_current_password_checks_are_throttled(tmp_path):
    from portal.extensions import limiter
    from tests.conftest import rate_limited_demo_app

    app = rate_limited_demo_app(tmp_path, LOGIN_RATE_LIMIT="3 per minute")
    try:
        client = app.test_client()
        login(client, CASEY)
        guess = {
            "current_password": "guess-guess",
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        }
        codes = [client.post("/settings/password", data=guess).status_code for _ in range(4)]
        assert codes == [400, 400, 400, 429]
    finally:
        limiter.reset()
