"""In Chromium: a customer downloads their data, closes the account, and cannot log in any more."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import PASSWORDS

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

CASEY = "customer@example.com"


def test_customer_exports_data_closes_the_account_and_cannot_log_in(people, site):
    casey = people(CASEY)
    page = casey.page
    casey.go("/settings/")
    with page.expect_download() as info:
        page.click("text=Download my data (JSON)")
    download = info.value
    assert download.suggested_filename.startswith("supportops-data-")
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["profile"]["email"] == CASEY
    assert "A1003" in {order["number"] for order in data["orders"]}

    page.fill("#close_password", "not-my-password")
    page.check("#close_confirm")
    page.click("input[type=submit][value='Close my account']")
    page.wait_for_selector("text=This is not your current password.")

    page.fill("#close_password", PASSWORDS[CASEY])
    page.check("#close_confirm")
    page.click("input[type=submit][value='Close my account']")
    page.wait_for_selector("text=Your account is closed")
    assert page.url.endswith("/auth/login")

    page.fill("#email", CASEY)
    page.fill("#password", PASSWORDS[CASEY])
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_selector("text=Wrong email or password.")
    assert "Log out" not in page.content()
    casey.shot("account-closed-login-refused")
    assert casey.dialogs == []
