"""Recall per kind and false positives of the redactor on a hand-marked set.

`python -m worker.agent.redaction.evaluate tests/worker/data/pii_eval.jsonl` prints the figures that
docs/privacy-redaction.md quotes. Each line: {"text", "spans": [{"kind", "start", "end"}], "items"?};
kind "keep" marks what must survive verbatim (order numbers, amounts, dates, tracking numbers,
the customer's item names, which are passed as `items` like the pipeline does).

`--mark FILE` turns hand-written markup into that format: one message a line, each span written
`[[kind:value]]`, a literal `\\n` for a line break inside a message.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from portal.support.pii import digits_only
from worker.agent.redact import redact

_TOKEN = re.compile(r"[\wÀ-ÿ'’]{2,}")


@dataclass
class Scores:
    """Found / total per PII kind, and kept / total for what must survive."""

    found: Counter = field(default_factory=Counter)
    total: Counter = field(default_factory=Counter)
    kept: int = 0
    keep_total: int = 0
    clean_messages: int = 0
    clean_touched: int = 0
    ms_per_message: float = 0.0

    def recall(self, kind: str) -> float:
        return self.found[kind] / self.total[kind] if self.total[kind] else 1.0

    def as_dict(self) -> dict:
        """The figures, rounded, as plain data."""
        return {
            "recall": {k: round(self.recall(k), 3) for k in sorted(self.total)},
            "counts": {k: f"{self.found[k]}/{self.total[k]}" for k in sorted(self.total)},
            "kept": round(self.kept / self.keep_total, 3) if self.keep_total else 1.0,
            "kept_counts": f"{self.kept}/{self.keep_total}",
            "clean_messages_changed": f"{self.clean_touched}/{self.clean_messages}",
            "ms_per_message": round(self.ms_per_message, 3),
        }


def _hidden(kind: str, value: str, redacted: str) -> bool:
    """No word of the PII value (2+ characters) is left standing in the redacted text.

    A card keeps its last four digits by design: it counts as hidden when its mask is there.
    """
    if kind == "card":
        return f"[CARD ****{digits_only(value)[-4:]}]" in redacted and value not in redacted
    left = {t.lower() for t in _TOKEN.findall(redacted)}
    return not any(t.lower() in left for t in _TOKEN.findall(value) if not t.isalpha() or t[0].isupper())


def score(rows: list[dict]) -> Scores:
    """Run the redactor over every marked message and count."""
    scores = Scores()
    started = time.perf_counter()
    for row in rows:
        text = row["text"]
        out = redact(text, items=row.get("items", ()))
        pii = [s for s in row["spans"] if s["kind"] != "keep"]
        for span in row["spans"]:
            value = text[span["start"] : span["end"]]
            if span["kind"] == "keep":
                scores.keep_total += 1
                scores.kept += value in out
            else:
                scores.total[span["kind"]] += 1
                scores.found[span["kind"]] += _hidden(span["kind"], value, out)
        if not pii:
            scores.clean_messages += 1
            scores.clean_touched += out != text
    scores.ms_per_message = (time.perf_counter() - started) * 1000 / max(len(rows), 1)
    return scores


def load(path: str | Path) -> list[dict]:
    """The marked messages of a JSON-lines file."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


_MARK = re.compile(r"\[\[(\w+):(.+?)\]\]")


def from_markup(line: str) -> dict:
    """One marked message ("Call [[phone:+44 20 7946 0958]]") as {"text", "spans"}."""
    line = line.replace("\\n", "\n")
    text, spans, at = "", [], 0
    for match in _MARK.finditer(line):
        text += line[at : match.start()]
        spans.append({"kind": match[1], "start": len(text), "end": len(text) + len(match[2])})
        text += match[2]
        at = match.end()
    return {"text": text + line[at:], "spans": spans}


def main(argv: list[str]) -> None:
    """Print the figures for the file named on the command line (or convert markup with --mark)."""
    if argv[0] == "--mark":
        lines = Path(argv[1]).read_text(encoding="utf-8").splitlines()
        rows = (json.dumps(from_markup(line), ensure_ascii=False) for line in lines if line.strip())
        sys.stdout.write("".join(row + "\n" for row in rows))
        return
    # the name lists and phone metadata load once per process: not part of the per-message figure
    redact("warm up: Anna Smith, +44 20 7946 0958, 06 12 34 56 78, 030 1234567, 612 34 56 78")
    sys.stdout.write(json.dumps(score(load(argv[0])).as_dict(), indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
