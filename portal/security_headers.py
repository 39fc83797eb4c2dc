"""HTTP security headers on every response, set by Flask-Talisman.

Talisman over `secure` (2.0.1, newer, framework-neutral): it is a Flask extension with init_app, one
~470-line module with no dependencies beyond Flask, it only sends HSTS on HTTPS requests, and a view can
override the policy with a decorator. Its other habits are switched off here because config.py owns them:
it would force HTTPS redirects (the reverse proxy does that) and rewrite the session-cookie settings.

The policy allows exactly what the pages load: Bootstrap's CSS and JS are served by this app
(BOOTSTRAP_SERVE_LOCAL), the two scripts are static files, and no template has an inline <script>,
on* handler, <style> block or style="" attribute (tests/portal/test_security_headers.py checks).
"""

from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman

from portal.config import get_settings
from portal.config_types import Settings

SELF = "'self'"
CONTENT_SECURITY_POLICY = {
    "default-src": SELF,
    "script-src": SELF,
    "style-src": SELF,
    "img-src": [SELF, "data:"],  # Bootstrap's CSS draws its icons (close, select arrow) as data: SVGs
    "font-src": SELF,
    "connect-src": SELF,  # ticket.js and help-suggest.js fetch from this app only
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": SELF,
    "frame-ancestors": "'none'",  # no framing (clickjacking); X-Frame-Options DENY for old browsers
}


class SecurityHeaders(Talisman):
    """Talisman, except that a page's own Referrer-Policy wins: pages with a token in their URL (password
    reset, e-mail feedback) send `no-referrer` so the token never leaves in a Referer header."""

    def _set_referrer_policy_headers(self, headers) -> None:  # Talisman 1.1.0 always overwrites it
        headers.setdefault("Referrer-Policy", self.referrer_policy)


def init_security_headers(app: Flask) -> None:
    from portal.extensions import talisman

    talisman.init_app(
        app,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        strict_transport_security=hsts_enabled(get_settings(app)),
        strict_transport_security_max_age=get_settings(app).security.hsts_max_age,
        strict_transport_security_include_subdomains=False,  # other hosts of the domain are not ours
        force_https=False,
        session_cookie_secure=False,
        session_cookie_http_only=app.config["SESSION_COOKIE_HTTPONLY"],
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )


def hsts_enabled(settings: Settings) -> bool:
    """HSTS only in production: a development or test server on plain http must stay reachable."""
    return settings.env_name == "production" and settings.security.hsts_max_age > 0
