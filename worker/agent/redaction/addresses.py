"""Street addresses: house number, street name and type, then optional flat, town and postcode.

English forms ("Flat 2, 14 Mill Lane, Leeds LS1 4AB", "123 Main St Apt 4, Springfield, IL 62704")
and the commonest French, German and Spanish ones ("12 rue de la Paix 75002 Paris",
"Hauptstraße 5, 10115 Berlin", "Calle Mayor 12, 28013 Madrid"). A street name must be capitalised,
so "3 blue shirts way too big" is not an address; the customer's own item names are never one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CAP = r"[A-ZÀ-ÖØ-Ý][A-Za-zÀ-ÿ'’.-]*"
# A town is written in words with lower-case letters, so it never swallows a postcode (LS1 4AB).
_TOWN_WORD = r"[A-ZÀ-ÖØ-Ý][a-zß-ÿ'’-]+"
_TOWN = rf"{_TOWN_WORD}(?:[ -]{_TOWN_WORD}){{0,2}}"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"
_US_ZIP = r"(?:[A-Z]{2} )?\d{5}(?:-\d{4})?"
_COUNTRY = (
    r"(?:,? (?:UK|United Kingdom|England|Scotland|Wales|France|Germany|Deutschland|Spain|España|USA|US))?"
)
_FLAT = r"(?i:flat|apt\.?|apartment|unit|suite|ste\.?)\s*#?\s*\w{1,5}"

_EN_TYPE = (
    r"(?:(?i:street|road|avenue|lane|drive|court|close|way|place|crescent|terrace|boulevard|square|"
    r"gardens|grove|row|mews|parkway|highway|walk|hill)\b"
    # an abbreviation keeps its dot only inside the address ("Main St. Apt 4"), not a full stop
    r"|(?i:st|rd|ave|ln|dr|ct|pl|cres|blvd|sq|pkwy|hwy)\b(?:\.(?=,|\s+\w))?)"
    r"(?: (?:N|S|E|W|NE|NW|SE|SW)\b)?"
)
_EN = (
    rf"(?:{_FLAT},?\s+)?\d{{1,5}}[A-Za-z]?(?:-\d{{1,5}})?,?\s+(?:{_CAP}\s+){{1,3}}{_EN_TYPE}"
    rf"(?:,?\s+{_FLAT})?"
    rf"(?:,\s*{_TOWN})?(?:,?\s+(?:{_UK_POSTCODE}|{_US_ZIP})\b)?"
)
_PARTICLE = r"(?:de|du|des|la|le|les|l['’]|d['’]|del|el|los|las|y|et|von|der)"
_FR = (
    r"\d{1,4}(?:\s?(?:bis|ter))?,?\s+"
    r"(?i:rue|avenue|av\.|boulevard|bd|place|allée|impasse|chemin|quai|route|cours|square)"
    rf"(?:\s+(?:{_PARTICLE}\s*)*{_CAP}){{1,4}}(?:,?\s+\d{{5}}(?:\s+{_TOWN})?)?"
)
_DE = (
    r"(?:(?:Am|An der|Im|In der|Auf der|Zum|Zur)\s+)?"
    r"(?:[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm)"
    r"|[A-ZÄÖÜ][\wäöüß-]*\s+(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Gasse|Ring|Damm))"
    rf"\s+\d{{1,4}}\s?[a-z]?\b(?:,?\s+\d{{5}}(?:\s+{_TOWN})?)?"
)
_ES = (
    r"(?i:calle|c/|avenida|avda\.?|plaza|pza\.?|paseo|camino|carrera|ronda|travesía)\s*"
    rf"(?:{_PARTICLE}\s+)*{_CAP}(?:\s+(?:{_PARTICLE}|{_CAP})){{0,3}},?\s+(?:n[º°o]\.?\s*)?\d{{1,4}}[A-Za-z]?"
    rf"(?:,?\s*\d{{1,2}}[º°]?\s?[A-Za-z]?\b)?(?:,?\s+\d{{5}}(?:\s+{_TOWN})?)?"
)
ADDRESS = re.compile(rf"(?<![\w\[])(?:{_FR}|{_DE}|{_ES}|{_EN}){_COUNTRY}(?![\w-])")


def address_spans(text: str, keep: Iterable[str] = ()) -> list[tuple[int, int]]:
    """(start, end) of each street address in `text`, skipping any that is one of the `keep` names."""
    kept = [k.lower() for k in keep if k]
    spans = []
    for match in ADDRESS.finditer(text):
        street = match.group(0).lower().lstrip("0123456789 ,")  # "2 Nike Air Court" → "nike air court"
        if not any(street in k or k in street for k in kept):
            spans.append(match.span())
    return spans
