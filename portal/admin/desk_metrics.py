"""The admin metrics page's desk section: a chosen date range, and the same figures as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

from flask import Response, request

from portal.admin import bp, metrics
from portal.config import settings
from portal.models import utcnow

MAX_RANGE_DAYS = 366


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value and len(value) == 10 else None
    except ValueError:
        return None


def date_window(args, default_since: datetime, now: datetime) -> tuple[datetime, datetime]:
    """[from 00:00, to+1 day 00:00) UTC from ?from=YYYY-MM-DD&to=YYYY-MM-DD; anything odd: the default."""
    first = _day(args.get("from")) or default_since.date()
    last = _day(args.get("to")) or now.date()
    if first > last or (last - first).days >= MAX_RANGE_DAYS:
        first, last = default_since.date(), now.date()
    since = datetime.combine(first, time(), UTC)
    return since, min(datetime.combine(last + timedelta(days=1), time(), UTC), now)


def desk_for(args, default_since: datetime) -> metrics.DeskMetrics:
    now = utcnow()
    since, until = date_window(args, default_since, now)
    return metrics.desk_metrics(since, until, settings().desk.assumed_resolved_days, now)


@bp.route("/metrics/desk.csv")
def desk_metrics_csv():
    now = utcnow()
    data = desk_for(request.args, now - timedelta(days=29))
    out = io.StringIO()
    csv.writer(out).writerows(metrics.desk_csv_rows(data))
    name = f"desk-metrics-{data.since:%Y-%m-%d}-{data.last_day:%Y-%m-%d}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
