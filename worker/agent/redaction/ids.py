"""Dates of birth and national identity numbers of the countries we ship to.

A date is only a date of birth when the customer says so ("born 12/03/1985", "DOB: 1985-03-12"): a
delivery date must survive. National ids are replaced when their checksum holds (Spanish DNI/NIE
check letter, French INSEE key), when their format cannot be anything else (UK National Insurance
number), or when announced (German Steuer-ID, "passport number", "ID number").
"""

from __future__ import annotations

import re

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    r"janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|"
    r"januar|februar|märz|juni|juli|oktober|dezember|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre"
)
_DATE = (
    r"(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{8}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\.?\s+(?:of\s+|de\s+)?(?:{_MONTHS})\.?,?\s+(?:de\s+)?\d{{4}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
_DOB_CUE = (
    r"\b(?:born(?:\s+on)?|d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday(?:\s+is)?|"
    r"n[ée]e?\s+le|date\s+de\s+naissance|geboren(?:\s+am)?|geburtsdatum|"
    r"nacid[oa]\s+el|fecha\s+de\s+nacimiento)"
)
DATE_OF_BIRTH = re.compile(
    rf"(?P<cue>{_DOB_CUE}(?:\s+(?:is|was|es|est|ist|:|-))?\s*:?\s*)(?P<value>{_DATE})(?!\d)", re.IGNORECASE
)

# UK National Insurance number: two letters from a restricted set (never D, F, I, Q, U, V; O not
# second; BG, GB, KN, NK, NT, TN, ZZ never issued), six digits, a suffix A-D.
_NI = re.compile(
    r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"(?: ?\d{2}){3} ?[A-D]\b",
    re.IGNORECASE,
)
_DNI = re.compile(r"\b(?:(?P<lead>[XYZ])[ -]?)?(?P<number>\d{7,8})[ -]?(?P<letter>[A-Z])\b", re.IGNORECASE)
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
# INSEE (numéro de sécurité sociale): sex, year, month, department (2A/2B for Corsica), commune,
# order, then a 2-digit key = 97 - (number mod 97).
_INSEE = re.compile(
    r"(?<![\w-])(?P<body>[123478] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3})"
    r" ?(?P<key>\d{2})(?![\w-])",
    re.IGNORECASE,
)
_ANNOUNCED_ID = re.compile(
    # "order id number" and "tracking id" are ours, not the customer's identity.
    r"(?<!order )(?<!tracking )(?<!invoice )(?<!customer )"
    r"(?P<cue>\b(?:steuer-?identifikationsnummer|steuer-?id|steuernummer|idnr|tax\s+id|"
    r"personalausweis(?:nummer)?|ausweisnummer|passport(?:\s+(?:number|no\.?))?|"
    r"driver'?s?\s+licen[cs]e(?:\s+(?:number|no\.?|#))?|driving\s+licen[cs]e(?:\s+(?:number|no\.?))?|"
    r"licen[cs]e\s+(?:number|no\.?)|dl\s*(?:number|no\.?|#)|führerschein(?:nummer)?|permis\s+de\s+conduire|"
    r"carn[eé]\s+de\s+conducir|"
    r"(?:national\s+)?id(?:entity)?\s+(?:card\s+)?(?:number|no\.?)|"
    r"national\s+insurance(?:\s+number)?|ni\s+number|dni|nie|nif|"
    r"num[ée]ro\s+de\s+s[ée]curit[ée]\s+sociale|n°\s*de\s+s[ée]curit[ée]\s+sociale|"
    r"(?:numéro|número)\s+de\s+(?:carte\s+d'identité|identidad|pasaporte|passeport))"
    r"\b(?:\s+(?:is|est|ist|es))?\s*[:#]?\s*)"
    # groups after the first hold a digit (or are a final check letter), so "X1234567 was" stops at "was"
    r"(?P<value>(?=[A-Z]{0,6}[ -]?\d)[A-Z0-9]+(?:[ -](?:[A-Z0-9]*\d[A-Z0-9]*|[A-Z]\b))*)\b",
    re.IGNORECASE,
)


def dni_valid(lead: str, number: str, letter: str) -> bool:
    """Whether a Spanish DNI (8 digits) or NIE (X/Y/Z + 7 digits) carries its check letter."""
    if lead:  # NIE: X, Y, Z stand for 0, 1, 2
        if len(number) != 7:
            return False
        number = str("XYZ".index(lead.upper())) + number
    elif len(number) != 8:
        return False
    return _DNI_LETTERS[int(number) % 23] == letter.upper()


def insee_valid(body: str, key: str) -> bool:
    """Whether a French social security number matches its 2-digit key."""
    compact = body.replace(" ", "").upper()
    compact = compact.replace("2A", "19", 1) if compact[5:7] == "2A" else compact
    compact = compact.replace("2B", "18", 1) if compact[5:7] == "2B" else compact
    return compact.isdigit() and 97 - int(compact) % 97 == int(key)


def _dni(match: re.Match) -> str | None:
    return "[ID]" if dni_valid(match["lead"] or "", match["number"], match["letter"]) else None


def _insee(match: re.Match) -> str | None:
    return "[ID]" if insee_valid(match["body"], match["key"]) else None


def _announced(match: re.Match) -> str | None:
    # 6 to 20 letters and digits: "Steuer-ID 12 345 678 901", "passport X1234567", never "ID is 42"
    if match["value"].startswith("[") or not 6 <= sum(c.isalnum() for c in match["value"]) <= 20:
        return None
    return match["cue"] + "[ID]"


def _dob(match: re.Match) -> str:
    return match["cue"] + "[DOB]"


# (pattern, replacement or None for "[ID]", kind) in the order they run.
ID_RULES = (
    (DATE_OF_BIRTH, _dob, "dob"),
    (_INSEE, _insee, "id"),
    (_DNI, _dni, "id"),
    (_NI, "[ID]", "id"),
    (_ANNOUNCED_ID, _announced, "id"),
)
