"""Working-time arithmetic for service levels: business hours, weekends, holidays, time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tools.sla import BusinessCalendar, parse_targets, target_hours

OFFICE = BusinessCalendar.parse("mon-fri 09:00-17:00", "Europe/Berlin", ["2026-12-25"])


def berlin(*args) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Europe/Berlin"))


def test_around_the_clock_by_default():
    always = BusinessCalendar.parse("")
    start = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)  # a Saturday night
    assert always.add(start, 4) == start + timedelta(hours=4)
    assert always.working_time(start, start + timedelta(hours=3)) == timedelta(hours=3)


def test_a_friday_afternoon_ticket_is_due_on_monday():
    due = OFFICE.add(berlin(2026, 12, 4, 16, 0), 4)  # Friday 16:00, 4 working hours
    assert due == berlin(2026, 12, 7, 12, 0).astimezone(UTC)


def test_before_opening_the_clock_starts_at_opening_and_holidays_are_skipped():
    assert OFFICE.add(berlin(2026, 12, 24, 7, 30), 9) == berlin(2026, 12, 28, 10, 0).astimezone(UTC)


def test_working_time_counts_only_open_hours():
    assert OFFICE.working_time(berlin(2026, 12, 4, 16, 0), berlin(2026, 12, 7, 10, 0)) == timedelta(hours=2)
    assert OFFICE.working_time(berlin(2026, 12, 7, 10, 0), berlin(2026, 12, 4, 10, 0)) == timedelta(0)


@pytest.mark.parametrize("spec", ["mon-fri 9-17", "mon-xyz 09:00-17:00", "mon 17:00-09:00"])
def test_bad_business_hours_are_refused(spec):
    with pytest.raises(ValueError, match="business hours"):
        BusinessCalendar.parse(spec)


def test_targets_per_priority():
    assert parse_targets("P1=1, p2=2.5", 8.0) == {"P1": 1.0, "P2": 2.5, "P3": 8.0, "P4": 8.0}
    assert target_hours(parse_targets("P1=1", None), "P3", 4.0) == 4.0
    with pytest.raises(ValueError):
        parse_targets("P9=1", None)
