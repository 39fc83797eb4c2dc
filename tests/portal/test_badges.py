"""Status and priority badges and SLA countdowns (portal/badges.py): the markup the macros made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from portal.badges import due_words, priority_badge, resolution_words, ticket_badge

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _ticket(**fields) -> SimpleNamespace:
    values = {"status": "escalated", "sla_due_at": None, "resolution_due_at": None, "waiting_since": None}
    return SimpleNamespace(**(values | fields))


def test_badges_in_words_and_colours():
    assert ticket_badge("escalated") == '<span class="badge text-bg-warning">With our team</span>'
    assert ticket_badge("processing") == '<span class="badge text-bg-info">Being answered</span>'
    assert priority_badge("P1") == '<span class="badge text-bg-danger border">P1</span>'


def test_an_unknown_value_is_shown_escaped_in_grey():
    assert ticket_badge("<b>odd</b>") == '<span class="badge text-bg-secondary">&lt;b&gt;odd&lt;/b&gt;</span>'
    assert priority_badge("P9") == '<span class="badge text-bg-secondary border">P9</span>'


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"sla_due_at": NOW + timedelta(hours=2, minutes=5, seconds=30)}, "in 2h 5m"),
        (
            {"sla_due_at": NOW - timedelta(minutes=61)},
            '<span class="text-danger fw-semibold">overdue 1h 1m</span>',
        ),
        (
            {"sla_due_at": NOW - timedelta(seconds=30)},
            '<span class="text-danger fw-semibold">overdue 0h 1m</span>',
        ),
        ({"sla_due_at": None}, '<span class="text-muted">—</span>'),
        ({"status": "resolved", "sla_due_at": NOW}, '<span class="text-muted">resolved</span>'),
    ],
)
def test_first_response_countdown(fields, words):
    assert due_words(_ticket(**fields), NOW) == words


def test_resolution_countdown_pauses_while_waiting_for_the_customer():
    due = NOW + timedelta(hours=30)
    assert resolution_words(_ticket(resolution_due_at=due), NOW) == "in 30h 0m"
    paused = _ticket(resolution_due_at=due, waiting_since=NOW)
    assert resolution_words(paused, NOW) == '<span class="text-muted">paused, waiting for the customer</span>'
    assert resolution_words(_ticket(status="resolved", resolution_due_at=due), NOW) == (
        '<span class="text-muted">—</span>'
    )
