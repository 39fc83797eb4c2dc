"""Login throttling counts wrong passwords per account and address together (issue 11)."""

from __future__ import annotations

import re

import pytest

from portal.extensions import limiter
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
