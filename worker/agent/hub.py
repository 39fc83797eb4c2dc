"""No model, tokenizer or data set is ever downloaded at run time (the machines may have no internet).

langchain-mistralai fetches a Hugging Face tokenizer to size its requests unless HF_HUB_OFFLINE is set;
every code path that builds a Mistral client calls `stay_offline()` first, so the setting is written
in this one place. Offline, the client counts characters instead (an over-estimate, which keeps
batches under the API's limits).
"""

from __future__ import annotations

import os


def stay_offline() -> None:
    """Tell huggingface_hub never to reach the network (an explicit HF_HUB_OFFLINE=0 is respected)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
