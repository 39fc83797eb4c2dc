"""The intent classifier: TF-IDF word and character n-grams plus MiniLM sentence vectors, one linear SVM.

It predicts one of the intents of taxonomy.py; the action is the intent's (summing the
probabilities of the intents that share an action). The n-grams read the exact words, typos
included; the sentence vectors (static_vectors.py) carry meaning across wording we never wrote
("money back" is near "refund", "parcel" near "package"). Without the model package installed
the classifier runs on the n-grams alone.

Trained in-process from the project's own examples the first time it is needed (about a
second of CPU plus importing scikit-learn), or loaded from a cache file (plain arrays and JSON,
never a pickle) keyed by a hash of the data and this code. scikit-learn is used only to train;
scoring one message is a few dictionary look-ups and dot products in numpy (well under a
millisecond) with the same analyzers the vectorizers were trained with.

A message is read twice (see message.py): the whole text without greeting and sign-off, and
the sentences that carry the ask, each with a feature block of its own, so a long story
before "I'd like a refund" cannot drown it. Character n-grams make it robust to typos
("refnd", "cancell"); masking order numbers, amounts and placeholders stops it from learning
specific values. Probabilities are a softmax over the SVM scores with one temperature fitted
on cross-validated scores, where folds never split a template's fills or an example from
its copy told in context: on hand-written messages unlike the training data, messages
scored 0.95+ are right about 99% of the time and those under 0.6 about half the time
(`bench/nlu_report.py` prints the reliability table).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from worker.agent.nlu import dataset, message, static_vectors
from worker.agent.nlu import extract as extract_module
from worker.agent.nlu.extract import mask_order_numbers
from worker.agent.nlu.taxonomy import ACTION

log = logging.getLogger(__name__)

_RANDOM_STATE = 0
_SVM_C = 1.0
# Two folds fit the same temperature as three or five here, at a third of the cost.
_FOLDS = 2
_lock = threading.Lock()
_model: ActionModel | None = None

# "Refund, not a replacement" and "a new one instead of a refund" hinge on a negation that
# bag-of-words features miss, so the negated wish becomes one opaque token of its own.
_NOT_SWAP = re.compile(
    r"\b(?:no|not|don'?t(?: want| need| send)?|do not(?: want| need| send)?|instead of|rather than|than|"
    r"pass on|without)\s+(?:\w+ing (?:for |on )?)?(?:a |an |another |the |any )?"
    r"(?:replacement|new one|exchange|another one|swap|another|new)\b"
)
_NOT_MONEY = re.compile(
    r"\b(?:no|not|don'?t(?: want| need)?|do not(?: want| need)?|instead of|rather than|than|without)\s+"
    r"(?:a |my |the |any )?(?:refund|money back|my money|reimbursement)\b"
)
_REWRITES = (
    (_NOT_SWAP, " qqnoswap "),
    (_NOT_MONEY, " qqnomoney "),
    # "different in person" is about how an item looks, not a wish to talk to someone
    (re.compile(r"\bin person\b"), " in reality "),
    (re.compile(r"\{\{[^}]*\}\}"), " slot "),
    (re.compile(r"\[card[^\]]*\]"), " cardnum "),
    (re.compile(r"\[(email|phone|iban|ssn|ip|name)\]"), r" \1 "),
    (
        re.compile(r"[$€£]\s?\d[\d,]*(?:\.\d+)?|\d[\d,]*\.\d{2}\b(?:\s?(?:usd|eur|gbp|dollars?|euros?))?"),
        " amt ",
    ),
    (re.compile(r"\d+"), " num "),
    (re.compile(r"[’`]"), "'"),
    (re.compile(r"\s+"), " "),
)


def normalise(text: str) -> str:
    """The text the classifier sees: lower-case ASCII with values replaced by type tokens."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'")).encode("ascii", "ignore").decode("ascii")
    text = mask_order_numbers(text).lower()
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text.strip()


_WORD = re.compile(r"\b\w\w+\b")


def word_ngrams(text: str) -> list[str]:
    """Word 1- to 3-grams (tokens of 2+ word characters, like scikit-learn's default)."""
    tokens = _WORD.findall(text)
    return [" ".join(tokens[i : i + n]) for n in (1, 2, 3) for i in range(len(tokens) - n + 1)]


def char_ngrams(text: str) -> list[str]:
    """Character 1- to 4-grams inside word boundaries (scikit-learn's char_wb)."""
    grams: list[str] = []
    for word in text.split():
        grams.extend(_word_char_ngrams(word))
    return grams


@functools.lru_cache(maxsize=65536)
def _word_char_ngrams(word: str) -> tuple[str, ...]:
    # Words repeat a lot across messages: caching their grams halves the featurising time.
    padded = f" {word} "
    grams: list[str] = []
    for n in (1, 2, 3, 4):
        grams.extend(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
        if len(padded) <= n:
            break
    return tuple(grams)


_ANALYZERS = {"words": word_ngrams, "chars": char_ngrams}
# (analyzer, view) per feature block: the whole message without its pleasantries, and the
# sentences that carry the ask, so a long story cannot drown the request (see message.py).
_BLOCKS = (("words", "text"), ("chars", "text"), ("words", "focus"))


# Sentence vectors of the same two views, scaled against the unit-norm n-gram blocks.
_VECTOR_VIEWS = ("text", "focus")
_VECTOR_SCALE = 1.0


def views(text: str) -> dict[str, str]:
    """The normalised views of a message that the feature blocks read."""
    body = message.clean(text)
    return {"text": normalise(body), "focus": normalise(message.focus(body))}


def vector_views(text: str) -> dict[str, Any]:
    """The sentence vectors of the whole message and of its ask, or {} without the model."""
    if not static_vectors.available():
        return {}
    body = mask_order_numbers(message.clean(text))
    return {"text": static_vectors.embed(body), "focus": static_vectors.embed(message.focus(body))}


@dataclass
class _Block:
    """One TF-IDF feature block (words or characters) and its slice of the SVM weights."""

    name: str
    view: str
    vocabulary: dict[str, int]
    idf: Any  # numpy array
    weights: Any  # numpy array, classes x features

    def scores(self, text: str) -> Any:
        """This block's contribution to the class scores (sublinear tf, idf, l2 norm)."""
        import numpy as np

        vocabulary = self.vocabulary
        counts = Counter(i for term in _ANALYZERS[self.name](text) if (i := vocabulary.get(term)) is not None)
        if not counts:
            return 0.0
        index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        values = (1.0 + np.log(tf)) * self.idf[index]
        values /= np.linalg.norm(values)
        return self.weights[:, index] @ values


@dataclass
class _VectorBlock:
    """The sentence vector of one view and its slice of the SVM weights."""

    view: str
    weights: Any  # numpy array, classes x 384

    def scores(self, vector: Any) -> Any:
        return self.weights @ (vector * _VECTOR_SCALE)


@dataclass
class ActionModel:
    """A fitted linear classifier over several feature blocks; its labels are intents."""

    labels: tuple[str, ...]
    blocks: list[_Block]
    intercept: Any  # numpy array
    temperature: float
    vector_blocks: list[_VectorBlock] = field(default_factory=list)

    def scores(self, text: str) -> Any:
        """Raw SVM scores per class for one message."""
        seen = views(text)
        total = self.intercept + sum(block.scores(seen[block.view]) for block in self.blocks)
        if self.vector_blocks:
            vectors = vector_views(text)
            total = total + sum(block.scores(vectors[block.view]) for block in self.vector_blocks)
        return total

    def probabilities(self, text: str) -> dict[str, float]:
        """Intent probabilities for one message."""
        return dict(zip(self.labels, _softmax(self.scores(text), self.temperature), strict=True))

    def save(self, path: Path) -> None:
        """Write the parameters as plain arrays and JSON (no pickle), atomically."""
        import numpy as np

        meta = {
            "labels": list(self.labels),
            "temperature": self.temperature,
            "blocks": [
                {"name": b.name, "view": b.view, "terms": sorted(b.vocabulary, key=b.vocabulary.get)}
                for b in self.blocks
            ],
        }
        meta["vector_views"] = [b.view for b in self.vector_blocks]
        arrays = {"intercept": self.intercept, "meta": np.array(json.dumps(meta))}
        for n, block in enumerate(self.blocks):
            arrays[f"idf{n}"], arrays[f"weights{n}"] = block.idf, block.weights
        for n, vector_block in enumerate(self.vector_blocks):
            arrays[f"vectors{n}"] = vector_block.weights
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")  # unique: several workers may warm up at once
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> ActionModel:
        """Read parameters written by `save`."""
        import numpy as np

        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            blocks = [
                _Block(
                    b["name"],
                    b["view"],
                    {t: i for i, t in enumerate(b["terms"])},
                    data[f"idf{n}"],
                    data[f"weights{n}"],
                )
                for n, b in enumerate(meta["blocks"])
            ]
            vector_blocks = [
                _VectorBlock(view, data[f"vectors{n}"]) for n, view in enumerate(meta.get("vector_views", []))
            ]
            return cls(
                tuple(meta["labels"]), blocks, data["intercept"], float(meta["temperature"]), vector_blocks
            )


def action_probabilities(intents: dict[str, float]) -> dict[str, float]:
    """Action probabilities: the sum over the intents that lead to each action."""
    actions: dict[str, float] = {}
    for intent, p in intents.items():
        actions[ACTION[intent]] = actions.get(ACTION[intent], 0.0) + p
    return actions


def _softmax(scores: Any, temperature: float) -> list[float]:
    scaled = [temperature * float(s) for s in scores]
    top = max(scaled)
    exps = [math.exp(s - top) for s in scaled]
    total = sum(exps)
    return [e / total for e in exps]


def _vectorizer(name: str) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Rare character n-grams are mostly typos of one example: noise, and a bigger model.
    return TfidfVectorizer(analyzer=_ANALYZERS[name], sublinear_tf=True, min_df=2 if name == "chars" else 1)


def _svm() -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=_SVM_C, class_weight="balanced", random_state=_RANDOM_STATE)


def _log_loss(scores: Any, target: Any, temperature: float) -> float:
    import numpy as np

    scaled = scores * temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    log_probs = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(target)), target].mean())


def _fit_temperature(scores: Any, labels: Sequence[str], classes: Sequence[str]) -> float:
    """The softmax temperature minimising log-loss of cross-validated scores (coarse, then fine)."""
    import numpy as np

    target = np.array([list(classes).index(label) for label in labels])
    coarse = min(np.geomspace(0.5, 20.0, 40), key=lambda t: _log_loss(scores, target, t))
    fine = np.geomspace(coarse / 1.1, coarse * 1.1, 21)
    return float(min(fine, key=lambda t: _log_loss(scores, target, t)))


def train(texts: Sequence[str], labels: Sequence[str], groups: Sequence[str]) -> ActionModel:
    """Fit the classifier; `groups` keep template siblings together in calibration folds."""
    import numpy as np
    from scipy.sparse import hstack
    from sklearn.model_selection import GroupKFold, cross_val_predict

    vectorizers, matrices = _fit_ngrams(texts)
    dense = _sentence_vector_matrices(texts)
    features = hstack(matrices + dense).tocsr()
    folds = GroupKFold(n_splits=_FOLDS)
    cv_scores = cross_val_predict(
        _svm(), features, labels, groups=groups, cv=folds, method="decision_function"
    )
    svm = _svm().fit(features, labels)
    classes = tuple(str(c) for c in svm.classes_)
    temperature = _fit_temperature(cv_scores, labels, classes)
    # The SVM's weights lie side by side in the order the blocks were stacked: n-grams, then vectors.
    weights = _split_columns(svm.coef_, [m.shape[1] for m in matrices + dense])
    blocks = [
        _ngram_block(name, view, vectorizer, w)
        for (name, view), vectorizer, w in zip(_BLOCKS, vectorizers, weights, strict=False)
    ]
    vector_blocks = [
        _VectorBlock(view, w) for view, w in zip(_VECTOR_VIEWS, weights[len(_BLOCKS) :], strict=False)
    ]
    return ActionModel(classes, blocks, np.asarray(svm.intercept_), temperature, vector_blocks)


def _fit_ngrams(texts: Sequence[str]) -> tuple[list[Any], list[Any]]:
    """The n-gram blocks' vectorizers, fitted on the texts, and the texts' TF-IDF matrices."""
    seen = [views(text) for text in texts]
    vectorizers = [_vectorizer(name) for name, _ in _BLOCKS]
    matrices = [
        v.fit_transform([s[view] for s in seen]) for v, (_, view) in zip(vectorizers, _BLOCKS, strict=True)
    ]
    return vectorizers, matrices


def _sentence_vector_matrices(texts: Sequence[str]) -> list[Any]:
    """One sparse matrix per vector view, or none without the model package (n-grams alone)."""
    import numpy as np
    from scipy.sparse import csr_matrix

    if not static_vectors.available():
        return []
    vectors = [vector_views(text) for text in texts]
    return [csr_matrix(np.array([v[view] for v in vectors]) * _VECTOR_SCALE) for view in _VECTOR_VIEWS]


def _ngram_block(name: str, view: str, vectorizer: Any, weights: Any) -> _Block:
    # sklearn's terms and indices are numpy scalars; the cache stores the vocabulary as JSON.
    vocabulary = {str(term): int(i) for term, i in vectorizer.vocabulary_.items()}
    return _Block(name, view, vocabulary, vectorizer.idf_, weights)


def _split_columns(coef: Any, widths: Sequence[int]) -> list[Any]:
    """The weight matrix cut into consecutive column blocks of these widths (contiguous copies)."""
    import numpy as np

    bounds = np.cumsum([0, *widths])
    return [
        np.ascontiguousarray(coef[:, start:end]) for start, end in zip(bounds[:-1], bounds[1:], strict=True)
    ]


def cache_key() -> str:
    """Hash of the training data and of the code that turns it into a model."""
    digest = hashlib.sha256(dataset.fingerprint().encode())
    digest.update(b"vectors" if static_vectors.available() else b"ngrams")
    for module in (__file__, extract_module.__file__, message.__file__, static_vectors.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()[:16]


def _train_from_data() -> ActionModel:
    started = time.perf_counter()
    examples = dataset.training_examples()
    texts, labels, groups = (list(column) for column in zip(*examples, strict=True))
    model = train(texts, labels, groups)
    log.info(
        "triage model trained on %d examples in %.2fs (temperature %.2f)",
        len(examples),
        time.perf_counter() - started,
        model.temperature,
    )
    return model


def _load_or_train(cache_dir: str | os.PathLike | None) -> ActionModel:
    # Training takes ~25 s of CPU, so by default every process of this machine shares one cache.
    path = Path(cache_dir or static_vectors.cache_dir()) / f"triage-model-{cache_key()}.npz"
    if path.exists():
        try:
            return ActionModel.load(path)
        except (OSError, ValueError, KeyError) as error:
            log.warning("ignoring unreadable triage model cache %s: %s", path, error)
    model = _train_from_data()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
        static_vectors.remove_stale(path, "triage-model-")
    except OSError as error:
        log.warning("could not cache the triage model in %s: %s", path, error)
    return model


def get_model(cache_dir: str | os.PathLike | None = None) -> ActionModel:
    """The shared model: loaded from `cache_dir` (default: the machine's cache, see
    static_vectors.cache_dir) when cached there, else trained and cached (thread-safe)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = _load_or_train(cache_dir)
    return _model
