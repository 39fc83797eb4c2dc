"""In Chromium, with the email job delivering to a real aiosmtpd server: a forgotten password is reset
through the link in the email, and an email-address change is confirmed through the link sent to the
new address. Links are read out of the delivered messages, never built by the test."""

from __future__ import annotations

import re
import time

import pytest

from tests.e2e.conftest import PASSWORDS
from tests.email.conftest import SMTPServer

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.smtp]

CASEY = "customer@example.com"
NEW_PASSWORD = "a-fresh-password-42"
NEW_EMAIL = "casey.new@example.com"


@pytest.fixture
def inbox(site, temporary_settings):
    """A real SMTP server the live portal's email jobs deliver to, with links on the live server's URL."""
    server = SMTPServer()
    server.start()
    temporary_settings(
        site.app,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=server.port,
        MAIL_SUPPRESS_SEND=False,
        MAIL_TIMEOUT=5,
        SERVER_NAME_FOR_LINKS=site.url,
    )
    yield server
    server.stop()


def wait_for_mail(server: SMTPServer, to: str, subject: str, timeout: float = 20.0):
    """The first message delivered to `to` with `subject` (the email job sends it after the commit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(server.messages):
            if message["To"] == to and message["Subject"] == subject:
                return message
        time.sleep(0.1)
    seen = [(m["To"], m["Subject"]) for m in server.messages]
    pytest.fail(f"no email {subject!r} to {to} arrived; got {seen}")


def only_link(message, base_url: str, path_prefix: str) -> str:
    """The one account link in the plain-text part; it must point at the portal being served."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    links = set(re.findall(r"https?://[^\s\"<>]+", text))
    assert len(links) == 1, text
    link = links.pop()
    assert link.startswith(base_url + path_prefix), link
    html = message.get_body(preferencelist=("html",)).get_content()
    assert link in html.replace("&amp;", "&")
    return link


def log_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(base_url + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("input[type=submit][value='Log in']")


def test_forgotten_password_is_reset_through_the_emailed_link(browser, site, inbox):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(site.url + "/auth/login")
        page.click("text=Forgot password?")
        page.wait_for_selector("text=Forgot your password?")
        page.fill("#email", CASEY)
        page.click("input[type=submit][value='Email me a link']")
        page.wait_for_selector("text=Check your inbox")

        message = wait_for_mail(inbox, CASEY, "Reset your SupportOps password")
        link = only_link(message, site.url, "/auth/reset/")
        opened = page.goto(link)
        assert opened.status == 200 and opened.headers["referrer-policy"] == "no-referrer"
        page.wait_for_selector(f"text=For {CASEY}.")
        page.fill("#password", NEW_PASSWORD)
        page.fill("#confirm", NEW_PASSWORD)
        page.click("input[type=submit][value='Set new password']")
        page.wait_for_selector("text=Your password is changed. Log in with the new one.")
        assert page.url == site.url + "/auth/login"

        log_in(page, site.url, CASEY, PASSWORDS[CASEY])
        page.wait_for_selector("text=Wrong email or password.")
        assert "Log out" not in page.content()
        log_in(page, site.url, CASEY, NEW_PASSWORD)
        page.wait_for_selector("text=Log out")

        again = page.goto(link)  # the link dies with the password it was made for
        assert again.status == 400
        page.wait_for_selector("text=This link was already used.")
        assert page.locator("#password").count() == 0
    finally:
        context.close()


def test_email_change_is_confirmed_through_the_link_sent_to_the_new_address(people, site, inbox):
    casey = people(CASEY)
    page = casey.page
    page.click("text=Account settings")
    page.wait_for_selector("h1:has-text('Account settings')")
    page.fill("#new_email", NEW_EMAIL)
    page.fill("#email_password", PASSWORDS[CASEY])
    page.click("input[type=submit][value='Send confirmation link']")
    page.wait_for_selector(f"text=We sent a link to {NEW_EMAIL}.")
    assert f"You log in with {CASEY}." in page.inner_text("body")  # nothing changes before the link

    message = wait_for_mail(inbox, NEW_EMAIL, "Confirm your new SupportOps email address")
    assert not [m for m in inbox.messages if m["To"] == CASEY and "email address" in m["Subject"]]
    page.goto(only_link(message, site.url, "/settings/email/confirm/"))
    page.wait_for_selector(f"text=Your account's email address becomes {NEW_EMAIL}")
    page.click("input[type=submit][value='Confirm new address']")
    page.wait_for_selector(f"text=Your email address is now {NEW_EMAIL}.")
    assert page.url == site.url + "/settings/"
    assert f"You log in with {NEW_EMAIL}." in page.inner_text("body")
    casey.shot("email-change-confirmed")

    page.click("button:has-text('Log out')")
    page.wait_for_selector("text=You are logged out.")
    log_in(page, site.url, CASEY, PASSWORDS[CASEY])
    page.wait_for_selector("text=Wrong email or password.")
    log_in(page, site.url, NEW_EMAIL, PASSWORDS[CASEY])
    page.wait_for_selector("text=Log out")
    casey.go("/settings/")
    assert f"You log in with {NEW_EMAIL}." in page.inner_text("body")
    assert casey.dialogs == []
