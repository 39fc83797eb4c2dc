"""The offline embedder: TF-IDF over words and character n-grams, projected with truncated SVD.

Chosen by measurement (docs/retrieval.md, bench/retrieval_eval.py): on our policies it finds
the right policy in the top 3 as often as all-MiniLM-L6-v2, ten times faster and with nothing
to install beyond scikit-learn. Word unigrams and bigrams carry the topic; character 3-5-grams
inside word boundaries absorb typos ("refnud") and word forms ("cancelled"/"cancellation");
synonym rules add the policies' words to customers' phrasings. SVD (LSA) turns the sparse
vectors into short dense ones for FAISS.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from worker.agent.retrieval import synonyms
from worker.agent.retrieval.embedders import normalise

STATE_FILE = "lsa.npz"
# Above this many chunks the SVD is fitted on a fixed random sample of them (every chunk is
# still projected): fitting cost grows with the corpus, the topical directions barely change.
SVD_FIT_MAX = 5000


class LsaEmbedder:
    """Fitted on the corpus it indexes; state saved as plain numpy arrays (no pickle)."""

    def __init__(self, dim: int = 256, use_synonyms: bool = True, char_weight: float = 1.0) -> None:
        self.dim = dim
        self.use_synonyms = use_synonyms
        self.char_weight = char_weight
        syn = f"syn{synonyms.VERSION}" if use_synonyms else "nosyn"
        self.name = (
            f"offline-lsa-v1:dim={dim};word=1-2;char_wb=3-5;cw={char_weight:g};svdfit={SVD_FIT_MAX};{syn}"
        )
        self._word: TfidfVectorizer | None = None
        self._char: TfidfVectorizer | None = None
        self._components: np.ndarray | None = None  # (dim, n_features)
        self._query: _QueryProjector | None = None

    def fit(self, texts: Sequence[str]) -> np.ndarray:
        """Fit vectorizers and SVD on the corpus (fixed seeds: deterministic); return its vectors."""
        prepared = self._prepare(texts, query=False)
        self._word, self._char = _word_vectorizer(), _char_vectorizer()
        word = self._word.fit_transform(prepared)
        char = self._char.fit_transform(prepared) * self.char_weight
        matrix = sparse.hstack([word, char], format="csr")
        self._set_components(_svd_components(matrix, self.dim))
        return normalise(matrix @ self._components.T)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries (synonym-expanded) one by one on the fast path."""
        self._check_fitted()
        if not texts:
            return np.zeros((0, self._components.shape[0]), dtype=np.float32)
        return np.vstack([self._query.project(text) for text in self._prepare(texts)])

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Embed corpus chunks in one batch (no synonym expansion)."""
        self._check_fitted()
        return normalise(self._sparse(self._prepare(texts, query=False)) @ self._components.T)

    def save(self, directory: Path) -> None:
        """Write vocabularies, idf weights and SVD components into `directory`."""
        self._check_fitted()
        np.savez(
            Path(directory) / STATE_FILE,
            word_terms=np.array(_terms(self._word), dtype=str),
            word_idf=self._word.idf_,
            char_terms=np.array(_terms(self._char), dtype=str),
            char_idf=self._char.idf_,
            components=self._components,
        )

    def load(self, directory: Path) -> None:
        """Rebuild the fitted vectorizers from the arrays `save` wrote."""
        with np.load(Path(directory) / STATE_FILE, allow_pickle=False) as data:
            self._word = _word_vectorizer(data["word_terms"].tolist())
            self._word.idf_ = data["word_idf"]
            self._char = _char_vectorizer(data["char_terms"].tolist())
            self._char.idf_ = data["char_idf"]
            self._set_components(data["components"])

    def _prepare(self, texts: Sequence[str], query: bool = True) -> list[str]:
        # Synonyms expand queries only: the policies already use the canonical words, and
        # expanding them too spreads words like "delivery" over every page, flattening idf.
        return [synonyms.expand(t) if self.use_synonyms and query else t.lower() for t in texts]

    def _sparse(self, texts: list[str]) -> sparse.csr_matrix:
        word = self._word.transform(texts)
        char = self._char.transform(texts) * self.char_weight
        return sparse.hstack([word, char], format="csr")

    def _set_components(self, components: np.ndarray) -> None:
        self._components = np.asarray(components, dtype=np.float32)
        self._query = _QueryProjector(self._word, self._char, self._components, self.char_weight)

    def _check_fitted(self) -> None:
        if self._components is None:
            raise RuntimeError("LsaEmbedder used before fit() or load()")


class _QueryProjector:
    """Embeds one text without scikit-learn's per-call overhead (3x faster for a query).

    Computes exactly what `embed_documents` does for one row: sublinear tf times idf,
    L2-normalised per block, char block weighted, projected, normalised. A test keeps the
    two paths equal.
    """

    def __init__(
        self, word: TfidfVectorizer, char: TfidfVectorizer, components: np.ndarray, char_weight: float
    ) -> None:
        n_word = len(word.vocabulary_)
        self._blocks = [
            (word.build_analyzer(), word.vocabulary_, word.idf_.astype(np.float32), 1.0, 0),
            (char.build_analyzer(), char.vocabulary_, char.idf_.astype(np.float32), char_weight, n_word),
        ]
        self._rows = np.ascontiguousarray(components.T)  # (n_features, dim): gather rows by term id

    def project(self, text: str) -> np.ndarray:
        """The normalised embedding of one prepared (lower-cased, expanded) text."""
        vector = np.zeros(self._rows.shape[1], dtype=np.float32)
        for analyzer, vocabulary, idf, weight, offset in self._blocks:
            counts = Counter(vocabulary[t] for t in analyzer(text) if t in vocabulary)
            if not counts:
                continue
            ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            weights = (1.0 + np.log(tf)) * idf[ids]
            weights *= weight / np.linalg.norm(weights)
            vector += weights @ self._rows[ids + offset]
        return normalise(vector)[0]


def _svd_components(matrix: sparse.csr_matrix, dim: int) -> np.ndarray:
    if matrix.shape[0] > SVD_FIT_MAX:
        rows = np.random.default_rng(0).choice(matrix.shape[0], SVD_FIT_MAX, replace=False)
        matrix = matrix[np.sort(rows)]
    n_components = max(1, min(dim, matrix.shape[0] - 1, matrix.shape[1] - 1))
    algorithm = "arpack" if n_components < 100 else "randomized"
    return (
        TruncatedSVD(n_components=n_components, algorithm=algorithm, random_state=0).fit(matrix).components_
    )


def _word_vectorizer(vocabulary: list[str] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        sublinear_tf=True,
        stop_words="english",
        token_pattern=r"(?u)\b\w+\b",  # noqa: S106 - a regex, not a password
        dtype=np.float32,
        vocabulary=_vocabulary(vocabulary),
    )


def _char_vectorizer(vocabulary: list[str] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(3, 5),
        sublinear_tf=True,
        dtype=np.float32,
        vocabulary=_vocabulary(vocabulary),
    )


def _vocabulary(terms: list[str] | None) -> dict[str, int] | None:
    return None if terms is None else {term: i for i, term in enumerate(terms)}


def _terms(vectorizer: TfidfVectorizer) -> list[str]:
    return [term for term, _ in sorted(vectorizer.vocabulary_.items(), key=lambda item: item[1])]
