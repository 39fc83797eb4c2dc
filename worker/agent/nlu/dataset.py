"""The project's own labelled triage examples: hand-written messages plus template fills.

Training files in `data/`: `intents/*.tsv` (hand-written, `intent<TAB>text`, the intents of
taxonomy.py), `templates.json` (templates × slot values, expanded deterministically, keyed by
intent) and `context.json` (background and courtesy sentences that some training examples are
retold with). Evaluation files, labelled by action (`action<TAB>text`), share no text with
training (tests/worker/test_training_data.py checks it): `validation.tsv` (used while
developing), `holdout.tsv`, `fresh.tsv` (real e-mail styles; its header holds the labelling
conventions) and `fresh2.tsv`, and the intent-labelled `eval/*.tsv` sets written after the
current model was fixed.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

from worker.agent.nlu.taxonomy import INTENTS

DATA_DIR = Path(__file__).with_name("data")
ACTIONS = (
    "refund",
    "cancel",
    "replacement",
    "order_status",
    "answer",
    "escalate",
    "clarify",
    "change_address",
    "invoice",
)
_SLOT = re.compile(r"\{(\w+)\}")
_SEED = 20240611
_PER_TEMPLATE = 6
_IN_CONTEXT_SHARE = 0.35
# Messages that ask for nothing stay as they are (a story around them would be a request).
_NO_REQUEST = frozenset({"vague", "greeting"})


def training_files() -> list[Path]:
    """The hand-written intent-labelled training files."""
    return sorted((DATA_DIR / "intents").glob("*.tsv"))


def load_tsv(name: str, labels: tuple[str, ...] = ACTIONS) -> list[tuple[str, str]]:
    """(text, label) pairs from a `label<TAB>text` file in data/; '#' lines are comments.

    A literal `\\n` in a text is a line break, so whole e-mails fit on one line.
    """
    pairs = []
    for number, line in enumerate((DATA_DIR / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        label, _, text = line.partition("\t")
        if label not in labels or not text.strip():
            raise ValueError(f"{name}:{number}: bad line {line!r}")
        pairs.append((text.strip().replace("\\n", "\n"), label))
    return pairs


def _fills(template: str, slots: dict[str, list[str]], rng: random.Random) -> list[str]:
    """Up to _PER_TEMPLATE distinct fills of one template, each slot drawn independently."""
    out: list[str] = []
    for _ in range(_PER_TEMPLATE * 3):
        text = _SLOT.sub(lambda m: rng.choice(slots[m.group(1)]), template)
        text = re.sub(r"\s+([,.?!])", r"\1", re.sub(r"\s+", " ", text)).strip(" ,")
        if text and text not in out:
            out.append(text)
        if len(out) == _PER_TEMPLATE:
            break
    return out


def template_examples(seed: int = _SEED) -> list[tuple[str, str, str]]:
    """Deterministic expansion of data/templates.json as (text, label, template id)."""
    spec = json.loads((DATA_DIR / "templates.json").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    triples = []
    for label, templates in spec["templates"].items():
        for index, template in enumerate(templates):
            group = f"{label}:{index}"
            triples.extend((text, label, group) for text in _fills(template, spec["slots"], rng))
    return triples


def in_context(examples: list[tuple[str, str, str]], seed: int = _SEED) -> list[tuple[str, str, str]]:
    """Copies of some examples told the way e-mails tell them: background first, a courtesy after.

    The background and courtesy sentences are shared by every action, so the classifier learns
    to read past them to the request. Messages that ask for nothing stay as they are.
    """
    spec = json.loads((DATA_DIR / "context.json").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    out = []
    for text, label, group in examples:
        if label in _NO_REQUEST or rng.random() >= _IN_CONTEXT_SHARE:
            continue
        before = rng.choice(spec["before"])
        after = rng.choice(spec["after"]) if rng.random() < 0.5 else ""
        out.append((f"{before} {text} {after}".strip(), label, group))
    # background alone is still no request
    out.extend(
        (f"{b} {a}".strip(), "vague", "context:alone")
        for b in spec["before"][::3]
        for a in ("", *spec["after"][:2])
    )
    return out


def training_examples() -> list[tuple[str, str, str]]:
    """(text, label, group) for everything the classifier learns from, without duplicates.

    The group is the template a text came from (or the line, for hand-written text), so
    cross-validation can keep template siblings (and an example told in context) on the same
    side of a split.
    """
    handwritten = [
        (text, label, f"{path.stem}:{n}")
        for path in training_files()
        for n, (text, label) in enumerate(load_tsv(f"intents/{path.name}", INTENTS))
    ]
    seen: dict[str, tuple[str, str, str]] = {}
    for triple in handwritten + template_examples() + in_context(handwritten):
        seen.setdefault(triple[0], triple)
    return list(seen.values())


def fingerprint() -> str:
    """Hash of the training data files, to key a cached model."""
    digest = hashlib.sha256()
    for path in [*training_files(), DATA_DIR / "templates.json", DATA_DIR / "context.json"]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
