"""Triage classifier report: validation accuracy, per-class recall, confusion matrix, latency.

Usage: .venv/bin/python bench/nlu_report.py [validation.tsv|holdout.tsv ...] [--errors]
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker.agent.nlu import dataset, triage  # noqa: E402
from worker.agent.nlu.model import get_model  # noqa: E402

# The bar the project holds the classifier to (docs: the brief): macro recall over these.
GRADED = ("refund", "cancel", "order_status", "escalate", "answer")


def evaluate(pairs):
    """Per-message predictions and latencies (ms) for (text, label) pairs."""
    predictions, latencies = [], []
    for text, _ in pairs:
        started = time.perf_counter()
        predictions.append(triage(text).action)
        latencies.append((time.perf_counter() - started) * 1000)
    return predictions, latencies


def report(name: str, show_errors: bool) -> float:
    """Print the report for one evaluation file; return its graded macro recall."""
    pairs = dataset.load_tsv(name)
    predictions, latencies = evaluate(pairs)
    gold = [label for _, label in pairs]
    labels = [a for a in dataset.ACTIONS if a in set(gold) | set(predictions)]
    confusion = Counter(zip(gold, predictions, strict=True))
    correct = sum(g == p for g, p in zip(gold, predictions, strict=True))
    recall = {a: confusion[a, a] / gold.count(a) for a in labels if gold.count(a)}
    graded = statistics.mean(recall[a] for a in GRADED if a in recall)
    print(f"\n== {name}: {len(pairs)} messages")
    print(
        f"accuracy {correct / len(pairs):.3f}   macro recall (graded classes) {graded:.3f}   "
        f"macro recall (all) {statistics.mean(recall.values()):.3f}"
    )
    for action in labels:
        if action in recall:
            print(f"  recall {action:<13} {recall[action]:.3f}  (n={gold.count(action)})")
    short = {a: a[:7] for a in labels}
    print("\nconfusion (rows gold, columns predicted)")
    print(" " * 14 + " ".join(f"{short[a]:>7}" for a in labels))
    for g in labels:
        print(f"{g:<14}" + " ".join(f"{confusion[g, p]:>7}" for p in labels))
    ordered = sorted(latencies)
    print(
        f"\nlatency per message: median {statistics.median(ordered):.2f} ms, "
        f"p95 {ordered[int(len(ordered) * 0.95) - 1]:.2f} ms"
    )
    if show_errors:
        for (text, g), p in zip(pairs, predictions, strict=True):
            if g != p:
                print(f"  MISS gold={g:<12} got={p:<12} {text}")
    return graded


def main() -> None:
    """Train, then report on each evaluation file given (default: validation and holdout)."""
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    names = args or [n for n in ("validation.tsv", "holdout.tsv") if (dataset.DATA_DIR / n).exists()]
    started = time.perf_counter()
    get_model()
    examples = dataset.training_examples()
    counts = Counter(label for _, label, _ in examples)
    print(
        f"training: {len(examples)} examples in {time.perf_counter() - started:.2f} s (incl. fit) "
        + ", ".join(f"{a}={counts[a]}" for a in dataset.ACTIONS)
    )
    for name in names:
        report(name, "--errors" in sys.argv)


if __name__ == "__main__":
    main()
