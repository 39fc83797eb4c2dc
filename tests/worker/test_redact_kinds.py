"""Phones (libphonenumber), cards in any grouping, dates of birth and national ids."""

import pytest

from worker.agent.redact import redact
from worker.agent.redaction.ids import dni_valid, insee_valid

REDACTED = [
    ("uk ext", "ring +44 20 7946 0958 ext. 123 today", "ring [PHONE] today"),
    ("uk 0044", "or 0044 20 7946 0958.", "or [PHONE]."),
    ("de trunk in brackets", "Tel. +49 (0)30 12345678 bitte", "Tel. [PHONE] bitte"),
    ("de national", "Rückruf unter 030 12345678", "Rückruf unter [PHONE]"),
    ("es mobile", "mi móvil es 612 34 56 78", "mi móvil es [PHONE]"),
    ("es landline", "llamen al 91 123 45 67", "llamen al [PHONE]"),
    ("us x ext", "office (212) 555-0123 x45 thanks", "office [PHONE] thanks"),
    ("us intl", "+1 415 555 2671", "[PHONE]"),
    ("card dots", "card 4111.1111.1111.1111 please", "card [CARD ****1111] please"),
    ("card 8-8", "4111111 111111111 ok", "[CARD ****1111] ok"),
    ("card spaced dashes", "5500 - 0000 - 0000 - 0004", "[CARD ****0004]"),
    ("dob born", "I was born 12/03/1985 in Leeds", "I was born [DOB] in Leeds"),
    ("dob iso", "DOB: 1985-03-12.", "DOB: [DOB]."),
    ("dob words", "my date of birth is 3 March 1985", "my date of birth is [DOB]"),
    ("dob fr", "née le 12/03/1985", "née le [DOB]"),
    ("dob de", "Geburtsdatum: 12.03.1985", "Geburtsdatum: [DOB]"),
    ("uk ni", "NI JG 10 37 41 B here", "NI [ID] here"),
    ("uk ni compact", "my number AB123456C", "my number [ID]"),
    ("dni", "DNI 12345678Z gracias", "DNI [ID] gracias"),
    ("nie", "NIE X1234567L", "NIE [ID]"),
    ("insee", "sécu 1 85 05 78 006 084 91", "sécu [ID]"),
    ("steuer id", "Steuer-ID: 12 345 678 901", "Steuer-ID: [ID]"),
    ("passport", "passport number 533380006", "passport number [ID]"),
]

KEPT = [
    ("orders", "Orders A1001, ORD-2024-0042 and #12345678, order 12345"),
    ("tracking", "tracking 1Z999AA10123456784 and 9400 1000 0000 0000 0000 00"),
    ("amounts", "refund 3499.99 EUR, 1,200.00 and €42.50"),
    ("plain dates", "ordered 12/03/2024, delivered 2024-03-15, due 15.03.2024"),
    ("order id", "order id number ORD-2024-0042"),
    ("dni bad letter", "ref 12345678A"),
    ("insee bad key", "1 85 05 78 006 084 92"),
    ("iban tail", "DE89 3704 0044 0532 0130 01"),
    ("year and quantity", "bought 3 in 2023 for 120.00"),
]


@pytest.mark.parametrize(("label", "text", "expected"), REDACTED, ids=[r[0] for r in REDACTED])
def test_redacts(label, text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(("label", "text"), KEPT, ids=[k[0] for k in KEPT])
def test_survives(label, text):
    assert redact(text) == text


def test_checksums():
    assert dni_valid("", "12345678", "Z") and not dni_valid("", "12345678", "A")
    assert dni_valid("X", "1234567", "L") and not dni_valid("X", "12345678", "L")
    assert insee_valid("1 85 05 78 006 084", "91") and not insee_valid("1850578006084", "90")
