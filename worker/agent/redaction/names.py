"""Names of other people, without an NLP model: cues, titles, sign-offs and a census gazetteer.

A capitalised sequence is a person's name when something announces it ("my neighbour John Smith",
"Mrs Patel", "ask for Sarah", "signed by", "Regards,\nTom") or when it is a known first name followed
by a known surname ("Linda Okafor took it in"). First names and surnames come from the US census lists
the `names` package ships (public-domain data): loaded once, ~100k entries, a set lookup per word.
The customer's own order items ("the Michael Kors jeans") are never taken for a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

_WORD = r"[A-ZÀ-ÖØ-Ý][a-zß-ÿ]*(?:['’-]?[A-ZÀ-ÖØ-Ý]?[a-zß-ÿ]+)*"
_PARTICLE = r"(?:van|von|de|der|den|da|del|della|di|du|le|la|ter|bin|al)"
_SEQ = rf"(?:[A-Z]\.\s?)?{_WORD}(?:[ ](?:{_PARTICLE}[ ])?(?:[A-Z]\.|{_WORD})){{0,2}}"
_RELATION = (
    r"neighbou?r|friend|husband|wife|partner|son|daughter|mother|father|mum|mom|dad|brother|sister|"
    r"colleague|boss|flatmate|roommate|housemate|landlord|landlady|cousin|uncle|aunt|grandmother|"
    r"grandfather|gran|nan|niece|nephew|fiancée?|girlfriend|boyfriend|assistant|sister-in-law"
)
# Cues after which any capitalised sequence is a name.
_STRONG = re.compile(
    rf"(?i:\b(?:my|our|the|his|her|their)\s+(?:{_RELATION})(?:'s)?,?\s+"
    r"|\b(?:(?:his|her|their|my\s+\w+'s)\s+)?name\s+(?:is|was)\s+|\bnamed\s+|\bcalled\s+|\bask(?:ed)?\s+for\s+"
    r"|\bsigned\s+(?:for\s+)?(?:by\s+)?|\breceived\s+by\s+|\bleft\s+(?:it\s+|the\s+parcel\s+)?with\s+"
    r"|\baddressed\s+to\s+|\battn\.?:?\s+|\bc/o\s+|\bspoke\s+(?:to|with)\s+|\brecipient(?:\s+is)?:?\s+"
    r"|\bcontact(?:\s+person)?:\s+|\bon\s+behalf\s+of\s+)"
    r"|\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Herr|Frau|Mme|Mlle|Sr|Sra|Srta|Señor|Señora|Madame|Monsieur)\.?\s+"
)
# Cues after which only a known first name starts a name ("I'm Sarah", not "I'm Very upset").
_WEAK = re.compile(
    r"(?i:\b(?:this\s+is|i'?m|i\s+am|it'?s|je\s+suis|je\s+m'appelle|ich\s+bin|ich\s+heiße|soy|me\s+llamo)\s+)"
)
_SIGN_OFF = re.compile(
    r"(?i:\b(?:regards|thanks|thank\s+you|cheers|best\s+wishes|all\s+the\s+best|best|sincerely|yours(?:\s+\w+)?|cordialement|merci|"
    r"bien\s+à\s+vous|grüße|gruß|mfg|saludos|atentamente|un\s+saludo|gracias))[ \t]*[,!.-]*[ \t]*\n?[ \t]*"
)
_CANDIDATE = re.compile(_SEQ)
# Capitalised words that are never (part of) a person's name in a support message.
_STOP_WORDS = """
    i i'm im a an the my our your this that it is please thanks thank hi hello hey dear order orders item
    items refund return returns parcel package delivery shipping support team customer service agent
    monday tuesday wednesday thursday friday saturday sunday january february march april june july
    august september october november december today tomorrow yesterday and or but so yes no ok okay
    sorry help urgent again also still just very not here there mr mrs ms dr sir madam supportops
    street road lane avenue close way drive court place uk usa us eu france germany spain london paris
"""
_STOP = frozenset(_STOP_WORDS.split())


@cache
def _gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, surnames) in lower case, from the census lists the `names` package ships."""
    folder = resources.files("names")

    def read(name: str) -> frozenset[str]:
        lines = folder.joinpath(name).read_text(encoding="utf-8").splitlines()
        return frozenset(line.split()[0].lower() for line in lines if line.strip())

    first = read("dist.female.first") | read("dist.male.first")
    return first - _STOP, read("dist.all.last") - _STOP


def _trim(words: list[str]) -> list[str]:
    """The leading run of words that may be a name (stops at "Order", "Thanks", ...)."""
    kept = []
    for word in words:
        if word.lower().strip(".") in _STOP:
            break
        kept.append(word)
    return kept


def _span_after(text: str, at: int, *, need_first_name: bool) -> tuple[int, int] | None:
    match = _CANDIDATE.match(text, at)
    if not match:
        return None
    words = _trim(match.group(0).split(" "))
    if not words or (need_first_name and words[0].lower() not in _gazetteer()[0]):
        return None
    return at, at + len(" ".join(words))


def _cued(text: str) -> list[tuple[int, int]]:
    spans = [_span_after(text, m.end(), need_first_name=False) for m in _STRONG.finditer(text)]
    spans += [_span_after(text, m.end(), need_first_name=True) for m in _WEAK.finditer(text)]
    for match in _SIGN_OFF.finditer(text):
        span = _span_after(text, match.end(), need_first_name=False)
        # a sign-off name ends the message (or its line)
        if span and re.match(r"[ \t]*[.!]?[ \t]*(?:\n|$)", text[span[1] :]):
            spans.append(span)
    return [s for s in spans if s]


def _uncued(text: str) -> list[tuple[int, int]]:
    """A known first name followed by a known surname, both capitalised: "Linda Okafor"."""
    first, last = _gazetteer()
    spans = []
    for match in re.finditer(rf"\b({_WORD}) ({_WORD})\b", text):
        surname = re.sub(r"['’]s$", "", match[2])  # "Tom Hardy's house"
        if match[1].lower() in first and surname.lower() in last:
            spans.append((match.start(), match.start(2) + len(surname)))
    return spans


def name_spans(text: str, keep: Iterable[str] = ()) -> list[tuple[int, int]]:
    """(start, end) of each other person's name in `text`, none inside one of the `keep` item names."""
    kept = [k.lower() for k in keep if k]
    spans = []
    for start, end in _cued(text) + _uncued(text):
        found = text[start:end].lower()
        if not any(found in k or k in found for k in kept):
            spans.append((start, end))
    return spans
