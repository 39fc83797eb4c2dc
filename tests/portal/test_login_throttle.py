"""Login throttling: wrong passwords per account and address together (issue 11), per account from any
address with a notice to its owner, per address over all accounts, and moving windows (issue 17)."""

from __future__ import annotations

import re
import time

import pytest

from portal.extensions import limiter
from portal.jobs.queue import SEND_EMAIL
from tests.conftest import rate_limited_demo_app

WRONG = "wrong-password"


@pytest.fixture
def throttled(tmp_path):
    app = rate_limited_demo_app(tmp_path, LOGIN_RATE_LIMIT="3 per minute")
    yield app
    limiter.reset()


def attempt(client, email, password=WRONG):
    return client.post("/auth/login", data={"email": email, "password": password})


def test_wrong_passwords_for_one_account_do_not_lock_another_on_the_same_address(throttled):
    client = throttled.test_client()
    codes = [attempt(client, "customer@example.com").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    # A colleague behind the same address signs in to their own account.
    assert attempt(client, "second@example.com", "second-demo").status_code == 302


def test_the_same_account_from_another_address_is_not_locked(throttled):
    client = throttled.test_client()
    for _ in range(3):
        attempt(client, "customer@example.com")
    elsewhere = {"REMOTE_ADDR": "10.9.8.7"}
    response = client.post(
        "/auth/login",
        data={"email": "customer@example.com", "password": "customer-demo"},
        environ_base=elsewhere,
    )
    assert response.status_code == 302


def test_successful_logins_use_up_no_attempts(throttled):
    for _ in range(5):
        client = throttled.test_client()
        assert attempt(client, "customer@example.com", "customer-demo").status_code == 302


def test_slow_down_page_says_when_to_retry_and_offers_a_reset(throttled):
    client = throttled.test_client()
    for _ in range(3):
        attempt(client, "Customer@Example.com ")  # the same account however it is typed
    refused = attempt(client, "customer@example.com")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "Slow down a little" in text
    seconds = int(refused.headers["Retry-After"])
    assert 1 <= seconds <= 61
    assert re.search(r"try again in <strong>\d+ seconds?</strong>", text)
    assert 'href="/auth/forgot"' in text and "Forgot password?" in text


# --- per account, from any address (issue 17, finding 5) ----------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
def per_account(request, tmp_path):
    """Only the per-account limit is tight; clients are told apart by X-Forwarded-For behind one proxy.
    The counters live in memory (one process) or in a real Redis (production)."""
    storage = request.getfixturevalue("clean_redis") if request.param == "redis" else "memory://"
    app = rate_limited_demo_app(
        tmp_path,
        RATELIMIT_STORAGE_URI=storage,
        TRUSTED_PROXIES=1,
        LOGIN_RATE_LIMIT="100 per minute",
        LOGIN_ADDRESS_RATE_LIMIT="100 per minute",
        LOGIN_ACCOUNT_RATE_LIMIT="5 per minute;8 per hour",
    )
    yield app
    limiter.reset()


def from_address(app, ip, email, password=WRONG):
    headers = {"X-Forwarded-For": ip}
    return app.test_client().post("/auth/login", data={"email": email, "password": password}, headers=headers)


def login_notices(app):
    from tests.portal.test_account import outbox

    return outbox(app, "login_failures")


@pytest.mark.parametrize("email", ["customer@example.com", "nobody@example.com"])
def test_guesses_from_many_addresses_are_limited_per_account(per_account, email):
    codes = [from_address(per_account, f"198.51.100.{n}", email).status_code for n in range(1, 8)]
    # The same answers whether or not the email has an account.
    assert codes == [401] * 5 + [429] * 2
    # Another account is not affected, whatever address it comes from.
    assert from_address(per_account, "198.51.100.1", "second@example.com", "second-demo").status_code == 302


def test_a_throttled_account_refuses_even_the_right_password_until_a_reset(per_account):
    for n in range(5):
        from_address(per_account, f"203.0.113.{n}", "Customer@Example.com ")
    assert from_address(per_account, "192.0.2.1", "customer@example.com", "customer-demo").status_code == 429
    # The owner chooses a new password: the wrong guesses counted against the account are forgotten.
    from tests.portal.test_account import link_path, outbox

    new = "a-brand-new-password"
    owner = per_account.test_client()
    proxy = {"X-Forwarded-For": "192.0.2.1"}
    owner.post("/auth/forgot", data={"email": "customer@example.com"}, headers=proxy)
    [row] = outbox(per_account, "password_reset")
    owner.post(link_path(row), data={"password": new, "confirm": new})
    assert from_address(per_account, "192.0.2.1", "customer@example.com", new).status_code == 302


def test_the_owner_gets_one_notice_per_window_not_per_attempt(per_account):
    for n in range(12):
        from_address(per_account, f"198.51.100.{n}", "customer@example.com")
    [notice] = login_notices(per_account)
    assert notice.to_address == "customer@example.com"
    assert notice.subject == "Repeated failed logins to your SupportOps account"
    assert "/auth/forgot" in notice.text_body and "wrong password" in notice.text_body
    assert (SEND_EMAIL, (notice.id,)) in per_account.extensions["manual_queue"].jobs  # enqueued after commit
    for n in range(3):  # an unknown email: nobody to tell
        from_address(per_account, f"198.51.100.{n}", "nobody@example.com")
    assert len(login_notices(per_account)) == 1


def test_the_next_notice_window_brings_one_more_notice(per_account, monkeypatch):
    import portal.mailer.account_mail as account_mail

    for n in range(6):
        from_address(per_account, f"198.51.100.{n}", "customer@example.com")
    # The next LOGIN_NOTICE_MINUTES window (the limiter's own clock stays as it is).
    next_window = str(int(time.time() // 3600) + 1)
    monkeypatch.setattr(account_mail, "_window", lambda minutes: next_window)
    from_address(per_account, "198.51.100.9", "customer@example.com")
    from_address(per_account, "198.51.100.10", "customer@example.com")
    assert len(login_notices(per_account)) == 2


def test_password_spraying_from_one_address_is_limited(tmp_path):
    app = rate_limited_demo_app(tmp_path, LOGIN_ADDRESS_RATE_LIMIT="4 per minute")
    try:
        client = app.test_client()
        codes = [attempt(client, f"user{n}@example.com").status_code for n in range(5)]
        assert codes == [401, 401, 401, 401, 429]
    finally:
        limiter.reset()


# --- the moving window -------------------------------------------------------------------------------------


def test_rate_limits_use_a_moving_window_by_default(tmp_path):
    from portal.config import load_config

    assert load_config(str(tmp_path))["RATELIMIT_STRATEGY"] == "moving-window"


def test_ticket_limit_counts_the_last_window_not_a_fixed_one(tmp_path):
    """A fixed window let 19 tickets through in 2.8 s against 10 per minute: two windows' worth at an edge."""
    app = rate_limited_demo_app(tmp_path, TICKET_RATE_LIMIT="3 per 2 seconds")
    try:
        client = app.test_client()
        client.post("/auth/login", data={"email": "customer@example.com", "password": "customer-demo"})

        def send(n):
            data = {"subject": f"Question {n}", "message": f"Question number {n}, please help."}
            return client.post("/tickets/new", data=data).status_code

        started = time.monotonic()
        first = send(0)
        time.sleep(1.0)
        middle = [send(1), send(2)]
        time.sleep(max(0.0, started + 2.3 - time.monotonic()))  # past the first window's end
        edge = [send(n) for n in (3, 4, 5)]
        assert [first, *middle] == [302, 302, 302]
        # Only ticket 0 left the last 2 seconds: one more, not a fresh three.
        assert edge == [302, 429, 429]
    finally:
        limiter.reset()
