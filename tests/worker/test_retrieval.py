"""Policy retrieval: chunking, the offline embedder, the saved index and its cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from portal.config_agent import AgentSettings
from tests.overrides import settings_from
from worker.agent import retrieval
from worker.agent.retrieval import (
    Chunk,
    LsaEmbedder,
    MistralEmbedder,
    PolicyIndex,
    build_index,
    chunk_markdown,
    get_embedder,
    load_index,
    load_policy_chunks,
    lsa,
    synonyms,
)

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"
DATA = Path(__file__).parent / "data"

# The bar for the real policies. Measured: 0.975 over 120 questions (0.989 on the 95 the
# synonym rules were tuned on, 0.92 on 25 held-out ones). 0.90 leaves room for a policy
# rewrite to cost a few questions, while a regression that loses one question in ten fails.
RECALL_AT_3_MIN = 0.90

FIXTURE_POLICIES = {
    "refunds": "# Refund policy\n\nHow refunds work.\n\n"
    "## Refund window\n\nAsk within 30 days of delivery.\n\n"
    "## Where the money goes\n\nRefunds go back to the original payment method.\n",
    "shipping": "# Shipping\n\n## Do you ship internationally?\n\nYes, we ship worldwide with DHL.\n\n"
    "## Tracking\n\nWe email a tracking number when the parcel ships.\n",
    "cancellations": "# Cancellations\n\n## How to cancel\n\nOpen a ticket before the order ships.\n",
}


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    """A small policy directory to build indexes from."""
    directory = tmp_path / "policies"
    directory.mkdir()
    for stem, text in FIXTURE_POLICIES.items():
        (directory / f"{stem}.md").write_text(text)
    return directory


@pytest.fixture(scope="module")
def real_index() -> PolicyIndex:
    """The offline index over the project's real policies (built once for this module)."""
    return PolicyIndex.build(POLICIES, LsaEmbedder())


def _questions() -> list[dict]:
    lines = []
    for name in ("retrieval_questions.jsonl", "retrieval_questions_holdout.jsonl"):
        lines += (DATA / name).read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_chunks_keep_policy_heading_and_text():
    chunks = chunk_markdown("refunds", FIXTURE_POLICIES["refunds"])
    assert [(c.policy, c.heading) for c in chunks] == [
        ("refunds", "Overview"),
        ("refunds", "Refund window"),
        ("refunds", "Where the money goes"),
    ]
    assert chunks[1].text == "Ask within 30 days of delivery."
    assert chunks[1].embed_text().startswith("refunds: Refund window\n")


def test_subsections_get_a_heading_path_and_fenced_hashes_are_text():
    markdown = "# T\n\n## Cards\n\nWe take cards.\n\n### Amex\n\nYes.\n\n```\n## not a heading\n```\n"
    chunks = chunk_markdown("payments", markdown)
    assert [c.heading for c in chunks] == ["Cards", "Cards > Amex"]
    assert "## not a heading" in chunks[1].text


def test_long_sections_split_by_paragraph_with_the_heading_repeated():
    paragraphs = [f"Paragraph {i} " + "word " * 60 for i in range(6)]
    chunks = chunk_markdown("shipping", "## Delivery times\n\n" + "\n\n".join(paragraphs), max_chars=700)
    assert len(chunks) > 1
    assert {c.heading for c in chunks} == {"Delivery times"}
    assert all(len(c.text) <= 700 for c in chunks)
    assert "\n\n".join(c.text for c in chunks) == "\n\n".join(p.strip() for p in paragraphs)


def test_recall_at_3_on_the_question_set(real_index: PolicyIndex):
    questions = _questions()
    assert len(questions) >= 60
    missed = []
    for q in questions:
        found = {p.policy for p in real_index.search(q["question"], k=3)}
        if not found & {q["policy"], *q.get("also", [])}:
            missed.append((q["question"], q["policy"], sorted(found)))
    recall = 1 - len(missed) / len(questions)
    assert recall >= RECALL_AT_3_MIN, f"recall@3 {recall:.3f}; missed: {missed}"


def test_question_set_labels_name_real_policy_sections():
    sections = {(c.policy, c.heading) for c in load_policy_chunks(POLICIES)}
    for q in _questions():
        assert (q["policy"], q["heading"]) in sections, q


def test_shipping_question_finds_the_shipping_policy_first(real_index: PolicyIndex):
    passages = real_index.search("Do you ship internationally?")
    assert passages[0].policy == "shipping"
    assert passages[0].heading == "Do you ship internationally?"
    assert passages[0].score > passages[-1].score


@pytest.mark.parametrize("query", ["", "   ", "\n", "@@@ ###"])
def test_empty_or_unknown_query_returns_nothing(real_index: PolicyIndex, query: str):
    assert real_index.search(query) == []


def test_k_limits_results(policies: Path):
    index = PolicyIndex.build(policies, LsaEmbedder())
    assert index.search("refund", k=0) == []
    assert len(index.search("refund window delivery", k=50)) <= len(index.chunks)


def test_manifest_records_embedder_hash_and_chunks(policies: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    PolicyIndex.load_or_build(policies, index_dir, LsaEmbedder())
    manifest = json.loads((index_dir / "manifest.json").read_text())
    assert manifest["embedder"] == LsaEmbedder().name
    assert manifest["policies_hash"] == retrieval.policies_hash(policies)
    assert manifest["count"] == len(manifest["chunks"]) == 6
    assert manifest["chunks"][0] == {
        "policy": "cancellations",
        "heading": "How to cancel",
        "text": "Open a ticket before the order ships.",
    }
    assert (index_dir / manifest["build_dir"] / "index.faiss").is_file()
    assert not list(index_dir.glob(".*.tmp"))


def test_unchanged_policies_load_the_saved_index(policies: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    first = PolicyIndex.load_or_build(policies, index_dir, LsaEmbedder())
    second = PolicyIndex.load_or_build(policies, index_dir, LsaEmbedder())
    assert second.manifest["build_dir"] == first.manifest["build_dir"]
    assert second.search("ship abroad") == first.search("ship abroad")


def test_policy_change_rebuilds(policies: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    first = PolicyIndex.load_or_build(policies, index_dir, LsaEmbedder())
    (policies / "privacy.md").write_text("# Privacy\n\n## Your data\n\nWe never sell your personal data.\n")
    second = PolicyIndex.load_or_build(policies, index_dir, LsaEmbedder())
    assert second.manifest["policies_hash"] != first.manifest["policies_hash"]
    assert second.manifest["build_dir"] != first.manifest["build_dir"]
    assert second.search("do you sell my data")[0].policy == "privacy"


def test_damaged_index_is_rebuilt(policies: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    first = PolicyIndex.load_or_build(policies, index_dir, LsaEmbedder())
    (index_dir / first.manifest["build_dir"] / "index.faiss").write_bytes(b"not an index")
    rebuilt = PolicyIndex.load_or_build(policies, index_dir, LsaEmbedder())
    assert rebuilt.manifest["build_dir"] != first.manifest["build_dir"]
    assert rebuilt.search("ship abroad")[0].policy == "shipping"


def test_embedder_name_change_rebuilds(policies: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    PolicyIndex.load_or_build(policies, index_dir, LsaEmbedder())
    other = LsaEmbedder(use_synonyms=False)
    rebuilt = PolicyIndex.load_or_build(policies, index_dir, other)
    assert json.loads((index_dir / "manifest.json").read_text())["embedder"] == other.name
    assert rebuilt.embedder.name == other.name
    with pytest.raises(ValueError):
        PolicyIndex.load(index_dir, LsaEmbedder())


def test_builds_are_deterministic(tmp_path: Path):
    a = PolicyIndex.load_or_build(POLICIES, tmp_path / "a", LsaEmbedder())
    b = PolicyIndex.build(POLICIES, LsaEmbedder())
    vectors_a = a.index.reconstruct_n(0, a.index.ntotal)
    vectors_b = b.index.reconstruct_n(0, b.index.ntotal)
    np.testing.assert_array_equal(vectors_a, vectors_b)
    query = "my parcel never arrived"
    assert a.search(query) == b.search(query)
    loaded = PolicyIndex.load(tmp_path / "a", LsaEmbedder())
    assert loaded.search(query) == a.search(query)


def test_query_fast_path_equals_batch_path(real_index: PolicyIndex):
    queries = ["cancle my ordr pls", "Do you ship internationally?", "money back for broken lamp"]
    fast = real_index.embedder.embed(queries)
    batch = real_index.embedder.embed_documents([synonyms.expand(q) for q in queries])
    np.testing.assert_allclose(fast, batch, atol=1e-5)
    assert fast.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)


def test_indexed_vectors_equal_document_embeddings(real_index: PolicyIndex):
    stored = real_index.index.reconstruct_n(0, real_index.index.ntotal)
    fresh = real_index.embedder.embed_documents([c.embed_text() for c in real_index.chunks])
    np.testing.assert_allclose(stored, fresh, atol=1e-5)


def test_large_corpora_fit_the_svd_on_a_sample(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(lsa, "SVD_FIT_MAX", 40)
    chunks = [Chunk("p", f"h{i}", f"refunds parcels item {i} number {i * 7} text") for i in range(90)]
    first = PolicyIndex.from_chunks(chunks, LsaEmbedder(dim=16))
    second = PolicyIndex.from_chunks(chunks, LsaEmbedder(dim=16))
    assert first.index.d == 16
    np.testing.assert_array_equal(first.index.reconstruct_n(0, 90), second.index.reconstruct_n(0, 90))


def test_from_chunks_accepts_other_faiss_indexes():
    chunks = [Chunk("p", f"h{i}", f"text number {i} about refunds and parcels {i * 7}") for i in range(60)]
    index = PolicyIndex.from_chunks(chunks, LsaEmbedder(dim=32), index_factory="HNSW16")
    assert index.search("text number 5 about refunds")[0].policy == "p"


def _config(policies: Path, **extra) -> AgentSettings:
    keys = {"POLICIES_DIR": str(policies), "RETRIEVAL_EMBEDDER": "auto", "MISTRAL_API_KEY": None, **extra}
    return settings_from(policies.parent, **keys).agent


def test_load_index_caches_per_process_and_reloads_on_change(policies: Path, tmp_path: Path):
    retrieval.clear_cache()
    config = _config(policies)
    first = load_index(config, tmp_path)
    assert load_index(config, tmp_path) is first
    (policies / "refunds.md").write_text("# Refunds\n\n## Window\n\nAsk within 14 days.\n")
    reloaded = load_index(config, tmp_path)
    assert reloaded is not first
    assert reloaded.search("refund window")[0].text == "Ask within 14 days."
    retrieval.clear_cache()


def test_build_index_writes_the_instance_index(policies: Path, tmp_path: Path):
    index = build_index(_config(policies), tmp_path)
    assert (tmp_path / "policy_index" / "manifest.json").is_file()
    rebuilt = build_index(_config(policies), tmp_path, force=True)
    assert rebuilt.manifest["build_dir"] != index.manifest["build_dir"]


def test_get_embedder_is_offline_without_a_key_or_when_asked(policies: Path):
    assert isinstance(get_embedder(_config(policies)), LsaEmbedder)
    assert isinstance(
        get_embedder(_config(policies, MISTRAL_API_KEY="k", RETRIEVAL_EMBEDDER="offline")), LsaEmbedder
    )
    with pytest.raises(ValueError):
        get_embedder(_config(policies, RETRIEVAL_EMBEDDER="mistral"))


def test_get_embedder_uses_mistral_when_a_key_is_set(policies: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # restored after the test
    config = _config(
        policies, MISTRAL_API_KEY="k", MISTRAL_BASE_URL="http://127.0.0.1:9/v1", MISTRAL_TIMEOUT=5.0
    )
    embedder = get_embedder(config)
    assert isinstance(embedder, MistralEmbedder)
    assert embedder.name == "mistral:mistral-embed"
    assert str(embedder._client.endpoint) == "http://127.0.0.1:9/v1/"
