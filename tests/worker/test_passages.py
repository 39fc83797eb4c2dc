"""Choosing the passage a reply quotes and the sentences it quotes (worker.agent.passages)."""

from __future__ import annotations

import pytest

from worker.agent.backends.base import Citation
from worker.agent.passages import answer_passage, excerpt, rank, stem, units

WINDOW = Citation(
    "refunds",
    "Refund window: 30 days after delivery",
    "You have **30 days** from the day your order was delivered to ask for a refund. A request made on "
    "day 30 is accepted; from day 31 on, the order is outside the refund window and we can no longer "
    "refund it. If something is wrong with an item after that, contact us and a member of our team "
    "will look at it.",
    0.38,
)
LIMIT = Citation(
    "refunds",
    "Limit: 2 refunds in any 30 days",
    "Each customer can receive at most **2 refunds in any rolling 30 days**. If you ask for a third "
    "refund within 30 days, we will not issue it automatically.",
    0.54,
)
MONEY = Citation(
    "refunds",
    "Where the money goes",
    "Refunds always go back to the **original payment method**: your card, your PayPal account or your "
    "gift card balance.",
    0.60,
)
METHODS = Citation(
    "payments",
    "Payment methods we accept",
    "You can pay with:\n\n- **Card**: Visa and Mastercard.\n- **PayPal**.\n- **Gift card**: a balance.",
)
WHEN = Citation(
    "replacements",
    "When you can get a replacement",
    "You can ask for a replacement when:\n\n- the order has been **delivered**, and\n- it was delivered "
    "no more than **30 days** ago, and\n- an item arrived **damaged**.\n\nWe do not replace items because "
    "you changed your mind; ask for a refund instead (see our refund policy). " + "More words here. " * 20,
)
STATUSES = Citation(
    "shipping",
    "Order statuses",
    "- **pending**: the order is being prepared; it can still be cancelled.\n"
    "- **shipped**: the order is on its way; it can no longer be cancelled.\n"
    "- **cancelled**: the order was cancelled and the money returned.\n" + "- **other**: filler text. " * 20,
)


@pytest.mark.parametrize(
    ("word", "expected"),
    [("cancelled", "cancel"), ("cancellation", "cancel"), ("shipped", "ship"), ("refunds", "refund")],
)
def test_stem_brings_word_forms_together(word, expected):
    assert stem(word) == expected


def test_a_decision_quotes_the_rule_it_applied_not_retrievals_first_pick():
    ranked = rank("refund window 30 days after delivery ask for a refund", [MONEY, LIMIT, WINDOW])
    assert ranked[0] is WINDOW


def test_an_answer_prefers_the_passage_whose_sentence_answers_the_question():
    assert answer_passage("How many days do I have to ask for a refund?", [LIMIT, WINDOW]) is WINDOW


def test_excerpt_quotes_the_matching_sentence_only():
    text = excerpt(WINDOW, "from day 31 on no longer refund", 300, min_share=0.5, max_units=1)
    assert text.startswith("A request made on day 30") and "**" not in text


def test_a_list_introduction_brings_its_items_on_lines_of_their_own():
    text = excerpt(METHODS, "which payment methods can I pay with", 300, bullets=True)
    assert text == "You can pay with:\n- Card: Visa and Mastercard.\n- PayPal.\n- Gift card: a balance."


def test_a_list_item_that_is_half_a_sentence_brings_the_whole_list():
    text = excerpt(WHEN, "delivered no more than 30 days", 400, max_units=1)
    assert text.startswith("You can ask for a replacement when: the order has been delivered, and it was")


def test_a_status_line_is_quoted_without_its_neighbours():
    text = excerpt(STATUSES, "order statuses cancelled: the order", 300, min_share=0.5, max_units=1)
    assert text == "cancelled: the order was cancelled and the money returned."


def test_units_split_sentences_and_bullets():
    assert units(METHODS.text)[:2] == ["You can pay with:", "Card: Visa and Mastercard."]
