"""Wiring the API blueprint into the app: CSRF exemption, authentication, rate limit, errors, call log."""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request

from portal.api import bp
from portal.api.errors import ApiError, api_error_response, is_api_request
from portal.api.keys import authenticate, rate_limit_key
from portal.config import settings
from portal.extensions import csrf, db, limiter
from portal.models import ApiCall

log = logging.getLogger(__name__)
PUBLIC_ENDPOINTS = {"api.openapi"}


def _api_rate_limit() -> str:
    return settings().rate_limits.api


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # no cookies are trusted here; the key in the header is the credential
    limiter.limit(_api_rate_limit, key_func=rate_limit_key)(bp)
    app.register_error_handler(ApiError, api_error_response)
    app.before_request(_start_clock)
    app.after_request(_log_call)


@bp.before_request
def _authenticate() -> None:
    if request.endpoint not in PUBLIC_ENDPOINTS:
        authenticate()


def _start_clock() -> None:
    g.api_started = time.perf_counter()


def _log_call(response):
    """One api_calls row per API request (also refused ones), in a transaction of its own."""
    if not is_api_request():
        return response
    elapsed = (time.perf_counter() - g.get("api_started", time.perf_counter())) * 1000
    try:
        db.session.rollback()  # views commit what they keep; anything still pending here is abandoned
        db.session.add(
            ApiCall(
                api_key_id=g.get("api_key_id"),
                method=request.method[:8],
                path=request.path[:300],
                status=response.status_code,
                duration_ms=round(elapsed, 2),
            )
        )
        db.session.commit()
    except Exception:  # the answer matters more than its log line
        db.session.rollback()
        log.exception("could not log API call %s %s", request.method, request.path)
    return response
