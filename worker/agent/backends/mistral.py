"""The Mistral backend: ChatMistralAI (langchain-mistralai) driven by the shared tool-calling loop.

The loop itself (prompt, tool calls through the toolbox, retries, tokens and cost, the reply guards)
is worker/agent/backends/chat_loop.py, shared with the OpenAI-compatible backend; this module reads
the MISTRAL_* settings (AgentSettings.mistral) and builds the chat model over our own httpx client.
"""

from __future__ import annotations

import math

import httpx

from portal.config_agent import ChatSettings
from worker.agent.backends.chat_loop import ChatModelBackend
from worker.agent.hub import stay_offline


def build_chat_model(settings: ChatSettings):
    """ChatMistralAI over our own httpx client (float timeout), with langchain's retries turned off."""
    stay_offline()  # never fetch a tokenizer from the Hugging Face hub
    from langchain_mistralai import ChatMistralAI  # slow import: only when the backend is used

    client = httpx.Client(
        base_url=settings.base_url,
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {settings.api_key}",
        },
        timeout=httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0)),
    )
    return ChatMistralAI(
        api_key=settings.api_key,
        endpoint=settings.base_url,
        model=settings.model,
        temperature=0.0,  # support answers should not vary from run to run
        max_retries=1,  # one attempt: retry.py does the retrying, with 429/5xx and Retry-After
        timeout=max(1, math.ceil(settings.timeout)),
        client=client,
    )


class MistralBackend(ChatModelBackend):
    """Decides with a Mistral model through tool calls (see chat_loop.py)."""

    name = "mistral"

    def __init__(self, settings: ChatSettings):
        """Raises ValueError without an API key (MISTRAL_API_KEY)."""
        if not settings.api_key:
            raise ValueError("the Mistral backend needs MISTRAL_API_KEY")
        self.settings = settings
        self.model = self.settings.model
        self.chat = build_chat_model(self.settings)
