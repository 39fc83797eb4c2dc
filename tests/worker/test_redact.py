"""PII redaction: what is replaced, and what must survive untouched."""

import pytest

from worker.agent.redact import iban_valid, luhn_valid, mask_card_numbers, redact, redact_details

REDACTED = [
    ("card with spaces", "my card 4111 1111 1111 1111 was charged", "my card [CARD ****1111] was charged"),
    ("card with dashes", "card: 5500-0000-0000-0004.", "card: [CARD ****0004]."),
    ("card compact", "4242424242424242", "[CARD ****4242]"),
    ("amex 4-6-5", "amex 3782 822463 10005 ok", "amex [CARD ****0005] ok"),
    ("card then cvv", "4111 1111 1111 1111 123", "[CARD ****1111] 123"),
    ("iban spaced", "IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [IBAN] please"),
    ("iban compact", "send it to GB82WEST12345698765432", "send it to [IBAN]"),
    ("ssn", "my SSN is 123-45-6789.", "my SSN is [SSN]."),
    ("ssn spaced after keyword", "SSN 123 45 6789", "SSN [SSN]"),
    ("email", "write to jane.doe+shop@example.co.uk now", "write to [EMAIL] now"),
    ("uk intl phone", "call +44 20 7946 0958 today", "call [PHONE] today"),
    ("us parens", "call (555) 123-4567", "call [PHONE]"),
    ("us intl dashes", "+1-555-123-4567", "[PHONE]"),
    ("us intl parens", "+1 (555) 123-4567.", "[PHONE]."),
    ("us dashes", "555-123-4567", "[PHONE]"),
    ("us dots", "555.123.4567", "[PHONE]"),
    ("french spaced", "mon numéro 06 12 34 56 78 merci", "mon numéro [PHONE] merci"),
    ("french dots", "06.12.34.56.78", "[PHONE]"),
    ("french compact", "0612345678", "[PHONE]"),
    ("french intl", "+33 6 12 34 56 78", "[PHONE]"),
    ("uk national", "020 7946 0958", "[PHONE]"),
    ("uk mobile", "07700 900123", "[PHONE]"),
    ("german intl", "+49 30 12345678", "[PHONE]"),
    ("uk mobile compact", "07700900123", "[PHONE]"),
    ("announced compact", "call me on 5551234567 please", "call me on [PHONE] please"),
    ("announced short", "Mobile: 555 1234", "Mobile: [PHONE]"),
    ("ipv4", "from 192.168.1.20, thanks", "from [IP], thanks"),
    ("ipv6", "my ip 2001:db8::8a2e:370:7334", "my ip [IP]"),
    ("ipv6 loopback", "host ::1 here", "host [IP] here"),
]

KEPT = [
    ("order numbers", "Orders A1001, Z100, H8001 and #A1001 please"),
    ("order with dashes", "order ORD-2024-0042 is late"),
    ("hash digits order", "order #12345678 and order 12345"),
    ("amounts", "I paid 42.00 then 1,200.00 and $3,499.99 and 1200.00 EUR"),
    ("dates", "delivered 2024-01-15, on 15/01/2024, 01.15.2024 and 15.01.2024 at 10:30:00"),
    ("ups tracking", "tracking 1Z999AA10123456784"),
    ("usps tracking", "tracking 9400 1000 0000 0000 0000 00"),
    ("usps compact", "tracking 9400111899223344556677"),
    ("luhn-invalid card", "4111 1111 1111 1112"),
    ("invalid iban", "DE89 3704 0044 0532 0130 01"),
    ("invalid ssn area", "000-12-3456 and 666-12-3456"),
    ("quantities and sizes", "2 x size M, 3 items, 10% off, 4K TV 55 inch"),
    ("version", "app version 2.10.3"),
    ("time range", "between 9:00 and 17:30"),
    ("short numbers", "call me at ext 1234 or room 101"),
    ("order and year", "A1001 from 2023 costing 99.99"),
    ("phone word without number", "my phone case order 12345 arrived"),
    ("order number after call", "call me about order 55123"),
]


@pytest.mark.parametrize(("label", "text", "expected"), REDACTED, ids=[r[0] for r in REDACTED])
def test_redacts(label, text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(("label", "text"), KEPT, ids=[k[0] for k in KEPT])
def test_false_positives_survive(label, text):
    assert redact(text) == text
    assert mask_card_numbers(text) == text


def test_names_whole_word_case_insensitive():
    # "Janeway" holds "Jane" but is another word ("Janet", a sister, is now redacted as another person)
    text = "Hi, I'm JANE doe. Jane here again; Janeway is my street."
    assert redact(text, names=["Jane Doe"]) == "Hi, I'm [NAME]. [NAME] here again; Janeway is my street."


def test_common_word_name_parts_only_when_capitalised():
    assert redact("I will ask, Will Smith", names=["Will Smith"]) == "I will ask, [NAME]"
    assert redact("see you in may. May", names=["May Lee"]) == "see you in may. [NAME]"


def test_details_count_each_type():
    result = redact_details(
        "Jane, jane@x.io, +44 20 7946 0958, 4111111111111111, 10.0.0.1 and 10.0.0.2",
        names=["Jane"],
    )
    assert dict(result.counts) == {"name": 1, "email": 1, "phone": 1, "card": 1, "ip": 2}
    assert "A1001" in redact_details("A1001").text


def test_mask_card_numbers_keeps_everything_else():
    text = "Jane, jane@x.io, +44 20 7946 0958, card 4111-1111-1111-1111 for A1001 (42.00)"
    assert mask_card_numbers(text) == (
        "Jane, jane@x.io, +44 20 7946 0958, card [CARD ****1111] for A1001 (42.00)"
    )


def test_card_placeholder_keeps_at_most_last_four():
    out = redact("5555555555554444")
    assert out == "[CARD ****4444]" and "5555" not in out


def test_checksums():
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and not iban_valid("GB82 WEST 1234 5698 7654 33")
