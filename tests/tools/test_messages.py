"""What an action did, in words: one module for ticket pages, the desk, run summaries and emails."""

from __future__ import annotations

from tools import messages


def test_outcome_headlines_per_kind_and_decision():
    assert messages.outcome_headline(
        "refund", "done", amount="42.00 USD", order_number="A1003", reference="LE-1"
    ) == ("Refund of 42.00 USD for order A1003 issued, reference LE-1.")
    assert messages.outcome_headline("cancellation", "held", order_number="B2") == (
        "Cancellation for order B2 held for review by our team."
    )
    assert messages.outcome_headline("replacement", "approved", reference="SH-9") == (
        "Replacement on its way, reference SH-9."
    )
    # a reference is only shown for something that happened
    assert messages.outcome_headline("refund", "denied", order_number="A1", reference="LE-2") == (
        "Refund for order A1 not possible."
    )


def test_email_headlines():
    assert messages.email_headline("refund", "42.00 USD", "A1") == "Your refund of 42.00 USD has been issued."
    assert messages.email_headline("cancellation", "9.00 EUR", "B2") == (
        "Your order B2 has been cancelled and 9.00 EUR is on its way back to you."
    )
    assert (
        messages.email_headline("replacement", None, "C3") == "A free replacement for order C3 is on its way."
    )
    assert messages.email_headline("action", None, None) == "We carried out your request."


def test_run_summaries():
    assert messages.run_summary("refund", "done", amount="5.00 USD", order_number="A1", reason=None) == (
        "Refund of 5.00 USD issued for order A1"
    )
    assert messages.run_summary("refund", "held", amount="900.00 USD", order_number="A1", reason=None) == (
        "Refund of 900.00 USD for order A1 held for staff approval"
    )
    assert messages.run_summary(
        "cancel", "denied", amount="", order_number="A2", reason="already_shipped"
    ) == ("Cancel for order A2 not done: already shipped")


def test_action_kinds_accept_tool_names_and_kinds():
    assert [messages.action_kind(name) for name in ("refund", "cancel", "cancellation", "replacement")] == [
        "refund",
        "cancellation",
        "cancellation",
        "replacement",
    ]
    assert messages.action_kind("order_status") is None and messages.action_kind(None) is None


def test_reasons_read_in_plain_words():
    assert messages.reason_words("not_covered: The customer asks for something no tool covers.") == (
        "Not something the assistant can do: The customer asks for something no tool covers."
    )
    assert messages.reason_words("human_requested: The customer asks to talk to a person.").startswith(
        "Asked for a person: "
    )
    assert (
        messages.reason_words("refund: refund_limit_reached") == "Refund not possible: refund limit reached"
    )
    assert messages.reason_words("refund held: above 500.00") == "Refund held for approval: above 500.00"
    assert messages.reason_words("Customer asked for a person") == "Customer asked for a person"
    assert messages.reason_words("the assistant failed: TimeoutError") == "the assistant failed: TimeoutError"
    assert messages.reason_words(None) == ""
