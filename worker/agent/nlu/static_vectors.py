"""Static word-piece vectors distilled from MiniLM: sentence embeddings in microseconds.

Running the six-layer encoder on every message costs 10 to 45 ms of CPU on this kind of
machine, more than the whole agent's budget. Instead, as Model2Vec does, each of the 30,522
word pieces of the vocabulary is passed through the encoder once, alone (`[CLS] piece [SEP]`),
and its pooled output kept: a table of 30,522 × 384 floats. A message's vector is then the
mean of its pieces' rows minus the table's mean (the direction every row shares), normalised:
a few table look-ups. Synonyms and paraphrases ("money back" / "refund", "parcel" / "package")
land near each other, which n-grams cannot see, and misspellings still share pieces.

Building the table takes about a minute of CPU, once per machine: it is cached as a .npy file
in `cache_dir()` (`$SUPPORTOPS_CACHE_DIR`, else `~/.cache/supportops`) keyed by the model file
and this code, written atomically so that several workers warming up at once are safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from worker.agent.nlu import encoder

log = logging.getLogger(__name__)

_BATCH = 2048
_lock = threading.Lock()
_table: Any = None


def cache_dir() -> Path:
    """Where derived model files are kept across processes and runs of this machine."""
    configured = os.environ.get("SUPPORTOPS_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "supportops"


def _table_path(model: Path) -> Path:
    digest = hashlib.sha256()
    weights = model / "model.safetensors"
    digest.update(str(weights.stat().st_size).encode())
    with weights.open("rb") as handle:
        digest.update(handle.read(1 << 20))
    for module in (__file__, encoder.__file__):
        digest.update(Path(module).read_bytes())
    return cache_dir() / f"minilm-static-{digest.hexdigest()[:16]}.npy"


def build_table(model: encoder.Encoder) -> Any:
    """Every vocabulary piece's pooled encoder output, alone between [CLS] and [SEP]."""
    import numpy as np

    vocabulary = model.words.shape[0]
    cls, sep = model.tokenizer.token_to_id("[CLS]"), model.tokenizer.token_to_id("[SEP]")
    rows = []
    for start in range(0, vocabulary, _BATCH):
        pieces = np.arange(start, min(start + _BATCH, vocabulary))
        ids = np.stack([np.full_like(pieces, cls), pieces, np.full_like(pieces, sep)], axis=1)
        rows.append(model.encode(ids))
    table = np.concatenate(rows).astype(np.float32)
    return table - table.mean(axis=0)


def _load_or_build() -> Any:
    import numpy as np

    path = encoder.model_dir()
    if path is None:
        return None
    target = _table_path(path)
    if target.exists():
        try:
            return np.load(target, allow_pickle=False)
        except (OSError, ValueError) as error:
            log.warning("ignoring unreadable vector table %s: %s", target, error)
    started = time.perf_counter()
    table = build_table(encoder.get_encoder())
    log.info("static MiniLM vectors built in %.1fs", time.perf_counter() - started)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, table)
        os.replace(tmp, target)
        remove_stale(target, "minilm-static-")
    except OSError as error:
        log.warning("could not cache the vector table in %s: %s", target, error)
    return table


def remove_stale(kept: Path, prefix: str) -> None:
    """Delete older cache files of the same kind (other data or code versions): ~50 MB each."""
    for path in kept.parent.glob(f"{prefix}*"):
        if path != kept and not path.name.endswith(".tmp.npy") and not path.name.endswith(".tmp.npz"):
            with contextlib.suppress(OSError):  # another process may have removed it first
                path.unlink()


def get_table() -> Any:
    """The shared table (loaded or built once per process), or None without the model."""
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                _table = _load_or_build()
    return _table


def available() -> bool:
    """Whether sentence vectors can be computed here."""
    return encoder.model_dir() is not None


def embed(text: str) -> Any:
    """The sentence vector of `text` (unit length, 384 floats), or None without the model."""
    import numpy as np

    table = get_table()
    if table is None:
        return None
    ids = encoder.get_encoder().tokenizer.encode(text or "", add_special_tokens=False).ids
    if not ids:
        return np.zeros(table.shape[1], dtype=np.float32)
    vector = table[ids].mean(axis=0)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
