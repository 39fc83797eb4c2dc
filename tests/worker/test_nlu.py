"""Triage: the action classifier on held-out text, hard negatives, extraction and the rules."""

import statistics

import pytest

from worker.agent.nlu import dataset, extract_order_numbers, item_mentions, triage
from worker.agent.nlu.message import clean, focus
from worker.agent.nlu.model import get_model, normalise, train
from worker.agent.nlu.taxonomy import ACTION, INTENTS

GRADED = ("refund", "cancel", "order_status", "escalate", "answer")


def _recalls(name: str) -> dict[str, float]:
    pairs = dataset.load_tsv(name)
    hits: dict[str, list[bool]] = {}
    for text, label in pairs:
        hits.setdefault(label, []).append(triage(text).action == label)
    return {label: sum(h) / len(h) for label, h in hits.items()}


@pytest.mark.parametrize("name", ["validation.tsv", "holdout.tsv"])
def test_macro_recall_on_hand_written_held_out_files(name):
    recalls = _recalls(name)
    assert statistics.mean(recalls[a] for a in GRADED) >= 0.90, recalls
    assert min(recalls[a] for a in GRADED + ("replacement", "clarify")) >= 0.80, recalls


# Written after the classifier's last change and never looked at while tuning it: the honest
# estimate of how it does on wording nobody trained it for (fresh.tsv was written first, before
# any change, and then looked at; see its header for the labelling conventions).
def test_macro_recall_on_the_untouched_fresh_set():
    recalls = _recalls("fresh2.tsv")
    assert statistics.mean(recalls[a] for a in GRADED) >= 0.90, recalls


def test_macro_recall_on_the_first_fresh_set():
    recalls = _recalls("fresh.tsv")
    assert statistics.mean(recalls[a] for a in GRADED) >= 0.90, recalls
    # 0.80: the intent taxonomy moved some of its escalations (account, address) to answers.
    assert min(recalls[a] for a in GRADED) >= 0.80, recalls


EVALUATION_FILES = ("validation.tsv", "holdout.tsv", "fresh.tsv", "fresh2.tsv")


def test_evaluation_files_share_no_text_with_training():
    training = {text.lower() for text, _, _ in dataset.training_examples()}
    for name in EVALUATION_FILES:
        assert not training & {text.lower() for text, _ in dataset.load_tsv(name)}, name


def test_evaluation_files_are_large_enough():
    assert len(dataset.load_tsv("fresh.tsv")) >= 250
    assert len(dataset.load_tsv("fresh2.tsv")) >= 150


def test_line_breaks_in_data_files():
    text = next(t for t, _ in dataset.load_tsv("fresh.tsv") if "\n" in t)
    assert "\\n" not in text


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("Hi there,\n\nI'd like a refund please.\n\nThanks,\nMaria", "I'd like a refund please."),
        ("Dear Sir/Madam, please cancel A1001. Kind regards, H. Brandt", "please cancel A1001."),
        ("hello sir i want my money back. thank you", "i want my money back."),
        ("hi can u cancel my order. thx", "can u cancel my order."),
        ("Good morning, where is Z100? Best, Jonas", "where is Z100?"),
        ("I hope you're well. Refund please.", "Refund please."),
        ("The product is not as described. Refund.", "The product is not as described. Refund."),
        ("Hi there,\nI hope you're well.\nBest,\nClaire", "Hi there,\nI hope you're well.\nBest,\nClaire"),
        ("thanks", "thanks"),
    ],
)
def test_clean_drops_greetings_and_sign_offs(text, cleaned):
    assert clean(text) == cleaned


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("The kettle arrived on Monday. It leaks everywhere. I want a refund.", "I want a refund."),
        (
            "Ordered on the 2nd. It's the 12th now. Nothing came.\nCould you tell me where it is?",
            "Could you tell me where it is?",
        ),
        ("Your service is awful. Three weeks. Nobody answers.", "Nobody answers."),
        ("Refund A1001 please, it's broken.", "Refund A1001 please, it's broken."),
    ],
)
def test_focus_is_the_sentence_that_asks(text, asked):
    assert focus(text) == asked


@pytest.mark.parametrize(
    ("text", "action"),
    [
        (
            "Hello,\n\nI ordered a lamp on the 3rd. My sister visited and liked it so much that she kept it, "
            "long story. Anyway, I have no use for the second one now, it hasn't been dispatched.\n\n"
            "Please cancel order A1001.\n\nKind regards,\nTom",
            "cancel",
        ),
        ("Your service is the worst and the mug came broken. Just refund me.", "refund"),
        ("I'm wondering whether you deliver to Norway.", "answer"),
        ("I don't recognise a payment from you on my bank statement.", "escalate"),
    ],
)
def test_long_and_mixed_messages(text, action):
    assert triage(text).action == action


def test_enough_training_data_per_intent():
    labels = [label for _, label, _ in dataset.training_examples()]
    assert len(labels) >= 3000
    for intent in INTENTS:
        assert labels.count(intent) >= 30, intent
    for action in GRADED + ("replacement",):
        assert sum(labels.count(i) for i in INTENTS if ACTION[i] == action) >= 150, action


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("How do I cancel my newsletter?", "answer"),
        ("how do I unsubscribe", "answer"),
        ("What is your refund policy?", "answer"),
        ("How long do refunds take?", "answer"),
        ("Can I cancel an order after it has shipped?", "answer"),
        ("I want to speak to your manager about my refund", "escalate"),
        ("Refund me or I'm calling my lawyer.", "escalate"),
        ("Give me my money back or I'll do a chargeback with my bank", "escalate"),
        ("Order Z100 arrived broken, I'd like my money back please.", "refund"),
        ("Order Z100 arrived broken, send me a new one.", "replacement"),
        ("where is my parcel", "order_status"),
        ("cancel my order before it ships", "cancel"),
        ("Please put me through to a human agent.", "escalate"),
        ("Do you ship internationally?", "answer"),
    ],
)
def test_hard_cases(text, action):
    assert triage(text).action == action


@pytest.mark.parametrize("text", ["cancel my account", "Please cancel my account."])
def test_cancel_account_is_not_an_order_cancellation(text):
    assert triage(text).action in {"answer", "escalate"}


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Order Z100 arrived broken", ["Z100"]),
        ("orders a1001 and #A1002, also A1001 again", ["A1001", "A1002"]),
        ("my order ORD-2024-0042 is late", ["ORD-2024-0042"]),
        ("order #12345678 please", ["12345678"]),
        ("order 55123 and order number: 77881", ["55123", "77881"]),
        ("H8001, Z999.", ["H8001", "Z999"]),
        ("I paid 42.00 (1,200.00 in total) in 2024", []),
        ("my order from 2023 was size M, not L", []),
        ("call +44 20 7946 0958 or 555-123-4567", []),
        ("tracking 1Z999AA10123456784", []),
        ("COVID-19 delayed it, 3 items, 2x", []),
        ("order 2024 was fine", []),
    ],
)
def test_order_number_extraction(text, numbers):
    assert extract_order_numbers(text) == numbers


def test_item_mentions_best_match_first():
    items = ["Blue Ceramic Mug", "Wireless Headphones", "Mug Coaster Set"]
    assert item_mentions("the mugs arrived, but the headphones are broken", items)[0] == "Wireless Headphones"
    assert item_mentions("nothing relevant", items) == []


def test_sentiment_sign():
    assert triage("THIS IS A SCAM!!! You are useless idiots").sentiment < -0.5
    assert triage("Thank you so much, great service, I appreciate it!").sentiment > 0.3
    assert abs(triage("Where is order A1001?").sentiment) < 0.2


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("I'm going to sue you, my lawyer will call.", "P1"),
        ("I will file a chargeback with my bank.", "P1"),
        ("The charger caught fire and burned my desk, refund it.", "P1"),
        ("Someone made unauthorized orders on my account", "P1"),
        ("Refund order Z100 please, it arrived broken.", "P2"),
        ("Please cancel A1001.", "P2"),
        ("Where is my parcel A1001?", "P3"),
        ("Do you ship to Japan?", "P4"),
    ],
)
def test_priority_rules(text, priority):
    assert triage(text).priority == priority


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("the mug arrived cracked", "damaged"),
        ("the kettle doesn't turn on", "defective"),
        ("you sent size M instead of L", "wrong"),
        ("please cancel my order", None),
        ("I ordered a blue jacket but got a red one", "wrong"),
    ],
)
def test_replacement_reason(text, reason):
    assert triage(text).replacement_reason == reason


@pytest.mark.parametrize(
    ("text", "reason", "wants_person"),
    [
        ("Let me talk to a real person please", "requested_human", True),
        ("I will take legal action", "legal_threat", False),
        ("I'm opening a PayPal dispute", "chargeback", False),
        ("This is the worst service ever, I want to complain", "complaint", False),
        ("Refund order Z100, the quality is terrible", None, False),
        ("I don't need a human, just refund A1001", None, False),
        ("No need for a human, just tell me where order J9004 is.", None, False),
        ("I don't want the bot, I want a human", "requested_human", True),
    ],
)
def test_escalation_reason_and_wants_person(text, reason, wants_person):
    result = triage(text)
    assert result.escalation_reason == reason
    assert result.wants_person is wants_person


@pytest.mark.parametrize(
    ("text", "intent", "action", "detail_or_topic"),
    [
        ("Order Z100 arrived broken, refund please", "get_refund", "refund", "damaged_item"),
        ("Do you ship internationally?", "delivery_options", "answer", "shipping"),
        ("How do I unsubscribe from the newsletter?", "newsletter_subscription", "answer", "accounts"),
        ("Put me through to a human", "contact_human_agent", "escalate", "requested_human"),
        ("i cant remember my password", "recover_password", "answer", "accounts"),
        ("where is the refund you promised me last week", "track_refund", "order_status", None),
        ("can u send me the invoice for K2231", "get_invoice", "invoice", None),
        ("I'd like to leave a review of your shop", "review", "answer", None),
    ],
)
def test_intent_action_and_detail(text, intent, action, detail_or_topic):
    result = triage(text)
    assert (result.intent, result.action) == (intent, action)
    if detail_or_topic:
        assert detail_or_topic in (result.detail, result.topic)


def test_confidence_is_a_probability():
    result = triage("Please cancel order A1001")
    assert 0.5 < result.confidence <= 1.0
    assert abs(sum(result.probabilities.values()) - 1.0) < 0.01


def test_confidence_means_what_it_says_on_unseen_wording():
    """Reliability on the fresh sets: confident answers are right, doubtful ones often wrong."""
    pairs = dataset.load_tsv("fresh.tsv") + dataset.load_tsv("fresh2.tsv")
    results = [(triage(text), label) for text, label in pairs]
    confident = [r.action == label for r, label in results if r.confidence >= 0.9]
    doubtful = [r.action == label for r, label in results if r.confidence < 0.6]
    assert statistics.mean(confident) >= 0.97
    assert len(confident) >= 0.7 * len(results)
    assert statistics.mean(doubtful) <= 0.8


def test_normalise_hides_values():
    assert normalise("Refund A1001: 42.00 USD, card [CARD ****1111]") == "refund ordnum : amt , card cardnum"


def test_training_is_deterministic():
    examples = dataset.training_examples()
    assert examples == dataset.training_examples()
    texts, labels, groups = (list(c) for c in zip(*examples, strict=True))
    fresh = train(texts, labels, groups)
    shared = get_model()
    for text in ("refund my broken mug", "where is my order", "talk to a human"):
        assert fresh.probabilities(text) == shared.probabilities(text)


def test_cache_round_trip_without_pickle(tmp_path):
    from worker.agent.nlu.model import ActionModel, _load_or_train, cache_key

    shared = get_model()
    path = tmp_path / f"triage-model-{cache_key()}.npz"
    shared.save(path)
    loaded = _load_or_train(tmp_path)  # finds the file: no training; np.load(allow_pickle=False)
    text = "my parcel never came, where is it?"
    assert loaded.probabilities(text) == shared.probabilities(text)
    assert ActionModel.load(path).labels == shared.labels
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_triage_is_fast_after_warm_up():
    import time

    triage("warm up")
    started = time.perf_counter()
    for _ in range(50):
        triage("Order Z100 arrived broken, I'd like my money back please.")
    assert (time.perf_counter() - started) / 50 < 0.01  # generous: the target is < 2 ms on an idle core
