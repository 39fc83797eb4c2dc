"""Retries for model API calls: exponential backoff with jitter on 429, 5xx and timeouts.

langchain-mistralai retries only transport errors (its tenacity decorator waits 4-10 s and knows
nothing of 429 or Retry-After), and the openai SDK under langchain-openai has retries of its own
that ignore the run's deadline; so both backends turn them off and retry here instead, where the
waits are configurable and bounded by the run's deadline. What counts as a transport error differs
by client (httpx for Mistral, the openai SDK's exceptions for OpenAI-compatible servers): an
`ErrorKinds` names the exception types and how to classify them; `HTTPX_ERRORS` is the default.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx

from worker.agent.backends.base import BackendError

logger = logging.getLogger(__name__)

T = TypeVar("T")
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait; `deadline` is a time.monotonic() value no retry may pass."""

    max_retries: int = 3
    backoff: float = 0.5  # first wait in seconds, doubled each retry
    max_backoff: float = 8.0
    deadline: float | None = None

    def wait(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `attempt` (1-based): Retry-After wins when given."""
        if retry_after is not None:
            return retry_after  # the server knows best; the deadline still bounds it
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # "equal jitter": spread retries, keep a floor


def retry_after_seconds(response: httpx.Response | None) -> float | None:
    """The Retry-After header in seconds (delta or HTTP date), or None."""
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def classify(exc: BaseException) -> tuple[bool, float | None, str]:
    """(retryable, retry_after, short description) for an exception raised by a model call."""
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return status in RETRYABLE_STATUS, retry_after_seconds(exc.response), f"HTTP {status}"
    if isinstance(exc, httpx.TimeoutException):
        return True, None, f"timeout ({type(exc).__name__})"
    if isinstance(exc, httpx.TransportError):
        return True, None, f"connection error ({type(exc).__name__})"
    return False, None, type(exc).__name__


@dataclass(frozen=True)
class ErrorKinds:
    """A client's transport errors: the exception types, and (retryable, retry_after, what) for one."""

    types: tuple[type[BaseException], ...]
    classify: Callable[[BaseException], tuple[bool, float | None, str]]


HTTPX_ERRORS = ErrorKinds((httpx.HTTPError, httpx.StreamError), classify)


def call_with_retries(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    on_retry: Callable[[int, str, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    errors: ErrorKinds = HTTPX_ERRORS,
) -> T:
    """Call fn, retrying transient failures; raise BackendError(transient=...) when it gives up."""
    attempt = 0
    while True:
        try:
            return fn()
        except errors.types as exc:
            retryable, retry_after, what = errors.classify(exc)
            if not retryable:
                raise BackendError(f"model API refused the request: {what}", transient=False) from exc
            attempt += 1
            wait = policy.wait(attempt, retry_after)
            if attempt > policy.max_retries or _past_deadline(policy, wait):
                raise BackendError(f"model API unavailable after {attempt} attempt(s): {what}") from exc
            logger.warning("model call failed (%s); retry %d in %.2fs", what, attempt, wait)
            if on_retry is not None:
                on_retry(attempt, what, wait)
            sleep(wait)


def _past_deadline(policy: RetryPolicy, wait: float) -> bool:
    return policy.deadline is not None and time.monotonic() + wait >= policy.deadline
