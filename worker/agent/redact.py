"""PII redaction: what the model, the trace and the logs may see of a customer's message.

Every pattern is validated before it is replaced (Luhn for cards, mod-97 for IBANs, the
`ipaddress` module for IPs, libphonenumber's metadata for phones, check letters and keys for
national ids) so that order numbers (A1001, ORD-2024-0042, #12345678), amounts (1,200.00), dates and
tracking numbers survive. docs/privacy-redaction.md has the measured recall and false positives.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from portal.support.pii import digits_only as _digits
from portal.support.pii import luhn_valid, mask_card_numbers  # noqa: F401 - re-exported
from worker.agent.redaction.addresses import address_spans
from worker.agent.redaction.cards import ANNOUNCED_CARD, CARD_CANDIDATE, mask_announced, mask_card_run
from worker.agent.redaction.ids import ID_RULES
from worker.agent.redaction.names import name_spans
from worker.agent.redaction.phones import merge_spans, phone_spans, replace_spans
from worker.agent.redaction.vault import AddressVault

_IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b", re.IGNORECASE)
_SSN = re.compile(
    r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])"
    r"|(?<=SSN )\d{3} \d{2} \d{4}\b|(?<=SSN: )\d{3} \d{2} \d{4}\b"
)
# Any 9 digits announced as a social security number: "SSN 123456789", "social security no. 123 45 6789".
_ANNOUNCED_SSN = re.compile(
    r"(?P<cue>\b(?i:ssn|social\s+security(?:\s+(?:number|no\.?|#))?)(?:\s+(?:is|was))?\s*[:#]?\s*)"
    r"(?P<value>\d{3}[ -]?\d{2}[ -]?\d{4})(?![\w-])"
)
# Usernames and handles: "my username is priya_r88", "login: jdoe_1984", "@priya88" (not an e-mail).
_USERNAME = re.compile(
    r"(?P<cue>\b(?i:user\s*name|user\s+id|login(?:\s+name)?|handle|screen\s+name|gamertag|account\s+name)"
    r"(?:\s+(?:is|was))?\s*[:=]?\s*)(?P<value>@?[A-Za-z0-9][\w.-]{2,31}(?<![.-]))"
    r"|(?<![\w.@])(?P<handle>@[A-Za-z_][A-Za-z0-9_]{2,29})\b"
)
_NOT_USERNAME = frozenset(["is", "was", "and", "the", "please", "reset", "on", "for"])
_EMAIL = re.compile(r"\b[\w.%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)"
)
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")

# Phone shapes libphonenumber rejects but customers still write (fictional 555 numbers, numbers
# without their area code). Each is fenced so it cannot start or end inside a longer digit run
# (a tracking number, an order number, a date written with dashes).
_NO_DIGIT_BEFORE = r"(?<![\w+])(?<!\d[ .-])"
_NO_DIGIT_AFTER = r"(?![ .-]?\d)(?!\w)"
# "x204", " ext. 12", " extension 7": what follows a number written in a US shape
_EXTENSION = r"(?:\s?(?i:x|ext\.?|extension)\s?\d{1,5})?"
# "1-", "+1 ", "001-": the US country code or international prefix before a US shape
_US_PREFIX = r"(?:(?:\+|00)?1[ .-]?)?"
_PHONE_PATTERNS = (
    # +44 20 7946 0958, +1-555-123-4567, +33 6 12 34 56 78, +1 (555) 123-4567, +1-123-456-7890x123
    re.compile(
        r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,8}){1,6}" + _EXTENSION + _NO_DIGIT_AFTER
    ),
    # (555) 123-4567, (123)456-7890x123, 1 (800) 555-0199
    re.compile(r"(?<![\w)+])" + _US_PREFIX + r"\(\d{3}\) ?\d{3}[ .-]\d{4}" + _EXTENSION + _NO_DIGIT_AFTER),
    # 555-123-4567, 555.123.4567, 555 123 4567, 001-123-456-7890x123 (any area code: fictional ones too)
    re.compile(_NO_DIGIT_BEFORE + _US_PREFIX + r"\d{3}[ .-]\d{3}[ .-]\d{4}" + _EXTENSION + _NO_DIGIT_AFTER),
    # 06 12 34 56 78, 06.12.34.56.78, 0612345678
    re.compile(_NO_DIGIT_BEFORE + r"0[1-9](?:([ .-]?)\d{2})(?:\1\d{2}){3}" + _NO_DIGIT_AFTER),
    # 020 7946 0958, 07700 900123, 0161 496 0000
    re.compile(_NO_DIGIT_BEFORE + r"0\d{2,4} \d{3,6}(?: \d{3,4})?" + _NO_DIGIT_AFTER),
    # 07700900123: a national number written in one block
    re.compile(_NO_DIGIT_BEFORE + r"0[1-9]\d{9}" + _NO_DIGIT_AFTER),
)
_PHONE_DIGITS = (8, 15)
# Any shape the customer announces as a phone number: "call me on 5551234567", "mobile: 555 1234".
_ANNOUNCED_PHONE = re.compile(
    r"\b(?:phone|tel|telephone|mobile|cell|whatsapp|call\s+me|text\s+me|reach\s+me)"
    r"(?:\s+(?:number|no\.?|nr\.?))?(?:\s+(?:is|at|on))?\s*[:#]?\s*(\+?\d[\d .()-]{5,18}\d)(?!\d)",
    re.IGNORECASE,
)

# Name parts that are also common words are only redacted when written capitalised.
_COMMON_WORDS = frozenset(
    [
        "may",
        "will",
        "mark",
        "bill",
        "grace",
        "hope",
        "joy",
        "rose",
        "summer",
        "april",
        "june",
        "august",
        "frank",
        "faith",
        "king",
        "long",
        "young",
        "white",
        "black",
        "brown",
        "green",
        "gray",
        "grey",
        "hill",
        "wood",
        "rich",
        "page",
        "price",
        "cash",
    ]
)


@dataclass
class Redaction:
    """A redacted text and how many items of each PII type were replaced."""

    text: str
    counts: Counter = field(default_factory=Counter)


def iban_valid(candidate: str) -> bool:
    """Whether a string is an IBAN with a valid ISO 13616 mod-97 checksum."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(char, 36)) for char in rearranged)
    return int(numeric) % 97 == 1


def _ipv6_valid(candidate: str) -> bool:
    try:
        return ipaddress.ip_address(candidate).version == 6
    except ValueError:
        return False


def _phone_valid(candidate: str) -> bool:
    low, high = _PHONE_DIGITS
    number = re.split(r"(?i)x|ext", candidate)[0]  # the extension does not count
    return low <= len(_digits(number)) <= high


def _announced_phone(match: re.Match) -> str | None:
    if not 7 <= len(_digits(match.group(1))) <= 15:
        return None
    return match.group(0)[: match.start(1) - match.start()] + "[PHONE]"


def _announced_ssn(match: re.Match) -> str:
    return match["cue"] + "[SSN]"


def _username(match: re.Match) -> str | None:
    if match["handle"]:
        return "[USERNAME]"
    value = match["value"]
    # a word after the cue is a username only if it has a digit, an underscore or a dot in it
    if value.lower() in _NOT_USERNAME or value.startswith("[") or not re.search(r"[\d_.]", value):
        return None
    return match["cue"] + "[USERNAME]"


def _sub(
    text: str,
    pattern: re.Pattern,
    replacement: str | Callable[[re.Match], str | None],
    counts: Counter,
    kind: str,
    valid: Callable[[str], bool] | None = None,
) -> str:
    """Replace the valid matches of `pattern`; a callable replacement may return None to skip."""

    def replace(match: re.Match) -> str:
        if valid is not None and not valid(match.group(0)):
            return match.group(0)
        new = replacement(match) if callable(replacement) else replacement
        if new is None:
            return match.group(0)
        counts[kind] += 1
        return new

    return pattern.sub(replace, text)


def _name_patterns(names: Sequence[str]) -> list[re.Pattern]:
    """Full names first (longest first), then their parts, as whole-word patterns."""
    full = sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)
    parts = {p for n in full for p in re.split(r"\s+", n) if len(p) >= 2} - set(full)
    patterns = [re.compile(rf"(?<!\w){re.escape(n)}(?!\w)", re.IGNORECASE) for n in full]
    for part in sorted(parts, key=len, reverse=True):
        flags = 0 if part.lower() in _COMMON_WORDS else re.IGNORECASE
        word = part.capitalize() if flags == 0 else part
        patterns.append(re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", flags))
    return patterns


def _phones(text: str, counts: Counter) -> str:
    spans = phone_spans(text)
    counts.update({"phone": len(spans)} if spans else {})
    return replace_spans(text, spans, "[PHONE]")


def _addresses(text: str, counts: Counter, items: Sequence[str], vault: AddressVault | None) -> str:
    spans = address_spans(text, keep=items)
    # Placeholders are handed out in reading order, then replaced from the end so offsets hold.
    placeholders = [vault.keep(text[a:b]) if vault is not None else "[ADDRESS]" for a, b in spans]
    for (start, end), placeholder in reversed(list(zip(spans, placeholders, strict=True))):
        text = text[:start] + placeholder + text[end:]
    counts.update({"address": len(spans)} if spans else {})
    return text


def redact_details(
    text: str,
    *,
    names: Sequence[str] = (),
    items: Sequence[str] = (),
    vault: AddressVault | None = None,
) -> Redaction:
    """Redact PII from `text` and count what was replaced, by type.

    `names` are the customer's own (always hidden); `items` are the names of the customer's order
    items, which are never taken for an address or a person; with a `vault`, each address becomes
    a numbered placeholder the toolbox can map back (see redaction/vault.py).
    """
    counts: Counter = Counter()
    out = _sub(text, _EMAIL, "[EMAIL]", counts, "email")
    out = _sub(out, _USERNAME, _username, counts, "username")
    out = _sub(out, _IBAN_CANDIDATE, "[IBAN]", counts, "iban", iban_valid)
    out = _sub(out, CARD_CANDIDATE, mask_card_run, counts, "card")
    out = _sub(out, ANNOUNCED_CARD, mask_announced, counts, "card")
    out = _sub(out, _SSN, "[SSN]", counts, "ssn")
    out = _sub(out, _ANNOUNCED_SSN, _announced_ssn, counts, "ssn")
    out = _sub(out, _IPV4, "[IP]", counts, "ip")
    out = _sub(out, _IPV6_CANDIDATE, "[IP]", counts, "ip", _ipv6_valid)
    for pattern, replacement, kind in ID_RULES:
        out = _sub(out, pattern, replacement, counts, kind)
    out = _phones(out, counts)
    for pattern in _PHONE_PATTERNS:
        out = _sub(out, pattern, "[PHONE]", counts, "phone", _phone_valid)
    out = _sub(out, _ANNOUNCED_PHONE, _announced_phone, counts, "phone")
    out = _addresses(out, counts, items, vault)
    for pattern in _name_patterns(names):
        out = _sub(out, pattern, "[NAME]", counts, "name")
    spans = merge_spans(name_spans(out, keep=items))
    counts.update({"name": len(spans)} if spans else {})
    return Redaction(replace_spans(out, spans, "[NAME]"), counts)


def redact(
    text: str,
    *,
    names: Sequence[str] = (),
    items: Sequence[str] = (),
    vault: AddressVault | None = None,
) -> str:
    """`text` with cards, IBANs, SSNs, emails, phones, IPs, ids, birth dates, addresses and names hidden."""
    return redact_details(text, names=names, items=items, vault=vault).text
