"""Decision backends: Mistral when MISTRAL_API_KEY is set, an OpenAI-compatible server with
AGENT_BACKEND=openai, else the offline rules (see base.py and docs/models.md)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from tools.escalation_policy import EscalationRules
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
_SETTINGS_PREFIX = {"mistral": "MISTRAL_", "openai": "OPENAI_"}


def backend_name(config: Mapping[str, Any]) -> str:
    """'mistral' when an API key is configured, else 'offline' (AGENT_BACKEND may force one).

    'openai' is never picked automatically: OPENAI_API_KEY is often set in a shell for other tools
    and a local server needs none, so sending tickets to such a server is an explicit choice.
    """
    forced = (config.get("AGENT_BACKEND") or "").lower()
    if forced in {"offline", "mistral", "openai"}:
        return forced
    return "mistral" if config.get("MISTRAL_API_KEY") else "offline"


def get_backend(config: Mapping[str, Any]) -> Backend:
    """The configured backend, created once per process (per backend and settings)."""
    name = backend_name(config)
    prefix = _SETTINGS_PREFIX.get(name, "MISTRAL_")
    settings = tuple(sorted((k, str(v)) for k, v in config.items() if k.startswith(prefix)))
    key = (name, config.get("ESCALATE_CONFIDENCE_BELOW"), config.get("AGENT_JOB_TIMEOUT"), settings)
    with _lock:
        if key not in _cache:
            _cache[key] = _create(name, config)
        return _cache[key]


def _create(name: str, config: Mapping[str, Any]) -> Backend:
    if name == "mistral":
        from worker.agent.backends.mistral import MistralBackend  # lazy: langchain is slow to import

        return MistralBackend(config)
    if name == "openai":
        from worker.agent.backends.openai_compatible import OpenAIBackend  # lazy, like Mistral's

        return OpenAIBackend(config)
    from worker.agent.backends.offline import OfflineBackend

    return OfflineBackend(min_confidence=EscalationRules.from_config(config).confidence_below)
