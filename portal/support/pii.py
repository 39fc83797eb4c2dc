"""Card numbers are never stored: the one PII rule the portal applies itself, at intake.

The worker's redaction (worker/agent/redact.py) builds on these helpers for everything the model, the
trace and the logs see.
"""

from __future__ import annotations

import re

# A digit may not touch a letter, another digit or a "+" (phones) at either end, so card
# numbers are never cut out of tracking numbers like 1Z999AA10123456784. Groups may be split by a
# space, a dash or a dot (or a dash between spaces), in any grouping; never the tail of an IBAN.
CARD_CANDIDATE = re.compile(
    r"(?<![\w+.,/-])(?<![A-Za-z]{2}\d\d )\d(?:(?: ?[.-] ?| )?\d){12,}(?![\w.,/]?\d|\w)"
)
_GROUP_SEPARATOR = re.compile(r" ?[.-] ?| ")


def digits_only(value: str) -> str:
    return re.sub(r"\D", "", value)


def luhn_valid(number: str) -> bool:
    """Whether a string of digits passes the Luhn checksum used by card numbers."""
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def looks_like_card(candidate: str) -> bool:
    digits = digits_only(candidate)
    if not 13 <= len(digits) <= 19 or digits[0] not in "23456":
        return False
    groups = _GROUP_SEPARATOR.split(candidate)
    # Cards come in any grouping of 3 digits or more (4-4-4-4, Amex's 4-6-5, 8-8...); digit pairs are
    # phone numbers, IBAN tails or references read aloud.
    if len(groups) > 1 and min(len(g) for g in groups) < 3:
        return False
    return luhn_valid(digits)


def mask_card_run(match: re.Match) -> str | None:
    """Mask the card number in a digit run, allowing trailing groups such as an expiry or CVV."""
    run = match.group(0)
    cuts = [len(run)] + [m.start() for m in _GROUP_SEPARATOR.finditer(run)][::-1]
    for cut in cuts:
        if looks_like_card(run[:cut]):
            return f"[CARD ****{digits_only(run[:cut])[-4:]}]" + run[cut:]
    return None


def mask_card_numbers(text: str) -> str:
    """Mask only Luhn-valid card numbers (last 4 digits kept), keeping the rest of the text exactly."""
    return CARD_CANDIDATE.sub(lambda m: mask_card_run(m) or m.group(0), text)
