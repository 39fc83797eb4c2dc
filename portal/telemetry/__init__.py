"""Prometheus metrics: `/metrics` for the scraper, request timing, and the counters jobs update.

`/metrics` is open like `/healthz` unless METRICS_TOKEN is set (then it needs
`Authorization: Bearer <token>`): put it behind the internal network either way.
"""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Flask, Response, abort, g, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.config import settings
from portal.telemetry.metrics import REQUEST_SECONDS, REQUESTS, TICKETS_CREATED

bp = Blueprint("telemetry", __name__)
_NEW_TICKETS = "telemetry_new_tickets"


@bp.route("/metrics")
def metrics() -> Response:
    from portal.telemetry.exposition import latest

    token = settings().security.metrics_token
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and not hmac.compare_digest(given.encode(), token.encode()):
        abort(401)
    body, content_type = latest()
    return Response(body, content_type=content_type)


def init_app(app: Flask) -> None:
    """Time every request and count tickets once their transaction commits."""
    app.register_blueprint(bp)
    app.before_request(_start_timer)
    app.after_request(_observe)
    if not event.contains(Session, "after_flush", _remember_new_tickets):
        event.listen(Session, "after_flush", _remember_new_tickets)
        event.listen(Session, "after_commit", _count_new_tickets)
        event.listen(Session, "after_rollback", _forget_new_tickets)


def _start_timer() -> None:
    g.telemetry_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("telemetry_started", None)
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
    if started is not None and endpoint != "telemetry.metrics":
        REQUEST_SECONDS.labels(endpoint, request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    return response


def _remember_new_tickets(session: Session, _flush_context) -> None:
    from portal.models import Ticket

    created = sum(1 for obj in session.new if isinstance(obj, Ticket))
    if created:
        session.info[_NEW_TICKETS] = session.info.get(_NEW_TICKETS, 0) + created


def _count_new_tickets(session: Session) -> None:
    # after_commit also fires when a savepoint is released; only the outermost commit makes it real.
    if session.in_nested_transaction():
        return
    created = session.info.pop(_NEW_TICKETS, 0)
    if created:
        TICKETS_CREATED.inc(created)


def _forget_new_tickets(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_NEW_TICKETS, None)
