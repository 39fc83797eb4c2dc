"""The OpenAI-compatible backend: any server speaking the chat-completions protocol with tool calls
(OpenAI, Ollama, vLLM, LM Studio, llama.cpp's server), through ChatOpenAI (langchain-openai) and the
same tool-calling loop as the Mistral backend (worker/agent/backends/chat_loop.py).

What differs from Mistral is only the client: the openai SDK (on httpx2) raises its own exceptions,
classified here for retry.py, and has its own retries, turned off so retry.py's deadline holds.
Token counts come from the server's `usage`; nothing here counts tokens locally, so tiktoken (which
downloads its encodings on first use) is never called.
"""

from __future__ import annotations

from typing import Any

from portal.config_agent import ChatSettings
from worker.agent.backends.chat_loop import ChatModelBackend
from worker.agent.backends.retry import RETRYABLE_STATUS, ErrorKinds, retry_after_seconds

# The openai SDK refuses to start without a key; local servers ignore the Authorization header.
NO_KEY = "not-needed"


def build_chat_model(settings: ChatSettings):
    """ChatOpenAI on the configured server, chat completions only, with the SDK's retries turned off."""
    from langchain_openai import ChatOpenAI  # slow import: only when the backend is used

    return ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,  # explicit, so OPENAI_API_BASE and the like in the env are ignored
        api_key=settings.api_key or NO_KEY,
        temperature=0.0,  # support answers should not vary from run to run
        max_retries=0,  # one attempt: retry.py does the retrying, with 429/5xx and Retry-After
        timeout=settings.timeout,
        use_responses_api=False,  # local servers speak chat completions only
    )


def openai_error_kinds() -> ErrorKinds:
    """The openai SDK's errors, classified like retry.classify classifies httpx's."""
    import openai

    return ErrorKinds((openai.APIError,), classify_openai_error)


def classify_openai_error(exc: BaseException) -> tuple[bool, float | None, str]:
    """(retryable, retry_after, short description) for an exception the openai SDK raised."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        return status in RETRYABLE_STATUS, _retry_after(exc.response), f"HTTP {status}"
    cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else type(exc).__name__
    if isinstance(exc, openai.APITimeoutError):
        return True, None, f"timeout ({cause})"
    if isinstance(exc, openai.APIConnectionError):
        return True, None, f"connection error ({cause})"
    return False, None, type(exc).__name__  # e.g. a response that does not fit the protocol


def _retry_after(response: Any) -> float | None:
    """OpenAI's own `retry-after-ms` when sent, else the standard Retry-After."""
    millis = response.headers.get("retry-after-ms") if response is not None else None
    try:
        return max(0.0, float(millis) / 1000) if millis else retry_after_seconds(response)
    except ValueError:
        return retry_after_seconds(response)


class OpenAIBackend(ChatModelBackend):
    """Decides with a model on an OpenAI-compatible server through tool calls (see chat_loop.py)."""

    name = "openai"

    def __init__(self, settings: ChatSettings):
        """AgentSettings.openai (OPENAI_API_KEY may be unset: local servers need none)."""
        self.settings = settings
        self.model = self.settings.model
        self.chat = build_chat_model(self.settings)
        self.errors = openai_error_kinds()
