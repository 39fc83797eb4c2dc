"""Policy retrieval at scale: index build time, memory, and query latency at 1k, 10k and 100k chunks.

The chunks are synthetic: the real policy sections with their sentences shuffled, numbers, products and
place names varied, and a variant tag in the heading, so the vocabulary grows with the corpus the way a
large knowledge base's would. Queries are the labelled customer questions of tests/worker/data.
Target: p95 query ≤ 2 ms at 10k chunks.
"""

from __future__ import annotations

import gc
import json
import logging
import random
import re
import resource
import time
from pathlib import Path

from bench import ann
from bench.stats import Skipped, summary, verdict

NAME = "retrieval"
DESCRIPTION = "policy retrieval: build time, memory, query p50/p95 at 1k/10k/100k chunks; HNSW vs flat"
log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    ROOT / "tests/worker/data/retrieval_questions.jsonl",
    ROOT / "tests/worker/data/retrieval_questions_holdout.jsonl",
]
SIZES = (1_000, 10_000, 100_000)
FULL_FIT_MAX = 10_000  # above this, reuse the embedder fitted at 10k (see measure)
TARGET_P95_MS_AT_10K = 2.0
PLACES = ["Canada", "Mexico", "Germany", "Japan", "Brazil", "Kenya", "Norway", "Chile", "India", "Spain"]
PRODUCTS = ["headphones", "kettle", "lamp", "shoes", "television", "grinder", "backpack", "mat", "case"]
FALLBACK_QUERIES = [
    "Can I get my money back for a broken item?",
    "How do I cancel an order that has not shipped?",
    "Do you ship to Canada?",
    "I want to talk to a person",
    "How long does a refund take to reach my card?",
]


def run(args) -> dict:
    """Build indexes of growing size and time queries against each."""
    try:
        from worker.agent.retrieval import LsaEmbedder, PolicyIndex, load_policy_chunks
    except ImportError as exc:
        raise Skipped(f"worker.agent.retrieval is not importable ({exc})") from exc
    base = load_policy_chunks(ROOT / "policies")
    if not base:
        raise Skipped("no policy chunks in policies/")
    queries = load_queries()
    sizes = [s for s in SIZES if s <= args.retrieval_max] if getattr(args, "retrieval_max", None) else SIZES
    results, fitted = {}, None
    for size in sizes:
        chunks = synthetic_chunks(base, size)
        if size > FULL_FIT_MAX and not getattr(args, "full", False):
            results[str(size)], _ = measure(PolicyIndex, fitted, chunks, queries, refit=False)
        else:
            results[str(size)], fitted = measure(PolicyIndex, LsaEmbedder(), chunks, queries)
        log.info("retrieval %d chunks: %s", size, results[str(size)])
    at_10k = results.get("10000", {}).get("query_ms", {}).get("p95")
    return {
        "embedder": LsaEmbedder().name,
        "index_factory": "Flat (exact inner product)",
        "queries": len(queries),
        "sizes": results,
        "targets": {
            "query_p95_ms_at_10k": {
                "target": TARGET_P95_MS_AT_10K,
                "value": at_10k,
                "verdict": verdict(at_10k, TARGET_P95_MS_AT_10K),
            }
        },
    }


def measure(index_cls, embedder, chunks, queries: list[str], rounds: int = 5, refit: bool = True):
    """Build one index from `chunks` and time `rounds` passes over `queries`; returns (figures, embedder).

    With refit=False the already fitted `embedder` is reused (the vocabulary and SVD of the previous size)
    and only embedding + adding the vectors is timed: fitting TF-IDF + SVD on 100k chunks takes ~7 min on
    2 cores, longer than the whole bench budget; query cost does not depend on how the SVD was fitted.
    """
    gc.collect()
    rss_before = rss_mb()
    started = time.perf_counter()
    index = index_cls.from_chunks(chunks, embedder) if refit else _from_fitted(index_cls, chunks, embedder)
    build_s = time.perf_counter() - started
    gc.collect()
    rss_after = rss_mb()
    for query in queries[:20]:  # warm caches (analyzers, BLAS threads)
        index.search(query, k=3)
    timings = []
    for _ in range(rounds):
        for query in queries:
            t0 = time.perf_counter()
            index.search(query, k=3)
            timings.append((time.perf_counter() - t0) * 1000.0)
    vectors_mb = index.index.ntotal * index.index.d * 4 / 2**20
    result = {
        "chunks": len(chunks),
        "build": "fit + embed + add" if refit else "embed + add (embedder fitted at the previous size)",
        "build_s": round(build_s, 2),
        "rss_delta_mb": round(rss_after - rss_before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "vectors_mb": round(vectors_mb, 1),
        "dim": index.index.d,
        "query_ms": summary(timings, 3),
        "queries_per_s": round(len(timings) / (sum(timings) / 1000.0), 0),
        "hnsw": ann.compare(index.index, index.embedder, queries, [_section(c) for c in chunks]),
    }
    fitted = index.embedder
    del index
    gc.collect()
    return result, fitted


def _from_fitted(index_cls, chunks, embedder):
    import faiss

    vectors = embedder.embed_documents([chunk.embed_text() for chunk in chunks])
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    return index_cls(chunks, embedder, flat, {"count": len(chunks)})


def _section(chunk) -> str:
    """The policy section a chunk was varied from (synthetic_chunks tags its variants' headings)."""
    return f"{chunk.policy}#{re.sub(r' [(]variant [0-9]+[)]$', '', chunk.heading)}"


def load_queries() -> list[str]:
    """The labelled customer questions (dev and holdout sets) or a few fallbacks."""
    queries = []
    for path in QUESTIONS:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    queries.append(json.loads(line)["question"])
    return queries or FALLBACK_QUERIES


def synthetic_chunks(base: list, count: int, seed: int = 11) -> list:
    """`count` chunks varied from the real policy sections (first the real ones, unchanged)."""
    rng = random.Random(seed)
    chunk_cls = type(base[0])
    out = list(base[:count])
    while len(out) < count:
        source = rng.choice(base)
        variant = len(out)
        out.append(
            chunk_cls(
                policy=source.policy,
                heading=f"{source.heading} (variant {variant})",
                text=_vary(source.text, rng, variant),
            )
        )
    return out


def _vary(text: str, rng: random.Random, variant: int) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", text)
    rng.shuffle(sentences)
    keep = sentences[: max(1, int(len(sentences) * rng.uniform(0.5, 1.0)))]
    varied = " ".join(keep)
    varied = re.sub(r"\b\d+\b", lambda m: str(int(m.group()) + rng.randint(1, 9)), varied)
    extra = (
        f" Applies to {rng.choice(PRODUCTS)} orders shipped to {rng.choice(PLACES)}, region {variant % 997}."
    )
    return varied + extra


def rss_mb() -> float:
    """Resident set size of this process now."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def report(result: dict) -> list[str]:
    """Lines to print for this benchmark."""
    lines = [f"embedder {result['embedder']}, {result['index_factory']}, {result['queries']} queries x 5"]
    for size, r in result["sizes"].items():
        q = r["query_ms"]
        lines.append(
            f"{int(size):>7} chunks: build {r['build_s']:.1f} s ({r['build']}), RSS +{r['rss_delta_mb']} MB "
            f"(vectors {r['vectors_mb']} MB), query p50 {q['p50']:.3f} ms, p95 {q['p95']:.3f} ms"
        )
    lines.append("approximate index (same vectors, search only, one thread):")
    lines += [ann.report_line(size, r["hnsw"]) for size, r in result["sizes"].items() if "hnsw" in r]
    t = result["targets"]["query_p95_ms_at_10k"]
    lines.append(f"target p95 <= {t['target']} ms at 10k: {t['verdict']}")
    return lines
