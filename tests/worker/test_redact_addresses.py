"""Street addresses, the per-ticket vault, and the toolbox that alone maps a placeholder back."""

import pytest

from worker.agent.nlu.extract import asks_address_change, new_address
from worker.agent.redact import redact
from worker.agent.redaction.vault import AddressVault
from worker.agent.toolbox import ServiceToolbox

ADDRESSES = [
    ("uk", "send it to 14 Mill Lane, Leeds LS1 4AB instead", "send it to [ADDRESS] instead"),
    ("uk flat", "Flat 2, 14 Mill Lane, Leeds LS1 4AB.", "[ADDRESS]."),
    ("uk town only", "to 3 Elm Street, York?", "to [ADDRESS]?"),
    ("uk country", "I live at 4 Station Road, Milton Keynes MK9 1AA, UK.", "I live at [ADDRESS]."),
    ("us", "ship to 123 Main St Apt 4, Springfield, IL 62704 pls", "ship to [ADDRESS] pls"),
    ("us directional", "1600 Pennsylvania Avenue NW, Washington, DC 20500", "[ADDRESS]"),
    ("fr", "nouvelle adresse : 12 rue de la Paix 75002 Paris", "nouvelle adresse : [ADDRESS]"),
    ("fr country", "5 Rue Victor Hugo, 69002 Lyon, France", "[ADDRESS]"),
    ("de", "neue Adresse: Hauptstraße 5, 10115 Berlin bitte", "neue Adresse: [ADDRESS] bitte"),
    ("de two words", "Berliner Straße 12a, 80331 München", "[ADDRESS]"),
    ("es", "enviar a Calle Mayor 12, 28013 Madrid gracias", "enviar a [ADDRESS] gracias"),
    ("es particles", "Avenida de la Constitución 4, 41001 Sevilla", "[ADDRESS]"),
]

KEPT = [
    "I bought 3 blue shirts way too big",
    "order A1001 has 2 items, size 10 Street shoes",  # lowercase-free street name is not enough alone
    "delivered 2024-03-15 at 10:30, 3 boxes",
    "tracking 1Z999AA10123456784 for order ORD-2024-0042",
]


@pytest.mark.parametrize(("label", "text", "expected"), ADDRESSES, ids=[a[0] for a in ADDRESSES])
def test_addresses(label, text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_not_addresses(text):
    assert "[ADDRESS" not in redact(text)


def test_item_names_are_never_an_address():
    text = "Order A1001: the 2 Harbour View Court cushions are too small"
    assert "[ADDRESS]" in redact(text)
    assert redact(text, items=["Harbour View Court cushions"]) == text


def test_a_street_never_starts_with_a_brand():
    # without the item list: "Nike" is a brand, so "2 Nike Air Court" is a product, not a street
    text = "Order A1001: the 2 Nike Air Court trainers are too small"
    assert redact(text) == text


def test_vault_numbers_each_address_once_and_maps_back():
    vault = AddressVault()
    first = redact("from 1 Old Road, Bath BA1 1AA to 14 Mill Lane, Leeds LS1 4AB", vault=vault)
    again = redact("yes, 14 Mill Lane, Leeds LS1 4AB", vault=vault)
    assert first == "from [ADDRESS_1] to [ADDRESS_2]" and again == "yes, [ADDRESS_2]"
    assert vault.reveal("to [ADDRESS_2], [ADDRESS_9]") == "to 14 Mill Lane, Leeds LS1 4AB, [ADDRESS_9]"
    echoed = "Order A1001 will go to 14 Mill Lane,  Leeds LS1 4AB."
    assert vault.mask(echoed) == "Order A1001 will go to [ADDRESS_2]."
    assert "Mill" not in repr(vault)


def test_new_address_reads_the_placeholder():
    assert new_address("Please send order A1001 to [ADDRESS_1] instead.") == "[ADDRESS_1]"
    assert new_address("I moved from [ADDRESS_1], the new one: [ADDRESS_2]") == "[ADDRESS_2]"
    assert asks_address_change("Could you ship order Q3001 to [ADDRESS_1] instead?")
    assert new_address("ship to 8 Harbour Road, Bristol BS1 5TT") == "8 Harbour Road, Bristol BS1 5TT"


def test_toolbox_reveals_only_the_change_address_argument():
    vault = AddressVault()
    placeholder = vault.keep("14 Mill Lane, Leeds LS1 4AB")
    toolbox = ServiceToolbox(ticket_id=1, customer_id=1, run_id=None, limits=None, vault=vault)
    args = {"order_number": "A1001", "address": placeholder}
    assert toolbox._revealed("change_address", args)["address"] == "14 Mill Lane, Leeds LS1 4AB"
    assert toolbox._revealed("refund", {"reason": placeholder}) == {"reason": placeholder}
    assert args["address"] == placeholder  # what the trace records is left alone
