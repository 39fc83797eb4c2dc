"""Street addresses: house number, street name and type, then optional unit, town, region and postcode.

English forms ("Flat 2, 14 Mill Lane, Leeds LS1 4AB", "4821 Oakridge Blvd, Apt 5, Springfield, IL
62704", "3/15 Beach Road, Bondi NSW 2026", "88 Queen St W, Toronto, ON M5H 2N2", a US military
"PSC 1234, Box 5678, APO AE 09204"), a street without a type word when a postcode follows ("27
Kingsway, London WC2B 6TE"), and the French, German, Spanish, Catalan, Portuguese and Italian ones
("12 rue de la Paix 75002 Paris", "Am Mühlbach 7, 82340 Feldafing", "Carrer de Mallorca 401, 08013
Barcelona", "Via Garibaldi 23, 20121 Milano MI"). A street name must be capitalised, so "3 blue
shirts way too big" is not an address; types that are also common words ("Light", "Park", "Run")
need a town or postcode after them; the customer's own item names are never an address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from worker.agent.redaction.names import LOWER, UPPER, is_product_word, lexicon

_CAP = rf"[{UPPER}][\w'’.-]*"
# A town is written in words with lower-case letters, so it never swallows a postcode (LS1 4AB).
_NOT_TOWN = (
    r"(?!(?:Please|Thanks|Thank|Regards|Order|Cheers|Kind|Best|Many|Can|Could|Would|It|The|My|And|But|"
    r"So|If|Is|Was|Hi|Hello|Also|Sent|Ship|Size|Item|Colour|Color|Model|Ref|Code|Product|Style|Qty)\b)"
)
_TOWN_WORD = rf"{_NOT_TOWN}[{UPPER}][{LOWER}'’-]+"
_TOWN_LINK = r"(?:on|upon|am|sur|de|del|la|le)[ -]"
_TOWN = rf"(?:Dublin \d{{1,2}}|{_TOWN_WORD}(?:[ -](?:{_TOWN_LINK})?{_TOWN_WORD}){{0,3}})"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"
_CA_POSTCODE = r"[A-Z]\d[A-Z] ?\d[A-Z]\d"
_EIRCODE = r"[A-Z]\d{2} ?[A-Z\d]{4}"
_US_STATE = (
    r"AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|"
    r"NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI|AA|AE|AP"
)
_REGION = rf"(?:{_US_STATE}|AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT|NSW|VIC|QLD|TAS|ACT)"
_POSTCODE = (
    rf"(?:\d{{5}}(?:-\d{{4}})?|{_CA_POSTCODE}|{_UK_POSTCODE}|{_EIRCODE}"
    rf"|\d{{4}}-\d{{3}}|\d{{4}} ?[A-Z]{{2}}|\d{{4}})"
)
_COUNTRY = (
    r"(?:,? (?:UK|United Kingdom|England|Scotland|Wales|Ireland|France|Germany|Deutschland|Spain|España|"
    r"Italy|Italia|Portugal|Canada|Australia|New Zealand|Nigeria|USA|US|United States))?"
)
# What may follow a street: towns (one or two, by commas or a line break), a region, a postcode.
_BREAK = r"(?:,?[ \t]+|,?[ \t]*\n[ \t]*)"
_TAIL = (
    rf"(?:(?:,[ \t]*|[ \t]*\n[ \t]*){_TOWN}|[ \t]+{_TOWN}(?=,?[ \t]+{_REGION}[ \t]+\d{{5}})){{0,2}}"
    rf"(?:{_BREAK}{_REGION}\b\.?)?(?:{_BREAK}{_POSTCODE}\b)?{_COUNTRY}"
)
# The same, but something must be there: a town, a region or a postcode.
_SOME_TAIL = (
    rf"(?:(?:,[ \t]*|[ \t]*\n[ \t]*){_TOWN}|,?[ \t]+{_REGION}\b"
    rf"|,?[ \t]+(?:{_UK_POSTCODE}|{_CA_POSTCODE}|\d{{5}})\b)" + _TAIL
)
_POSTCODE_TAIL = (
    rf"(?:(?:,[ \t]*|[ \t]*\n[ \t]*){_TOWN}){{1,2}}(?:{_BREAK}{_REGION}\b)?{_BREAK}"
    rf"(?:{_UK_POSTCODE}|{_CA_POSTCODE}|{_EIRCODE}|\d{{5}}(?:-\d{{4}})?)\b{_COUNTRY}"
)
_UNIT = (
    r"(?i:flat|apt\.?|apartment|unit|suite|ste\.?|level|floor|fl\.?|room|rm\.?|bldg\.?|building|studio|"
    r"plot|lot|box|#)\s*#?\s*[A-Za-z0-9-]{1,6}"
)
_HOUSE = r"(?:\d{1,4}[A-Za-z]?/)?\d{1,5}[A-Za-z]?(?:-\d{1,5})?"
_SURE_TYPE = (
    r"street|road|avenue|lane|drive|court|close|way|place|crescent|terrace|boulevard|square|gardens|grove|"
    r"row|mews|parkway|highway|hill|alley|causeway|circle|crossing|expressway|freeway|turnpike|trail|"
    r"ridge|ferry|heights|parade|promenade|esplanade|quay|wharf|wynd|circus|broadway|motorway|plaza|"
    r"boulevard|viaduct|bypass|estates?|meadows?|orchard|manor|hollow|knolls?|bluffs?|glens?|groves|"
    r"junction|landing|passage|pike|summit|terraces|throughway|trafficway|underpass|vista|villages?"
)
_MAYBE_TYPE = (
    r"walk|park|green|view|point|spring|springs|station|run|rise|gate|end|chase|drove|approach|loop|"
    r"path|pass|track|trace|lake|lakes|valley|creek|brook|brooks|branch|bridge|burg|camp|canyon|cape|"
    r"center|centre|cliffs?|club|common|commons|corners?|course|cove|crest|curve|dale|dam|divide|"
    r"extension|falls|fields?|flats?|fords?|forest|forge|forks?|fort|garden|gateway|harbou?r|haven|"
    r"hills|inlet|islands?|isle|key|keys|land|light|lights|loaf|locks?|lodge|mall|mills?|mission|"
    r"mount|mountain|neck|oval|overpass|pines?|plains?|port|prairie|radial|ramp|ranch|rapids?|rest|"
    r"river|route|shoals?|shores?|skyway|spur|stream|stravenue|tunnel|union|ville|wall|wells?|ways"
)
_ABBREVIATION = (
    r"st|rd|ave|av|ln|dr|ct|pl|cres|blvd|sq|pkwy|hwy|ter|terr|cir|trl|xing|hts|expy|fwy|plz|crk|gdns|grv|mnr"
)
_DIRECTION = r"(?: (?:N|S|E|W|NE|NW|SE|SW|O|North|South|East|West)\b)?"
# an abbreviation keeps its dot only inside the address ("Main St. Apt 4"), not a full stop
_ABBR = rf"(?i:{_ABBREVIATION})\b(?:\.(?=,|\s+\w))?"
_STREET_NAME = rf"(?:(?:{_CAP}|\d{{1,3}}(?:st|nd|rd|th))\s+){{1,3}}"
_EN_START = rf"(?:{_UNIT},?\s+)?{_HOUSE},?\s+{_STREET_NAME}"
_EN = (
    rf"{_EN_START}(?:(?i:{_SURE_TYPE})\b|{_ABBR}){_DIRECTION}(?:,?\s+{_UNIT})?{_TAIL}"
    rf"|{_EN_START}(?i:{_MAYBE_TYPE})\b{_DIRECTION}(?:,?\s+{_UNIT})?{_SOME_TAIL}"
    # Faker-style and British forms without a house number: "Flat 5\nSmith mews", "Studio 2, Kings Road"
    rf"|(?i:flat|studio|apartment|unit)\s+\d{{1,4}}[A-Za-z]?(?:,[ \t]*|[ \t]*\n[ \t]*)"
    rf"{_STREET_NAME}(?i:{_SURE_TYPE}|{_MAYBE_TYPE})\b{_TAIL}"
)
# "27 Kingsway, London WC2B 6TE", "8 The Green, Oxford OX1 2AB": no type word, so a postcode must follow.
_EN_UNTYPED = rf"(?:{_UNIT},?\s+)?{_HOUSE}\s+(?:The\s+)?{_CAP}(?:\s+{_CAP}){{0,2}}{_POSTCODE_TAIL}"
_MILITARY = (
    r"(?:(?:PSC|Unit|CMR) \d{3,5},? Box \d{1,5}|(?:USNS|USNV|USS|USCGC) [A-Z][a-z]+)"
    r",?\s+(?:APO|FPO|DPO) (?:AA|AE|AP) \d{5}\b"
)
_PARTICLE = r"(?:de|du|des|la|le|les|l['’]|d['’]|del|della|di|el|los|las|y|et|von|der|dos|das|da|do)"
_POSTAL_FIRST = rf"(?:,?\s+(?:\d{{5}}|\d{{4}}-\d{{3}}),?(?:\s+{_TOWN})?(?:\s+\(?[A-Z]{{2}}\)?(?![\w]))?)?"
_FR = (
    r"\d{1,4}(?:\s?(?:bis|ter))?,?\s+"
    r"(?i:rue|avenue|av\.|boulevard|bd|place|allée|impasse|chemin|quai|route|cours|square|passage|rond-point)"
    rf"(?:\s+(?:{_PARTICLE}\s*)*{_CAP}){{1,4}}{_DIRECTION}{_POSTAL_FIRST}{_TAIL}"
)
_FR_NUMBER_AFTER = (
    r"(?i:rue|avenue|boulevard|place|allée|impasse|chemin|quai|route)"
    rf"(?:\s+(?:{_PARTICLE}\s*)*{_CAP}){{1,4}},?\s+\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+\d{{4,5}}\s+{_TOWN}"
)
_DE_NUMBER = r"\d{1,4}(?:\s?[a-z])?(?:[/-]\d{1,4}[a-z]?)?\b"
_DE = (
    r"(?:(?:Am|An der|An den|Im|In der|Auf der|Auf dem|Zum|Zur|Unter den|Hinter der|Vor dem)\s+)?"
    r"(?:[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|steig)"
    r"|[A-ZÄÖÜ][\wäöüß]*(?:-[A-ZÄÖÜ][\wäöüß]*)*-(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Gasse|Ring|Damm)"
    r"|[A-ZÄÖÜ][\wäöüß-]*\s+(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Gasse|Ring|Damm|Ufer|Chaussee))"
    rf"\s+{_DE_NUMBER}(?:,?\s+\d{{5}}(?:\s+{_TOWN})?)?"
    # a street with only a preposition ("Am Mühlbach 7") needs its postcode
    rf"|(?:Am|An der|An den|Im|In der|Auf der|Auf dem|Zum|Zur|Unter den)\s+{_CAP}\s+{_DE_NUMBER}"
    rf",?\s+\d{{5}}\s+{_TOWN}"
)
_ES = (
    r"(?i:calle|c/|avenida|avda\.?|plaza|pza\.?|paseo|camino|carrera|ronda|travesía|carrer|avinguda|"
    r"passeig|rua|travessa|praça|rambla|cañada|pasaje|glorieta|urbanización|carretera|callejón|alameda|cuesta)\s*"
    rf"(?:{_PARTICLE}\s+)*{_CAP}(?:\s+(?:{_PARTICLE}|{_CAP})){{0,3}},?\s+(?:n[º°o]\.?\s*)?\d{{1,4}}[A-Za-z]?"
    rf"(?:,?\s*\d{{1,2}}[º°ª]?\s?[A-Za-z]?\b)?(?:,?\s+(?i:piso|puerta|planta|esc\.?)\s+\w{{1,4}})*{_POSTAL_FIRST}{_TAIL}"
)
_IT = (
    r"(?:Via|Viale|Piazza|Piazzale|Corso|Largo|Vicolo|Strada|Borgo|Contrada|Lungomare|Lungotevere|Salita|Vico)\s+"
    rf"(?:{_PARTICLE}\s+)*{_CAP}(?:\s+(?:{_PARTICLE}|{_CAP})){{0,3}},?\s+\d{{1,4}}[A-Za-z]?(?:/[A-Za-z0-9]+)?{_POSTAL_FIRST}{_TAIL}"
)
# Elsewhere in Europe: "Kungsgatan 12, 111 43 Stockholm", "Damrak 1, 1012 LG Amsterdam",
# "ul. Marszałkowska 10, 00-590 Warszawa": a street and number, then a postcode and a town.
_EU = (
    rf"(?:ul\.\s+)?{_CAP}(?:\s+{_CAP}){{0,2}}\s+\d{{1,4}}[A-Za-z]?(?:/\d{{1,4}})?,\s*"
    rf"(?:\d{{5}}|\d{{3}} \d{{2}}|\d{{4}} ?[A-Z]{{2}}|\d{{2}}-\d{{3}}|\d{{4}}-\d{{3}}|\d{{4}})\s+{_TOWN}"
)
# A town with its region and postcode, even without a street: "Springfield, IL 62704", "Leeds LS1 4AB".
_TOWN_LINE = (
    rf"{_TOWN},?[ \t]+(?:(?:{_US_STATE})[ \t]+\d{{5}}(?:-\d{{4}})?"
    rf"|(?:{_REGION})[ \t]+{_CA_POSTCODE}|{_UK_POSTCODE})"
)
ADDRESS = re.compile(
    rf"(?<![\w\[/])(?:{_MILITARY}|{_FR}|{_FR_NUMBER_AFTER}|{_DE}|{_ES}|{_IT}|{_EN}|{_EN_UNTYPED}|{_EU}"
    rf"|{_TOWN_LINE})"
    rf"{_COUNTRY}(?![\w-])"
)


def address_spans(text: str, keep: Iterable[str] = ()) -> list[tuple[int, int]]:
    """(start, end) of each street address in `text`, skipping any that is one of the `keep` names."""
    kept = [k.lower() for k in keep if k]
    return [m.span() for m in ADDRESS.finditer(text) if not _is_product(text, m, kept)]


def _is_product(text: str, match: re.Match, kept: list[str]) -> bool:
    """An item of the customer's, or a product ("2 Nike Air Court", "4 Park Avenue dresses")."""
    lex = lexicon()
    street = match.group(0).lower().lstrip("0123456789 ,")  # "2 Nike Air Court" → "nike air court"
    first_word = street.split()[0].strip(".,") if street.split() else ""
    if any(street in k or k in street for k in kept) or first_word in lex.brand_words | lex.products:
        return True
    following = re.match(r"\s+([\w'-]+)", text[match.end() :])
    return bool(following and is_product_word(following[1]))
