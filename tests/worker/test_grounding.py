"""Replies grounded in outcomes: a model's reply that claims an action the tools refused or never took is
replaced by the outcome-based reply and the run is flagged. The rule on its own, in the four languages,
and through the real job against the fake Mistral server."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Cancellation, Message, Ticket
from tests.fakes.mistral_server import FakeMistral
from tests.worker.test_mistral_backend import count, latest_run, prepare, process_new_ticket
from worker.agent.backends.base import ToolOutcome
from worker.agent.grounding import GENERIC, claimed_actions, ungrounded_claim

CLAIMS = [
    ("All done as requested.", {GENERIC}),
    ("Done! Order A1002 has been cancelled.", {"cancel"}),
    ("Your refund of 42.00 USD for order A1003 has been issued [1].", {"refund"}),
    ("I've sent you a replacement.", {GENERIC, "replacement"}),
    ("Your delivery address has been updated.", {"change_address"}),
    ("Todo listo.", {GENERIC}),
    ("Su pedido ha sido cancelado.", {"cancel"}),
    ("Tu reembolso de 42.00 USD ha sido procesado.", {"refund"}),
    ("C\u2019est fait : votre commande a été annulée.", {GENERIC, "cancel"}),
    ("Votre remboursement de 42.00 EUR a été effectué.", {"refund"}),
    ("J'ai envoyé un remplacement.", {GENERIC, "replacement"}),
    ("Alles erledigt!", {GENERIC}),
    ("Ihre Bestellung wurde storniert.", {"cancel"}),
    ("Ich habe Ihnen 42.00 EUR erstattet.", {"refund"}),
    ("Ihre Lieferadresse wurde geändert.", {"change_address"}),
]
NO_CLAIMS = [
    "I'm sorry, order A1002 has already shipped, so it can't be cancelled any more.",
    "Your order has not been cancelled.",
    "Refunds are processed within 5-10 business days.",
    "I have sent your ticket to our team; they will reply within 4 hours.",
    "Your order A1002 was shipped on Monday and should arrive tomorrow.",
    "No se puede cancelar el pedido porque ya fue enviado.",
    "La commande ne peut pas être annulée.",
    "Die Bestellung wurde nicht storniert.",
    "Eine Rückerstattung ist nach 30 Tagen nicht mehr möglich.",
]


@pytest.mark.parametrize(("reply", "claims"), CLAIMS)
def test_claims_are_recognised_in_four_languages(reply, claims):
    assert claimed_actions(reply) == claims


@pytest.mark.parametrize("reply", NO_CLAIMS)
def test_refusals_negations_and_policy_statements_claim_nothing(reply):
    assert claimed_actions(reply) == set()


def outcome(tool, decision):
    return ToolOutcome(tool, decision, f"{tool} {decision}", order_number="A1003")


def test_without_a_carried_out_action_every_claim_is_ungrounded():
    refused = [outcome("cancel", "denied"), outcome("refund", "held"), outcome("order_status", "done")]
    assert (
        ungrounded_claim("All done as requested.", refused)
        == "reply claims done but no action was carried out"
    )
    assert ungrounded_claim("Your refund has been issued.", refused)  # held is not issued
    assert ungrounded_claim("Sorry, that order can't be cancelled any more.", refused) is None


def test_a_carried_out_action_may_be_claimed_but_not_another_one():
    refunded = [outcome("refund", "done")]
    assert ungrounded_claim("All done! Your refund has been issued.", refunded) is None
    assert ungrounded_claim("Your order has been cancelled.", refunded) == (
        "reply claims cancel but only refund was carried out"
    )


# --- through the job, against the fake Mistral server ------------------------------------------------


@pytest.fixture
def mistral(sqlite_app):
    """The demo shop with the Mistral backend pointed at a fresh fake server: (app, fake)."""
    with FakeMistral() as fake:
        yield prepare(sqlite_app, fake), fake


def agent_reply(app, ticket_id) -> str:
    with app.app_context():
        return db.session.scalars(
            select(Message.body).filter_by(ticket_id=ticket_id, author_kind="agent")
        ).one()


def test_false_all_done_after_a_refused_cancel_never_reaches_the_customer(mistral):
    app, fake = mistral
    fake.queue_tool_call("cancel", {"order_number": "A1002"})  # shipped: the tool refuses
    fake.queue_answer("All done as requested.")

    ticket_id = process_new_ticket(app, "Please cancel my order A1002.")

    reply = agent_reply(app, ticket_id)
    assert "All done" not in reply
    assert "A1002" in reply and "shipped" in reply  # the refusal, from the tool's own message
    run = latest_run(app, ticket_id)
    assert (run.action, run.outcome) == ("cancel", "denied")
    [step] = [s for s in run.trace if s["step"] == "grounding"]
    assert step["output"] == {
        "replaced": True,
        "why": "reply claims done but no action was carried out",
        "escalated": False,
    }
    assert run.reply_replaced == "reply claims done but no action was carried out"
    assert count(app, Cancellation) == 0


def test_claimed_cancellation_in_spanish_is_replaced_by_the_spanish_outcome(mistral):
    app, fake = mistral
    fake.queue_tool_call("cancel", {"order_number": "A1002"})
    fake.queue_answer("¡Listo! Su pedido A1002 ha sido cancelado.")

    ticket_id = process_new_ticket(app, "Hola, quiero cancelar mi pedido A1002, por favor.")

    reply = agent_reply(app, ticket_id)
    assert "ha sido cancelado" not in reply and "A1002" in reply
    assert latest_run(app, ticket_id).reply_replaced == "reply claims cancel but no action was carried out"


def test_a_claim_with_no_tool_called_at_all_goes_to_a_person(mistral):
    app, fake = mistral
    fake.queue_answer("I've refunded order A1003 for you.")

    ticket_id = process_new_ticket(app, "Refund A1003 please, it arrived broken.")

    assert "refunded order A1003" not in agent_reply(app, ticket_id)
    with app.app_context():
        assert db.session.get(Ticket, ticket_id).status == "escalated"
    assert latest_run(app, ticket_id).reply_replaced.startswith("reply claims refund")


def test_a_true_claim_is_kept_and_the_run_is_not_flagged(mistral):
    app, fake = mistral
    fake.queue_tool_call("refund", {"order_number": "A1003", "reason": "arrived broken"})
    fake.queue_answer("All done: your refund of 42.00 USD for order A1003 has been issued.")

    ticket_id = process_new_ticket(app, "My headphones from order A1003 arrived broken, refund please.")

    assert agent_reply(app, ticket_id).startswith("All done: your refund of 42.00 USD")
    assert latest_run(app, ticket_id).reply_replaced is None
