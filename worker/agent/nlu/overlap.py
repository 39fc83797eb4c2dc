"""Find training text that repeats evaluation text, exactly or nearly.

Evaluation must be on messages the classifier never saw. Two texts count as the same when, after
lower-casing, dropping accents and punctuation and masking order numbers and other numbers, they
have the same words in the same order; they count as near copies when they are long enough (five
words or more) and share at least 80% of their distinct words (Jaccard), which catches "the same
message with another order number or one word swapped".
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from worker.agent.nlu.extract import mask_order_numbers

NEAR_JACCARD = 0.8
NEAR_MIN_WORDS = 5
_WORD = re.compile(r"[a-z]+|#")


def words(text: str) -> tuple[str, ...]:
    """The comparable words of a text (numbers and order numbers become '#')."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    masked = re.sub(r"\d+", "#", mask_order_numbers(ascii_text).lower())
    return tuple(_WORD.findall(masked))


def _near(a: frozenset[str], b: frozenset[str]) -> bool:
    return len(a & b) / len(a | b) >= NEAR_JACCARD


def overlaps(training: Iterable[str], evaluation: Iterable[str]) -> list[tuple[str, str]]:
    """(training text, evaluation text) pairs that are the same or near copies."""
    evaluated = [(text, words(text)) for text in evaluation]
    exact = {w: text for text, w in evaluated if w}
    long_sets = [(text, frozenset(w)) for text, w in evaluated if len(set(w)) >= NEAR_MIN_WORDS]
    found = []
    for text in training:
        copied = _copied(words(text), exact, long_sets)
        if copied is not None:
            found.append((text, copied))
    return found


def _copied(
    w: tuple[str, ...], exact: dict[tuple[str, ...], str], long_sets: list[tuple[str, frozenset[str]]]
) -> str | None:
    """The evaluation text these training words repeat: the same words, else a near copy."""
    if not w:
        return None
    if w in exact:
        return exact[w]
    seen = frozenset(w)
    # Short texts share most of their words by chance ("where is my order"): only exact copies count.
    if len(seen) < NEAR_MIN_WORDS:
        return None
    return next((other for other, s in long_sets if _near(seen, s)), None)


def scenario_messages(path: Path) -> list[str]:
    """Every customer message of a scenario file: the first message and each turn's."""
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        scenario = json.loads(line)
        texts.append(scenario.get("message") or "")
        for turn in scenario.get("turns") or []:
            texts.append(turn if isinstance(turn, str) else turn.get("message") or "")
    return [t for t in texts if t.strip()]
