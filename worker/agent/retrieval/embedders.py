"""The embedder interface and Mistral's API embedder (the offline one lives in `lsa.py`).

Every embedder returns L2-normalised float32 rows, so inner product is cosine similarity.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from worker.agent.hub import stay_offline

logger = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors; `name` identifies model and parameters."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One normalised row per text.

        Used for queries, and for corpus chunks unless the embedder also has
        `embed_documents(texts)`, which the index then prefers for chunks.
        """
        ...


@runtime_checkable
class FittedEmbedder(Embedder, Protocol):
    """An embedder fitted on the corpus it indexes; its state is saved with the index."""

    def fit(self, texts: Sequence[str]) -> np.ndarray:
        """Learn vocabulary and projection from the corpus; return the corpus's vectors."""
        ...

    def save(self, directory: Path) -> None:
        """Write the fitted state into `directory`."""
        ...

    def load(self, directory: Path) -> None:
        """Read the fitted state written by `save`."""
        ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    """L2-normalise rows as float32; all-zero rows (nothing recognised) stay zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


class MistralEmbedder:
    """Mistral's `mistral-embed` through langchain_mistralai (network; used when a key is set)."""

    def __init__(
        self,
        api_key: str,
        base_url: str = "https://api.mistral.ai/v1",
        timeout: float = 30.0,
        model: str = "mistral-embed",
    ) -> None:
        from langchain_mistralai import MistralAIEmbeddings

        # Offline, the client counts characters to size its batches and warns about it (expected).
        stay_offline()
        self.name = self.name_for(model)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Could not download mistral tokenizer")
            self._client = MistralAIEmbeddings(
                api_key=api_key,
                endpoint=base_url if base_url.endswith("/") else base_url + "/",
                timeout=max(1, round(timeout)),
                model=model,
                max_retries=2,
                wait_time=1,
            )

    @staticmethod
    def name_for(model: str = "mistral-embed") -> str:
        """The embedder name an index built with `model` records."""
        return f"mistral:{model}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts with one API call per batch."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return normalise(np.array(self._client.embed_documents(list(texts)), dtype=np.float32))
