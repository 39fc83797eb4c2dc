"""Reading an answer to the agent's question, and follow-ups about what was already done."""

from decimal import Decimal

import pytest

from tools import ItemSnapshot, OrderSnapshot
from worker.agent.dialogue import (
    PendingQuestion,
    chosen_option,
    earlier_action_asked_about,
    refers_back,
)


def order(number, *items):
    return OrderSnapshot(
        number=number,
        customer_id=1,
        status="delivered",
        total=Decimal("10.00"),
        items=tuple(ItemSnapshot(name, 1, Decimal("10.00")) for name in items),
    )


ORDERS = (order("P2201", "Yoga mat"), order("P2202", "Hiking boots"), order("P2203", "55-inch TV"))
# listed in another order than the customer's orders: answers follow the list the customer read
PENDING = PendingQuestion("order", "refund", "get_refund", ("P2202", "P2201", "P2203"), None)


@pytest.mark.parametrize(
    ("answer", "picked"),
    [
        ("P2203 please", "P2203"),
        ("it's p2201", "P2201"),
        ("the second one", "P2201"),
        ("yes the first one please", "P2202"),
        ("the last one", "P2203"),
        ("2", "P2201"),
        ("the hiking bots", "P2202"),
        ("the TV", "P2203"),
        ("la segunda", "P2201"),
        ("umm not sure", None),
        ("the one i bought", None),
    ],
)
def test_the_answer_picks_among_the_orders_listed(answer, picked):
    assert chosen_option(answer, PENDING, ORDERS) == picked


def test_yes_picks_the_only_order_offered():
    only = PendingQuestion("order", "cancel", "cancel_order", ("P2201",), None)
    assert chosen_option("yes", only, ORDERS) == "P2201"
    assert chosen_option("yes", PENDING, ORDERS) is None


DONE = [
    {"action": "refund", "decision": "done", "order": "F6001"},
    {"action": "replacement", "decision": "done", "order": "F6002"},
]


@pytest.mark.parametrize(
    ("text", "about"),
    [
        ("did the refund go through?", "F6001"),
        ("When will I get the money?", "F6001"),
        ("has the replacement shipped yet?", "F6002"),
        ("quand est-ce que je reçois l'argent ?", "F6001"),
        ("I want a refund for the lamp too", None),
        ("where is order B2001?", None),
    ],
)
def test_a_follow_up_question_is_about_what_was_done(text, about):
    found = earlier_action_asked_about(text, DONE)
    assert (found or {}).get("order") == about


def test_short_follow_ups_point_back():
    assert refers_back("can you cancel it then?")
    assert not refers_back("I would like to cancel the order I placed for my sister yesterday, thanks")
