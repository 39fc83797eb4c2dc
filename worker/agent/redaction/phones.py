"""Phone numbers in every country's format, found by Google's libphonenumber metadata.

`PhoneNumberMatcher` with `Leniency.VALID` only returns numbers that are valid for their country,
which already keeps dates, times and most order numbers out. What it still accepts from our
messages (an amount such as 3499.99 read as a German local number, digits glued to an order prefix)
is rejected here.
"""

from __future__ import annotations

import re

import phonenumbers

# The countries we ship to and where our customers write from: a number without a country code
# is tried in each.
DEFAULT_REGIONS = ("US", "GB", "FR", "DE", "ES")
_MIN_DIGITS = 6
# A number written without "+", "00", a trunk "0" or a bracketed area code must be long enough to be
# a full national number (Spain, the US): short runs are amounts, quantities or references.
_MIN_BARE_DIGITS = 9
# Amounts (3499.99) and the US SSN shape (666-12-3456, a valid Spanish mobile otherwise).
_AMOUNT = re.compile(r"^\d{1,3}(?:[ ,.]\d{3})*[.,]\d{2}$|^\d{3}-\d{2}-\d{4}$")
_GLUED_BEFORE = re.compile(r"[\w#/$€£-]$")
_COUNTRY_CODE_BEFORE = re.compile(r"(?<![\w+])(?:\+|00)\d{1,3}[ .-]?$")
_CURRENCY_AFTER = re.compile(r"^\s?(?:€|\$|£|eur|usd|gbp)\b", re.IGNORECASE)


def _plausible(text: str, start: int, end: int) -> bool:
    raw = text[start:end]
    digits = sum(c.isdigit() for c in raw)
    if _AMOUNT.match(raw) or _GLUED_BEFORE.search(text[:start]) or _CURRENCY_AFTER.match(text[end:]):
        return False
    marked = raw[0] in "+(" or raw.startswith("0")
    return marked or digits >= _MIN_BARE_DIGITS


def phone_spans(text: str, regions: tuple[str, ...] = DEFAULT_REGIONS) -> list[tuple[int, int]]:
    """(start, end) of each valid phone number in `text`, extensions included, merged across regions."""
    if sum(c.isdigit() for c in text) < _MIN_DIGITS:
        return []  # most messages: skip the matcher entirely
    spans: set[tuple[int, int]] = set()
    for region in regions:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
            if _plausible(text, match.start, match.end):
                spans.add((_with_country_code(text, match.start), match.end))
    return merge_spans(spans)


def _with_country_code(text: str, start: int) -> int:
    """Where a number starts once a country code the matcher left out is counted ("+49 (0) 1234 ...")."""
    prefix = _COUNTRY_CODE_BEFORE.search(text[max(0, start - 8) : start])
    return start - len(prefix.group(0)) if prefix else start


def merge_spans(spans) -> list[tuple[int, int]]:
    """Sorted spans with overlapping ones joined."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def replace_spans(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    """`text` with each (start, end) span replaced by `placeholder`."""
    for start, end in reversed(spans):
        text = text[:start] + placeholder + text[end:]
    return text
