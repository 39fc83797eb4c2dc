"""Render an email (subject, text and HTML) from the templates in portal/templates/email/.

Templates are rendered straight from the app's Jinja environment, not through `render_template`, so
nothing from a web request (current_user, relative url_for) can leak into a message: every link is
passed in already absolute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from portal.config import settings
from portal.mailer.links import external_url

SUMMARY_MAX = 400


@dataclass(frozen=True)
class Draft:
    subject: str
    text: str
    html: str


def render(template: str, subject: str, **context: Any) -> Draft:
    """Render `email/<template>.txt` and `.html` with the shared context (links, product name)."""
    context = {**shared_context(), **context}
    env = current_app.jinja_env
    text = env.get_template(f"email/{template}.txt").render(**context)
    html = env.get_template(f"email/{template}.html").render(**context)
    return Draft(subject=one_line(subject), text=text.strip() + "\n", html=html)


def shared_context() -> dict[str, Any]:
    return {
        "product": "SupportOps",
        "settings_url": settings_url(),
        "sla_hours": f"{settings().policy.sla_hours:g}",
    }


def settings_url() -> str:
    """Where a customer turns update emails off ('' while the settings page is not registered)."""
    if "settings.index" not in current_app.view_functions:
        return ""
    return external_url("settings.index")


def one_line(text: str, limit: int = 200) -> str:
    """A header-safe single line (no CR/LF injection), shortened to `limit` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def summary(text: str | None, limit: int = SUMMARY_MAX) -> str:
    """The start of a message for a notification; the full text stays behind the link."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + " …"
