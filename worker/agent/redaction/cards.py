"""Card numbers for what the model and the logs see: every grouping, and any number announced as a card.

The portal masks Luhn-valid numbers at intake (portal/support/pii.py); here the net is wider. A digit run may
follow "no." or "#" directly ("card no.4111..."), a 14-digit Diners number may be written 4-4-4-2,
and a 12-19 digit run right after "card", "Visa", "Amex"... is masked even when its checksum fails
(a mistyped number is still the customer's card).
"""

from __future__ import annotations

import re

from portal.support.pii import digits_only, luhn_valid

CARD_CANDIDATE = re.compile(
    r"(?<![\w+,/-])(?<!\d\.)(?<![A-Za-z]{2}\d\d )\d(?:(?: ?[.-] ?| )?\d){11,}(?![\w.,/]?\d|\w)"
)
_SEPARATOR = re.compile(r" ?[.-] ?| ")
_CARD_CUE = (
    r"(?i:\b(?:credit|debit|bank|payment)?\s*card(?:\s+(?:number|no\.?|nr\.?|num|#))?|\bcc\s*(?:number|no\.?|#)?|"
    r"\b(?:visa|mastercard|master\s+card|amex|american\s+express|discover|maestro|diners(?:\s+club)?|jcb)"
    r"(?:\s+card)?(?:\s+(?:number|no\.?|#))?)"
)
ANNOUNCED_CARD = re.compile(
    rf"(?P<cue>{_CARD_CUE}(?:\s+(?:is|was|ending|used))?\s*[:#.]?\s*)"
    r"(?P<value>\d(?:(?: ?[.-] ?| )?\d){11,18})(?![\w.,/]?\d|\w)"
)


# Maestro numbers may have 12 digits: only with one of its own prefixes, so a 12-digit reference stays.
_MAESTRO_12 = ("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763", "0604", "6390")


def looks_like_card(candidate: str) -> bool:
    """13-19 digits from an issuer, in groups of 3+ (a short last one after 4-digit ones), Luhn-valid."""
    digits = digits_only(candidate)
    maestro = len(digits) == 12 and digits.startswith(_MAESTRO_12)
    if not (13 <= len(digits) <= 19 and digits[0] in "23456" or maestro):
        return False
    groups = [len(g) for g in _SEPARATOR.split(candidate)]
    if len(groups) > 1 and min(groups) < 3 and not (min(groups[:-1]) == max(groups[:-1]) == 4):
        return False
    return luhn_valid(digits)


def _mask(number: str) -> str:
    return f"[CARD ****{digits_only(number)[-4:]}]"


def mask_card_run(match: re.Match) -> str | None:
    """Mask the card number in a digit run, allowing trailing groups such as an expiry or CVV."""
    run = match.group(0)
    cuts = [len(run)] + [m.start() for m in _SEPARATOR.finditer(run)][::-1]
    for cut in cuts:
        if looks_like_card(run[:cut]):
            return _mask(run[:cut]) + run[cut:]
    return None


def mask_announced(match: re.Match) -> str | None:
    """An unmasked 12-19 digit run right after a card cue, whatever its checksum."""
    value = match["value"]
    if not 12 <= len(digits_only(value)) <= 19:
        return None
    return match["cue"] + _mask(value)
