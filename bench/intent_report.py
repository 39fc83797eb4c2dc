"""Per-intent and per-action recall of triage on an intent-labelled set (default: the after-the-fact set).

    python -m bench.intent_report [worker/agent/nlu/data/eval/after_fix.tsv] [--errors]

Prints recall per intent and per action (the action is the intent's, taxonomy.ACTION), their macro
means, recall on the lines that carry injected instructions, and the median triage time per message.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from worker.agent.nlu import triage, warm_up
from worker.agent.nlu.dataset import DATA_DIR, load_tsv
from worker.agent.nlu.injection import strip_instructions
from worker.agent.nlu.taxonomy import ACTION, INTENTS


def report(path: Path, show_errors: bool = False) -> dict:
    warm_up()
    rows = load_tsv(str(path.relative_to(DATA_DIR)), INTENTS)
    by_intent: dict[str, list[bool]] = defaultdict(list)
    by_action: dict[str, list[bool]] = defaultdict(list)
    wrapped: list[bool] = []
    confusions: Counter = Counter()
    times = []
    for text, intent in rows:
        started = time.perf_counter()
        result = triage(text)
        times.append((time.perf_counter() - started) * 1000)
        by_intent[intent].append(result.intent == intent)
        by_action[ACTION[intent]].append(result.action == ACTION[intent])
        if strip_instructions(text)[1]:
            wrapped.append(result.action == ACTION[intent])
        if result.intent != intent:
            confusions[(intent, result.intent)] += 1
            if show_errors:
                print(f"  {intent} -> {result.intent} ({result.action}, {result.confidence}): {text[:100]}")
    recall = {k: sum(v) / len(v) for k, v in sorted(by_intent.items())}
    action_recall = {k: sum(v) / len(v) for k, v in sorted(by_action.items())}
    figures = {
        "rows": len(rows),
        "intent_macro_recall": statistics.mean(recall.values()),
        "action_macro_recall": statistics.mean(action_recall.values()),
        "wrapped_rows": len(wrapped),
        "wrapped_action_kept": statistics.mean(wrapped) if wrapped else None,
        "median_triage_ms": statistics.median(times),
        "per_intent": recall,
        "per_action": action_recall,
        "top_confusions": confusions.most_common(12),
    }
    return figures


def main(argv: list[str]) -> None:
    args = [a for a in argv if not a.startswith("--")]
    path = Path(args[0]).resolve() if args else DATA_DIR / "eval" / "after_fix.tsv"
    figures = report(path, "--errors" in argv)
    print(f"{path.name}: {figures['rows']} messages")
    print(
        f"intent macro recall {figures['intent_macro_recall']:.3f}, action macro recall "
        f"{figures['action_macro_recall']:.3f}"
    )
    if figures["wrapped_rows"]:
        print(
            f"wrapped in injected text: {figures['wrapped_rows']} rows, "
            f"action kept {figures['wrapped_action_kept']:.3f}"
        )
    print(f"median triage {figures['median_triage_ms']:.2f} ms per message")
    print("per action: " + ", ".join(f"{k} {v:.2f}" for k, v in figures["per_action"].items()))
    print("per intent:")
    for intent, value in figures["per_intent"].items():
        print(f"  {intent:26} {value:.2f}")
    print("top confusions: " + "; ".join(f"{a}->{b} {n}" for (a, b), n in figures["top_confusions"]))


if __name__ == "__main__":
    main(sys.argv[1:])
