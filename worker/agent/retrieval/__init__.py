"""Policy retrieval for the agent: chunk `policies/*.md`, embed, search with FAISS.

    index = load_index(get_settings(app).agent, app.instance_path)   # cached per process
    passages = index.search("Do you ship internationally?", k=3)

The index lives in `<instance>/policy_index/` and rebuilds itself when the policies, the policy
limits they are rendered with (portal.help.policy_text) or the embedder change. A policy's text is its latest
admin-edited revision, else its file (portal.services.content): every job asks the database for the
content version (one primary-key lookup) and rebuilds/reloads when an admin saved a revision.
`flask --app wsgi agent index` calls `build_index` to build it ahead of time.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from flask import has_app_context

from portal.config_agent import AgentSettings
from worker.agent.retrieval.chunking import Chunk, chunk_markdown, load_policy_chunks, policies_hash
from worker.agent.retrieval.embedders import Embedder, MistralEmbedder
from worker.agent.retrieval.index import Passage, PolicyIndex
from worker.agent.retrieval.lsa import LsaEmbedder

__all__ = [
    "Chunk",
    "Embedder",
    "LsaEmbedder",
    "MistralEmbedder",
    "Passage",
    "PolicyIndex",
    "build_index",
    "chunk_markdown",
    "clear_cache",
    "get_embedder",
    "index_dir",
    "load_index",
    "load_policy_chunks",
    "policies_hash",
]

logger = logging.getLogger(__name__)

INDEX_DIRNAME = "policy_index"

_lock = threading.Lock()
# index_dir -> (manifest stat signature, policies hash, embedder name, content version, overrides, index)
_cache: dict[str, tuple[Any, ...]] = {}


def get_embedder(agent: AgentSettings) -> Embedder:
    """Mistral's embedder when a key is set and RETRIEVAL_EMBEDDER is not 'offline'; else offline."""
    if _use_mistral(agent):
        mistral = agent.mistral
        return MistralEmbedder(api_key=mistral.api_key, base_url=mistral.base_url, timeout=mistral.timeout)
    return LsaEmbedder()


def index_dir(instance_path: str | Path) -> Path:
    """Where the policy index of an app instance lives."""
    return Path(instance_path) / INDEX_DIRNAME


def build_index(agent: AgentSettings, instance_path: str | Path, force: bool = False) -> PolicyIndex:
    """Build (or, unless `force`, reuse a current) index for the CLI; refreshes the process cache."""
    embedder = get_embedder(agent)
    target = index_dir(instance_path)
    limits = agent.limits
    overrides = policy_overrides()
    if force:
        index = PolicyIndex.build(agent.policies_dir, embedder, limits=limits, overrides=overrides)
        index.save(target)
    else:
        index = PolicyIndex.load_or_build(
            agent.policies_dir, target, embedder, limits=limits, overrides=overrides
        )
    with _lock:
        _cache.pop(str(target), None)
    return index


def load_index(agent: AgentSettings, instance_path: str | Path) -> PolicyIndex:
    """The process-wide index: loaded once, reloaded when the manifest or the policies change.

    The policies change with their files or with an admin's revision: the content version (one query)
    says whether the cached revision texts are still current, so an unchanged database costs no more.
    """
    policies_dir = agent.policies_dir
    target = index_dir(instance_path)
    embedder_name = _embedder_name(agent)
    limits = agent.limits
    version = current_content_version()
    with _lock:
        cached = _cache.get(str(target))
        overrides = cached[4] if cached and cached[3] == version else policy_overrides()
        signature = _manifest_signature(target)
        corpus_hash = policies_hash(policies_dir, limits, overrides)
        if cached and cached[:4] == (signature, corpus_hash, embedder_name, version):
            return cached[5]
        index = PolicyIndex.load_or_build(
            policies_dir, target, get_embedder(agent), limits=limits, overrides=overrides
        )
        signature = _manifest_signature(target)
        _cache[str(target)] = (signature, corpus_hash, index.embedder.name, version, overrides, index)
        return index


def current_content_version() -> int | None:
    """The revisions' version, or None outside an app (a bench script): then only the files count."""
    if not has_app_context():
        return None
    from portal.services.content import content_version

    return content_version()


def policy_overrides() -> dict[str, str]:
    """stem → the latest admin-edited template text; nothing outside an app."""
    if not has_app_context():
        return {}
    from portal.services.content import POLICY, latest_texts

    return latest_texts(POLICY)


def clear_cache() -> None:
    """Forget every cached index (tests, or after editing policies by hand)."""
    with _lock:
        _cache.clear()


def _use_mistral(agent: AgentSettings) -> bool:
    choice = str(agent.retrieval_embedder).lower()
    if choice not in {"offline", "mistral", "auto"}:
        raise ValueError(f"RETRIEVAL_EMBEDDER must be auto, offline or mistral, not {choice!r}")
    if choice == "mistral" and not agent.mistral.api_key:
        raise ValueError("RETRIEVAL_EMBEDDER=mistral needs MISTRAL_API_KEY")
    return choice != "offline" and bool(agent.mistral.api_key)


def _embedder_name(agent: AgentSettings) -> str:
    # Only the name is needed to validate the cache: no API client built on every call.
    return MistralEmbedder.name_for() if _use_mistral(agent) else LsaEmbedder().name


def _manifest_signature(target: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(target / "manifest.json")
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_ino)
