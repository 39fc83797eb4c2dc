"""Other people's names: cues, titles, sign-offs, the census gazetteer, and what must survive."""

import pytest

from worker.agent.redact import redact

REDACTED = [
    ("neighbour", "my neighbour John Smith took the parcel", "my neighbour [NAME] took the parcel"),
    ("name is", "the courier's name is Pedro Alvarez.", "the courier's name is [NAME]."),
    ("title", "please ask Mrs Okonkwo at reception", "please ask Mrs [NAME] at reception"),
    ("ask for", "ask for Siobhan when you call", "ask for [NAME] when you call"),
    ("signed by", "it was signed for by K. Brandt at 10:02", "it was signed for by [NAME] at 10:02"),
    (
        "sign-off",
        "Refund order A1001 please.\nKind regards,\nMaria Fernandez",
        "Refund order A1001 please.\nKind regards,\n[NAME]",
    ),
    ("sign-off inline", "Where is A1002? Thanks, Priya", "Where is A1002? Thanks, [NAME]"),
    ("i'm first name", "Hi, I'm Sarah and my order is late", "Hi, I'm [NAME] and my order is late"),
    ("gazetteer pair", "Linda Johnson from next door has it", "[NAME] from next door has it"),
    ("french", "mon voisin, Mme Dubois, l'a reçu", "mon voisin, Mme [NAME], l'a reçu"),
]

KEPT = [
    ("item brand", "the Michael Kors jeans from order A1001 are torn", ["Michael Kors Jeans"]),
    ("order after cue", "this is Order A1001, refund please", []),
    ("feeling after i'm", "I'm Very upset about A1003", []),
    ("sign-off team", "Thanks, Support Team", []),
    ("no cue single word", "Paris was lovely but the parcel never came", []),
    ("amounts and orders", "Best price was 42.00 for ORD-2024-0042", []),
]


@pytest.mark.parametrize(("label", "text", "expected"), REDACTED, ids=[r[0] for r in REDACTED])
def test_names_of_other_people(label, text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(("label", "text", "items"), KEPT, ids=[k[0] for k in KEPT])
def test_not_names(label, text, items):
    assert redact(text, items=items) == text
