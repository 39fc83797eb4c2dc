"""JSON errors with stable codes: {"error": {"code": "not_found", "message": "...", "details": [...]}}.

Every failure under /api/ answers in this shape, also those raised before a view runs (unknown URL,
body too large, rate limit), which is why portal/errors.py asks `is_api_request` first.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

API_PREFIX = "/api/"

# HTTP status -> the code clients can rely on (ApiError may name a more precise one).
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
}


class ApiError(Exception):
    """An API failure with its HTTP status and stable code."""

    def __init__(self, status: int, code: str, message: str, details: list[Any] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(status: int, code: str, message: str, details: list[Any] | None = None, headers=None):
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    response = jsonify({"error": body})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def api_error_response(error: ApiError):
    return error_response(error.status, error.code, error.message, error.details)


def http_error_response(error: HTTPException, headers=None):
    """An HTTP error (404, 413, 429 ...) in the API's JSON shape."""
    status = error.code or 500
    message = error.description if status != 500 else "Something went wrong on our side."
    return error_response(status, STATUS_CODES.get(status, "error"), str(message), headers=headers)
