"""An approximate index (FAISS HNSW) against the exact flat one, on the same vectors: speed and recall.

Used by `bench retrieval` at every corpus size. The HNSW graph is built from the flat index's own
vectors, and each query is embedded once and searched in both, so the only difference measured is the
index. Recall@k is the share of the flat (exact) top k that HNSW also returns in its top k.
"""

from __future__ import annotations

import time

import numpy as np

from bench.stats import summary

NEIGHBOURS = 32  # "HNSW32": links per node, FAISS's usual choice
# Candidates kept while building: FAISS's default 40 left recall@3 at 0.78 on 10k near-duplicate chunks
# (ef 16), 200 gives 0.93 for 3x the build time.
EF_CONSTRUCTION = 200
EF_SEARCH = (16, 64, 256)  # candidates kept while searching: FAISS's default and two more careful
K = 3  # the agent quotes the top 3 passages
TIE = 1e-5  # scores this close are equal (float32 inner products)


def compare(flat, embedder, queries: list[str], sections: list[str], rounds: int = 5) -> dict:
    """Build HNSW from `flat`'s vectors and time both on `queries` (embedded once, outside the timing).

    `sections` names the policy section each vector came from (variants of one section share it).
    """
    import faiss

    faiss.omp_set_num_threads(1)  # as PolicyIndex.search_threads: one query, one thread
    vectors = flat.reconstruct_n(0, flat.ntotal)
    started = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(flat.d, NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = EF_CONSTRUCTION
    hnsw.add(vectors)
    build_s = time.perf_counter() - started
    embedded = [v for v in (embedder.embed([q]) for q in queries) if np.any(v)]
    exact_ms, exact_ids = _timed(flat, embedded, rounds)
    result = {
        "build_s": round(build_s, 2),
        "graph_mb": round((faiss.serialize_index(hnsw).nbytes - vectors.nbytes) / 2**20, 1),
        "flat_search_ms": summary(exact_ms, 3),
    }
    for ef in EF_SEARCH:
        hnsw.hnsw.efSearch = ef
        approx_ms, approx_ids = _timed(hnsw, embedded, rounds)
        result[f"ef{ef}"] = {
            "search_ms": summary(approx_ms, 3),
            "recall": _recall(exact_ids, approx_ids),
            "section_recall": _section_recall(exact_ids, approx_ids, sections),
        }
    return result


def _timed(index, embedded: list, rounds: int) -> tuple[list[float], list]:
    """Search times (ms) over `rounds` passes, and the (ids, scores) each query got in the last pass."""
    timings, found = [], []
    for _ in range(rounds):
        found = []
        for vector in embedded:
            t0 = time.perf_counter()
            scores, ids = index.search(vector, K)
            timings.append((time.perf_counter() - t0) * 1000.0)
            found.append((ids[0], scores[0]))
    return timings, found


def _recall(exact: list, approx: list) -> float:
    """Share of the exact top K that the approximate search found. A chunk scoring the same as the exact
    K-th counts as found: the synthetic corpus has near-duplicate variants, and which of two equal
    scores an index lists is not an error."""
    wanted = hits = 0
    for (exact_ids, exact_scores), (approx_ids, approx_scores) in zip(exact, approx, strict=True):
        kept = [score for i, score in zip(exact_ids, exact_scores, strict=True) if i >= 0]
        if not kept:
            continue
        wanted += len(kept)
        found = sum(
            1
            for i, score in zip(approx_ids, approx_scores, strict=True)
            if i >= 0 and score >= kept[-1] - TIE
        )
        hits += min(found, len(kept))
    return round(hits / wanted, 4) if wanted else 1.0


def _section_recall(exact: list, approx: list, sections: list[str]) -> float:
    """Share of the exact top K's policy sections that the approximate top K also quotes: what a reader
    of the answer would notice (a near-duplicate variant of the same section carries the same rule)."""
    wanted = hits = 0
    for (exact_ids, _), (approx_ids, _) in zip(exact, approx, strict=True):
        expected = {sections[i] for i in exact_ids if i >= 0}
        got = {sections[i] for i in approx_ids if i >= 0}
        wanted += len(expected)
        hits += len(expected & got)
    return round(hits / wanted, 4) if wanted else 1.0


def report_line(size: str, ann: dict) -> str:
    """One printed line per corpus size."""
    parts = [f"{int(size):>7} chunks: flat search p50 {ann['flat_search_ms']['p50']:.3f} ms"]
    for ef in EF_SEARCH:
        r = ann[f"ef{ef}"]
        parts.append(
            f"HNSW32 ef{ef} p50 {r['search_ms']['p50']:.3f} ms recall@{K} {r['recall']:.3f}"
            f" (sections {r['section_recall']:.3f})"
        )
    parts.append(
        f"graph build (efConstruction {EF_CONSTRUCTION}) {ann['build_s']:.1f} s (+{ann['graph_mb']} MB)"
    )
    return ", ".join(parts)
