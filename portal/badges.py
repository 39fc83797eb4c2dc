"""Markup shown on many pages: ticket status and priority badges, and SLA countdowns (template globals).

Python rather than Jinja macros: a macro call costs about three times as much CPU, and a desk queue page
makes sixty of them (docs/performance.md, "Desk at 100k tickets / 1M messages"). The order badge stays a
macro (_macros.html): no page repeats it enough to matter.
"""

from __future__ import annotations

import math
from datetime import datetime

from markupsafe import Markup

TICKET_BADGES = {  # status: (Bootstrap colour, what the customer and staff read)
    "new": ("secondary", "Received"),
    "processing": ("info", "Being answered"),
    "answered": ("primary", "Answered"),
    "escalated": ("warning", "With our team"),
    "resolved": ("success", "Resolved"),
}
PRIORITY_COLORS = {"P1": "danger", "P2": "warning", "P3": "secondary", "P4": "light"}
NO_DEADLINE = Markup('<span class="text-muted">—</span>')


def _badge(classes: str, text: str) -> Markup:
    return Markup('<span class="badge text-bg-{}">{}</span>').format(classes, text)


# Every known badge, rendered once.
_STATUS_BADGES = {status: _badge(color, label) for status, (color, label) in TICKET_BADGES.items()}
_PRIORITY_BADGES = {
    priority: _badge(f"{color} border", priority) for priority, color in PRIORITY_COLORS.items()
}


def ticket_badge(status: str) -> Markup:
    return _STATUS_BADGES.get(status) or _badge("secondary", status)


def priority_badge(priority: str) -> Markup:
    return _PRIORITY_BADGES.get(priority) or _badge("secondary border", priority)


def due_words(ticket, now: datetime) -> Markup:
    """The first response deadline; it counts down only while the ticket is open."""
    if ticket.status == "resolved":
        return Markup('<span class="text-muted">resolved</span>')
    return _countdown(ticket.sla_due_at, now)


def resolution_words(ticket, now: datetime) -> Markup:
    """The resolution deadline; paused while the ticket waits for the customer."""
    if ticket.status == "resolved" or not ticket.resolution_due_at:
        return NO_DEADLINE
    if ticket.waiting_since:
        return Markup('<span class="text-muted">paused, waiting for the customer</span>')
    return _countdown(ticket.resolution_due_at, now)


def _countdown(due: datetime | None, now: datetime) -> Markup:
    if not due:
        return NO_DEADLINE
    minutes = math.floor((due - now).total_seconds() / 60)
    if minutes < 0:
        return Markup('<span class="text-danger fw-semibold">overdue %s</span>') % _hours(-minutes)
    return Markup("in %s") % _hours(minutes)


def _hours(minutes: int) -> str:
    return f"{minutes // 60}h {minutes % 60}m"
