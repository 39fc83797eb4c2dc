"""Security headers on every page: a CSP without inline scripts or styles, no framing, nosniff, a
referrer policy, and HSTS in production over HTTPS only. The templates must not need more than the CSP
allows (tests/e2e/test_csp.py checks the same in Chromium)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal import create_app
from tests.conftest import base_config
from tests.portal.conftest import login

TEMPLATES = Path(__file__).resolve().parents[2] / "portal" / "templates"


def csp(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def assert_protected(response) -> None:
    policy = csp(response)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_public_pages_carry_the_headers(client):
    for path in ("/auth/login", "/auth/signup", "/help/", "/no-such-page"):
        assert_protected(client.get(path))


def test_signed_in_pages_carry_the_headers(client, demo, make_ticket):
    reference = make_ticket()
    login(client, "customer@example.com")
    assert_protected(client.get(f"/tickets/{reference}"))
    assert_protected(client.get(f"/tickets/{reference}/status.json"))
    client.post("/auth/logout")
    login(client, "staff@example.com")
    for path in ("/desk/", f"/desk/tickets/{reference}"):
        assert_protected(client.get(path))


def test_pages_with_a_token_in_the_url_keep_their_no_referrer_policy(client):
    for path in ("/auth/reset/not-a-valid-token", "/feedback/not-a-valid-token"):
        response = client.get(path)
        assert response.headers["Referrer-Policy"] == "no-referrer", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_no_hsts_in_development_or_testing_even_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/auth/login", base_url="https://localhost").headers


@pytest.fixture
def production_app(tmp_path):
    config = base_config(
        f"sqlite:///{tmp_path / 'prod.db'}", tmp_path, ENV_NAME="production", SECRET_KEY="a-real-secret"
    )
    return create_app(config)


def test_hsts_in_production_over_https_only(production_app):
    client = production_app.test_client()
    secure = client.get("/auth/login", base_url="https://support.example.com")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert_protected(secure)
    # Plain http (a health check on the internal port): browsers ignore HSTS there, so none is sent.
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers


def test_development_is_not_redirected_to_https_and_cookies_keep_their_config(client, app):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert app.config["SESSION_COOKIE_SECURE"] is False and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


# What the CSP forbids in markup: inline scripts, on* handlers, javascript: URLs, <style> blocks and
# style="" attributes. E-mail templates are exempt: mail clients need inline styles and no CSP applies.
FORBIDDEN = {
    "inline script": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "style block": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.I),
}


def page_templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*.html") if "email" not in p.relative_to(TEMPLATES).parts)


@pytest.mark.parametrize("template", page_templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_need_nothing_the_csp_forbids(template):
    text = template.read_text()
    found = [name for name, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert found == [], f"{template.name}: {found}"


def test_admin_metrics_bars_render_without_style_attributes(client, demo, make_ticket):
    make_ticket(status="resolved")
    login(client, "admin@example.com")
    page = client.get("/admin/").get_data(as_text=True)
    assert 'class="share-bar bar-thin"' in page and " style=" not in page
