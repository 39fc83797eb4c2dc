"""Decision backends: Mistral when MISTRAL_API_KEY is set, an OpenAI-compatible server with
AGENT_BACKEND=openai, else the offline rules (see base.py and docs/models.md)."""

from __future__ import annotations

import threading
from typing import Any

from portal.config_agent import AgentSettings
from worker.agent.backends.base import (
    ACTIONS,
    TOOL_ACTIONS,
    AgentContext,
    Backend,
    BackendError,
    BackendResult,
    Citation,
    Toolbox,
    ToolOutcome,
    Turn,
    Usage,
    action_of_tool,
)

__all__ = [
    "ACTIONS",
    "TOOL_ACTIONS",
    "AgentContext",
    "Backend",
    "BackendError",
    "BackendResult",
    "Citation",
    "ToolOutcome",
    "Toolbox",
    "Turn",
    "Usage",
    "action_of_tool",
    "get_backend",
]

_lock = threading.Lock()
_cache: dict[tuple[Any, ...], Backend] = {}


def backend_name(agent: AgentSettings) -> str:
    """'mistral' when an API key is configured, else 'offline' (AGENT_BACKEND may force one).

    'openai' is never picked automatically: OPENAI_API_KEY is often set in a shell for other tools
    and a local server needs none, so sending tickets to such a server is an explicit choice.
    """
    forced = (agent.backend or "").lower()
    if forced in {"offline", "mistral", "openai"}:
        return forced
    return "mistral" if agent.mistral.api_key else "offline"


def get_backend(agent: AgentSettings) -> Backend:
    """The configured backend, created once per process (per backend and settings)."""
    name = backend_name(agent)
    chat = agent.openai if name == "openai" else agent.mistral  # frozen, so a key; holds the job timeout
    key = (name, agent.escalation.confidence_below, chat)
    with _lock:
        if key not in _cache:
            _cache[key] = _create(name, agent)
        return _cache[key]


def _create(name: str, agent: AgentSettings) -> Backend:
    if name == "mistral":
        from worker.agent.backends.mistral import MistralBackend  # lazy: langchain is slow to import

        return MistralBackend(agent.mistral)
    if name == "openai":
        from worker.agent.backends.openai_compatible import OpenAIBackend  # lazy, like Mistral's

        return OpenAIBackend(agent.openai)
    from worker.agent.backends.offline import OfflineBackend

    return OfflineBackend(min_confidence=agent.escalation.confidence_below)
