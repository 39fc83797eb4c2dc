"""Training data is ours and kept apart from evaluation: no scenario or evaluation text, exactly or nearly."""

from pathlib import Path

import pytest

from worker.agent.nlu import dataset
from worker.agent.nlu.overlap import overlaps, scenario_messages, words
from worker.agent.nlu.taxonomy import INTENTS

ROOT = Path(__file__).resolve().parents[2]
# The team's shared examples sit beside the repository on development machines (not in a clone).
SHARED = ROOT.parent / "shared" / "scenarios" / "examples.jsonl"
EVALUATION_TSV = ("validation.tsv", "holdout.tsv", "fresh.tsv", "fresh2.tsv")


def _scenario_files() -> list[Path]:
    files = sorted((ROOT / "tests" / "scenarios").glob("*.jsonl"))
    return files + ([SHARED] if SHARED.exists() else [])


def _evaluation_texts() -> list[str]:
    texts = [t for path in _scenario_files() for t in scenario_messages(path)]
    texts += [t for name in EVALUATION_TSV for t, _ in dataset.load_tsv(name)]
    texts += [t for t, _ in dataset.load_tsv("dev_intents.tsv", INTENTS)]
    for path in sorted((dataset.DATA_DIR / "eval").glob("*.tsv")):
        texts += [t for t, _ in dataset.load_tsv(f"eval/{path.name}", INTENTS)]
    return texts


def test_no_evaluation_text_in_training_exactly_or_nearly():
    training = [text for text, _, _ in dataset.training_examples()]
    found = overlaps(training, _evaluation_texts())
    assert not found, found[:10]


def test_the_check_sees_every_kind_of_evaluation_text():
    texts = _evaluation_texts()
    assert len(texts) >= 1000
    # conversations count turn by turn, and the project's own scenario file is read
    assert "P2002 please" in texts


@pytest.mark.parametrize(
    ("training", "evaluation"),
    [
        (
            "Order Z100 arrived broken, I'd like my money back please.",
            "order a1001 arrived BROKEN; I'd like my money back please",
        ),
        (
            "Please refund order B2002 now, the lamp is not what I expected",
            "Refund order A1001 now please, the lamp is not what I expected",
        ),
        ("¿Dónde está mi pedido?", "Donde esta mi pedido"),
    ],
)
def test_the_check_catches_copies_with_another_order_number_or_word_order(training, evaluation):
    assert overlaps([training], [evaluation])


def test_the_check_leaves_different_messages_alone():
    assert not overlaps(
        ["Please cancel my order, I ordered the wrong size"], ["Where is my refund for the lamp?"]
    )
    assert not overlaps(["refund please"], ["cancel please"])


def test_words_mask_numbers_and_accents():
    assert words("Refund A1001: 42.00 — café") == words("refund B2002: 7.50 - cafe")


def test_every_training_file_uses_the_taxonomy():
    for path in dataset.training_files():
        assert dataset.load_tsv(f"intents/{path.name}", INTENTS), path.name
