"""Service levels: business hours, holidays and per-priority targets, as plain date arithmetic.

A target of N hours means N hours of the support team's working time: with business hours
Mon-Fri 09:00-17:00, a ticket escalated on Friday at 16:00 with a 4-hour target is due on Monday at
12:00. Without business hours (the default, matching the policy's "available every day") working time
is all time. Standard library only (zoneinfo for the team's time zone).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRIORITIES = ("P1", "P2", "P3", "P4")
# Hours of working time from the hand-off to resolution; SLA_RESOLUTION_HOURS overrides some or all.
RESOLUTION_HOURS = {"P1": 24.0, "P2": 48.0, "P3": 72.0, "P4": 120.0}
_SPEC = re.compile(r"^\s*(\w{3})(?:\s*-\s*(\w{3}))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class BusinessCalendar:
    """When the support team works: opening hours per weekday (0 = Monday) in a time zone, minus holidays.

    No opening hours at all means around the clock, every day (holidays then mean nothing)."""

    hours: Mapping[int, tuple[time, time]] = field(default_factory=dict)
    zone: str = "UTC"
    holidays: frozenset[date] = frozenset()

    @classmethod
    def parse(cls, spec: str, zone: str = "UTC", holidays: Iterable[str] = ()) -> BusinessCalendar:
        """'mon-fri 09:00-17:00; sat 10:00-14:00' (empty: around the clock); holidays as YYYY-MM-DD."""
        hours: dict[int, tuple[time, time]] = {}
        for part in filter(str.strip, spec.split(";")):
            match = _SPEC.match(part.lower())
            if match is None or match.group(1) not in DAYS or (match.group(2) or "mon") not in DAYS:
                raise ValueError(f"business hours must look like 'mon-fri 09:00-17:00', not {part.strip()!r}")
            first, last = DAYS.index(match.group(1)), DAYS.index(match.group(2) or match.group(1))
            opens, closes = (
                time(int(match.group(3)), int(match.group(4))),
                time(int(match.group(5)), int(match.group(6))),
            )
            if closes <= opens:
                raise ValueError(f"business hours close before they open: {part.strip()!r}")
            for day in range(first, last + 1):
                hours[day] = (opens, closes)
        ZoneInfo(zone)  # an unknown zone fails here, at start-up, not on the first ticket
        return cls(hours, zone, frozenset(date.fromisoformat(d.strip()) for d in holidays if d.strip()))

    @property
    def always_open(self) -> bool:
        return not self.hours

    def add(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` of working time after `start` (timezone-aware, returned in UTC)."""
        if self.always_open:
            return start + timedelta(hours=hours)
        remaining = timedelta(hours=hours)
        for opens, closes in self._open_periods(start):
            if remaining <= closes - opens:
                return (opens + remaining).astimezone(UTC)
            remaining -= closes - opens
        raise ValueError("no working time in the coming year")  # pragma: no cover - a calendar with no hours

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two moments (zero when end is not after start)."""
        if end <= start:
            return timedelta(0)
        if self.always_open:
            return end - start
        total = timedelta(0)
        for opens, closes in self._open_periods(start):
            if opens >= end:
                break
            total += min(closes, end) - opens
        return total

    def _open_periods(self, start: datetime):
        """(opens, closes) of every working period from `start` on, clipped to it, for up to a year."""
        local = start.astimezone(ZoneInfo(self.zone))
        for offset in range(370):
            day = local.date() + timedelta(days=offset)
            if day in self.holidays or day.weekday() not in self.hours:
                continue
            opens_at, closes_at = self.hours[day.weekday()]
            opens = datetime.combine(day, opens_at, ZoneInfo(self.zone))
            closes = datetime.combine(day, closes_at, ZoneInfo(self.zone))
            opens = max(opens, local)
            if opens < closes:
                yield opens, closes


def target_hours(targets: Mapping[str, float], priority: str | None, default: float) -> float:
    """The target for a priority; `default` when none is set for it (or the priority is unknown)."""
    return targets.get(priority or "", default)


def parse_targets(spec: str, default: float | None) -> dict[str, float]:
    """'P1=1,P2=4' -> hours per priority; priorities not named get `default` (None: left out)."""
    targets = {} if default is None else dict.fromkeys(PRIORITIES, default)
    for part in filter(str.strip, spec.split(",")):
        name, _, hours = part.partition("=")
        name = name.strip().upper()
        if name not in PRIORITIES or not hours.strip():
            raise ValueError(f"SLA targets must look like 'P1=1,P2=4', not {part.strip()!r}")
        targets[name] = float(hours)
    return targets
