"""Absolute links for emails and the Message-ID scheme that threads a ticket's messages."""

from __future__ import annotations

import secrets
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request

from portal.config import get_settings, settings

# Fallback paths when a blueprint is not registered (e.g. the desk while it is being built).
CUSTOMER_TICKET = ("tickets.view", "/tickets/{reference}")
STAFF_TICKET = ("desk.ticket", "/desk/tickets/{reference}")


SERVED_BASE_KEY = "served_base_url"


def base_url() -> str:
    """The base URL links are built on, without a trailing slash.

    PUBLIC_BASE_URL when set; otherwise the address the portal is served on: this request's, or the last
    request's for links built by background jobs (`make run` on another PORT keeps its links working).
    Only development gets this far: check_config requires PUBLIC_BASE_URL everywhere else.
    """
    configured = settings().links.public_base_url
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    served = current_app.extensions.get(SERVED_BASE_KEY)
    return (served or settings().links.fallback_base_url).rstrip("/")


def remember_served_base(app: Flask) -> None:
    """Remember where the portal is served, for links built outside a request (in-process jobs)."""

    @app.before_request
    def _remember() -> None:
        if not get_settings(app).links.public_base_url:
            app.extensions[SERVED_BASE_KEY] = request.host_url


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on the configured base URL, whether or not a request is active."""
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def _endpoint_or_path(target: tuple[str, str], **values) -> str:
    endpoint, fallback = target
    if endpoint in current_app.view_functions:
        return external_url(endpoint, **values)
    return base_url() + fallback.format(**values)


def ticket_url(reference: str) -> str:
    """The customer's page for the ticket."""
    return _endpoint_or_path(CUSTOMER_TICKET, reference=reference)


def staff_ticket_url(reference: str) -> str:
    """The staff desk's page for the ticket."""
    return _endpoint_or_path(STAFF_TICKET, reference=reference)


def mail_domain() -> str:
    """The right-hand side of our Message-IDs: MAIL_MESSAGE_ID_DOMAIN, else the sender's domain."""
    configured = settings().mail.message_id_domain
    if configured:
        return configured
    _, address = parseaddr(settings().mail.default_sender or "")
    domain = address.rpartition("@")[2]
    return domain or urlsplit(base_url()).hostname or "localhost"


def thread_root_id(reference: str) -> str:
    """The id every message about a ticket refers to, e.g. <ticket-T-ABCD2345@example.com>."""
    return f"<ticket-{reference}@{mail_domain()}>"


def thread_headers(reference: str, event: str, *, root: bool = False) -> dict[str, str]:
    """Message-ID, In-Reply-To and References for one message of a ticket's thread.

    The first message (ticket received) *is* the root; later ones reply to it, so mail clients group them
    even when the customer turned the first one off.
    """
    if root:
        return {"Message-ID": thread_root_id(reference)}
    root_id = thread_root_id(reference)
    own = f"<{reference}.{event.replace('_', '-')}.{secrets.token_hex(6)}@{mail_domain()}>"
    return {"Message-ID": own, "In-Reply-To": root_id, "References": root_id}
