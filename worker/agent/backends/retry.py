"""Retries for model API calls: exponential backoff with jitter on 429, 5xx and timeouts.

langchain-mistralai retries only transport errors (its tenacity decorator waits 4-10 s and knows
nothing of 429 or Retry-After), and the openai SDK under langchain-openai has retries of its own
that ignore the run's deadline; so both backends turn them off and retry here instead, where the
waits are configurable and bounded by the run's deadline. What counts as a transport error differs
by client (httpx for Mistral, the openai SDK's exceptions for OpenAI-compatible servers): an
`ErrorKinds` names the exception types and how to classify them; `HTTPX_ERRORS` is the default.
The loop itself is tenacity's (`call_with_retries`); this module only supplies its rules.
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
from tenacity import RetryCallState, Retrying, retry_if_exception

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
    """Call fn, retrying transient failures (tenacity); raise BackendError(transient=...) when it gives up.

    Ours are only the rules tenacity asks for: which failures retry (`errors.classify`), how long to wait
    (`policy.wait`, Retry-After first) and when to stop (max retries, or a wait that would pass the run's
    deadline); the loop, the attempt count and the sleeping are tenacity's.
    """

    def wait(state: RetryCallState) -> float:
        _retryable, retry_after, _what = errors.classify(state.outcome.exception())
        return policy.wait(state.attempt_number, retry_after)

    def stop(state: RetryCallState) -> bool:  # tenacity computes the wait first: the deadline sees it
        return state.attempt_number > policy.max_retries or _past_deadline(policy, state.upcoming_sleep)

    def before_sleep(state: RetryCallState) -> None:
        what = errors.classify(state.outcome.exception())[2]
        logger.warning(
            "model call failed (%s); retry %d in %.2fs", what, state.attempt_number, state.upcoming_sleep
        )
        if on_retry is not None:
            on_retry(state.attempt_number, what, state.upcoming_sleep)

    retrying = Retrying(
        retry=retry_if_exception(lambda exc: isinstance(exc, errors.types) and errors.classify(exc)[0]),
        wait=wait,
        stop=stop,
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )
    try:
        return retrying(fn)
    except errors.types as exc:
        retryable, _retry_after, what = errors.classify(exc)
        if not retryable:
            raise BackendError(f"model API refused the request: {what}", transient=False) from exc
        attempts = retrying.statistics.get("attempt_number", 1)
        raise BackendError(f"model API unavailable after {attempts} attempt(s): {what}") from exc


def _past_deadline(policy: RetryPolicy, wait: float) -> bool:
    return policy.deadline is not None and time.monotonic() + wait >= policy.deadline
