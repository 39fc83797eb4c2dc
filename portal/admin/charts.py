"""Server-rendered SVG charts: geometry here, markup (autoescaped) in the templates; no JS, no CDN."""

from __future__ import annotations

from dataclasses import dataclass

STATUS_COLORS = {
    "new": "#6c757d",
    "processing": "#0dcaf0",
    "answered": "#0d6efd",
    "escalated": "#ffc107",
    "resolved": "#198754",
}
STATUS_ORDER = ("resolved", "answered", "escalated", "processing", "new")


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True)
class StackedBars:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    rects: list[Rect]
    labels: list[tuple[float, str]]  # x, text (every few days)
    y_ticks: list[tuple[float, int]]  # y, value
    legend: list[tuple[str, str]]  # status, color


def stacked_by_day(
    by_day: dict[str, dict[str, int]], height: int = 220, bar: int = 18, gap: int = 6
) -> StackedBars:
    """A stacked bar per day (one colour per ticket status)."""
    left, top, bottom = 36, 10, height - 28
    peak = max([sum(day.values()) for day in by_day.values()] + [1])
    scale = (bottom - top) / _nice_ceiling(peak)
    rects, labels = [], []
    for index, (day, counts) in enumerate(by_day.items()):
        x = left + index * (bar + gap)
        y = bottom
        for status in STATUS_ORDER:
            count = counts.get(status, 0)
            if count:
                y -= count * scale
                rects.append(
                    Rect(x, y, bar, count * scale, STATUS_COLORS[status], f"{day}: {count} {status}")
                )
        if index % 5 == 0 or index == len(by_day) - 1:
            labels.append((x + bar / 2, day[5:]))
    ticks = [(bottom - value * scale, value) for value in _ticks(_nice_ceiling(peak))]
    width = left + len(by_day) * (bar + gap)
    legend = [(status, STATUS_COLORS[status]) for status in STATUS_ORDER]
    return StackedBars(width, height, top, bottom, rects, labels, ticks, legend)


def _nice_ceiling(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return -(-value // step) * step
    return value


def _ticks(ceiling: int) -> list[int]:
    return sorted({0, ceiling // 4 * 1, ceiling // 2, ceiling * 3 // 4, ceiling})
