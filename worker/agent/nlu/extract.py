"""Order numbers and item names mentioned in a customer's message."""

from __future__ import annotations

import re
from collections.abc import Iterable

# ORD-2024-0042, INV-55321: an upper-case prefix and a first group of 3+ digits (not COVID-19).
_DASHED = r"(?<![\w-])#?([A-Z]{2,5}-\d{3,8}(?:-\d{2,8})?)(?![\w-])"
# A1001, Z100, #A1001, hx20431: one or two letters then 3 to 10 digits, standing alone
# (so never the middle of a tracking number such as 1Z999AA10123456784).
_LETTERED = r"(?<![\w#-])#?((?i:[A-Z]{1,2})\d{3,10})(?![\w-])"
# #12345678
_HASHED = r"(?<![\w#])#(\d{4,12})(?![\w-])"
# order 12345, order no. 12345, order number: 12345, order id is 12345
_KEYWORD = (
    r"(?i:\border)(?:\s+(?i:number|no\.?|num|nr\.?|id|ref))?(?:\s+(?i:is|was))?"
    r"\s*[:#]?\s*(\d{4,12})(?![\w.,-])"
)
_ORDER_NUMBER = re.compile("|".join((_DASHED, _LETTERED, _HASHED, _KEYWORD)))
_YEAR = re.compile(r"(?:19|20)\d\d")

_STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "set",
        "pack",
        "of",
        "in",
        "on",
        "a",
        "an",
        "my",
        "your",
        "new",
        "pro",
        "max",
        "mini",
        "size",
        "colour",
        "color",
    ]
)


def _looks_like_year(number: str) -> bool:
    return bool(_YEAR.fullmatch(number))


def extract_order_numbers(text: str) -> list[str]:
    """Order numbers in order of appearance, upper-cased and without duplicates."""
    found: list[str] = []
    for match in _ORDER_NUMBER.finditer(text):
        number = next(group for group in match.groups() if group).upper()
        if match.lastindex == 4 and _looks_like_year(number):
            continue
        if number not in found:
            found.append(number)
    return found


def mask_order_numbers(text: str, placeholder: str = " ordnum ") -> str:
    """Replace every order number by one token, so a classifier never learns specific numbers."""

    def replace(match: re.Match) -> str:
        if match.lastindex == 4 and _looks_like_year(match.group(4)):
            return match.group(0)
        return match.group(0)[: match.start(match.lastindex) - match.start()] + placeholder

    return _ORDER_NUMBER.sub(replace, text)


def _tokens(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    # Crude singularisation is enough to match "mugs" with an item named "Mug".
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words}


def _significant(name: str) -> set[str]:
    return {t for t in _tokens(name) if len(t) >= 3 and t not in _STOPWORDS}


def item_mentions(text: str, item_names: Iterable[str]) -> list[str]:
    """The item names (from the customer's orders) that the message mentions, best match first."""
    words = _tokens(text)
    scored: list[tuple[float, int, str]] = []
    for index, name in enumerate(item_names):
        parts = _significant(name)
        if parts and (hits := len(parts & words)):
            scored.append((-hits / len(parts), index, name))
    return [name for _, _, name in sorted(scored)]


# "ship it to 8 Harbour Road, Bristol BS1 5TT instead": a house number, then the street and town up
# to the end of the sentence (or "instead", "please", "rather").
_NEW_ADDRESS = re.compile(
    r"\b(?:to|at|is now|address is|new address:?)\s+(\d{1,5}[A-Za-z]?,?\s+[^.?!\n]{3,150}?)"
    r"(?=\s+(?:instead|please|rather|thanks?)\b|\s*[.?!\n]|\s*$)",
    re.IGNORECASE,
)
_ADDRESS_CHANGE = re.compile(
    r"\b(?:change|update|correct|fix|edit)\b[^.?!]{0,40}\b(?:delivery|shipping|postal)?\s*address\b|"
    r"\b(?:ship|send|deliver|redirect)\w*\b[^.?!]{0,60}\bto\s+(?:\d{1,5}[A-Za-z]?,?\s+\w+|\[ADDRESS)|"
    r"\bnew\s+(?:delivery\s+|shipping\s+)?address\b|\bwrong\s+address\b",
    re.IGNORECASE,
)


# What the redactor leaves of an address: the placeholder the toolbox maps back (redaction/vault.py).
_ADDRESS_PLACEHOLDER = re.compile(r"\[ADDRESS(?:_\d+)?\]")
_TO_PLACEHOLDER = re.compile(
    r"\b(?:to|at|is now|address is|new address:?|is)\s+(\[ADDRESS(?:_\d+)?\])", re.IGNORECASE
)


def new_address(text: str) -> str | None:
    """The delivery address the customer writes in the message (or its placeholder), if any."""
    announced = _TO_PLACEHOLDER.search(text)
    if announced:
        return announced.group(1)
    placeholders = _ADDRESS_PLACEHOLDER.findall(text)
    if placeholders:  # "from [ADDRESS_1] ... [ADDRESS_2]": the last one written is the new one
        return placeholders[-1]
    match = _NEW_ADDRESS.search(text)
    return " ".join(match.group(1).split()).strip(" ,") if match else None


_OTHER_ADDRESS = re.compile(r"\b(?:e-?mail|ip|web|billing)\s+address", re.IGNORECASE)


def asks_address_change(text: str) -> bool:
    """Whether the message asks to send an order to another address (not an e-mail address)."""
    return bool(_ADDRESS_CHANGE.search(_OTHER_ADDRESS.sub("", text)))
