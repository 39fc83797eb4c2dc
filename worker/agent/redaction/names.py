"""Names of other people, without an NLP model: cues, capitalised runs and name lexicons.

Two ways a span becomes a name:
- a cue announces it ("my neighbour Linda", "Mrs Patel", "ask for Sarah", "signed by", "Regards,\nTom",
  "I'm" or "Hi" + a known given name): then any capitalised run after the cue is taken;
- a run of two to four capitalised words ("Oluwaseun Adeyemi signed for it", "Wang Fang at the
  desk"), cut at words that are never names (data/not_names.txt), taken unless it is a product
  (after "the"/"my", before "jeans", a brand named after a person such as "Michael Kors"). A run that
  opens a sentence must also hold a known given name, a surname of our own lists or a surname
  ending, or be followed by what a person does ("... will pick it up"), since any word is
  capitalised there. A known given name alone counts mid-sentence ("Can Priya pick it up?"), unless
  it is also an everyday word (data/word_names.txt: Rose, Will, Austin), and so does one
  capitalised word between a greeting and a comma ("Hi Tsegaye,").
Given names and surnames: the US census lists the `names` package ships (public-domain data) plus
hand-written lists of other origins (data/given_names.txt, data/surnames.txt). The customer's own
order items are never taken for a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

_DATA = Path(__file__).parent / "data"
# Upper- and lower-case letters of the Latin scripts (Polish ł, Czech ř, Turkish ş, Romanian ț...).
_LATIN = [chr(c) for c in range(0xC0, 0x250) if chr(c).isalpha()]
UPPER = "A-Z" + "".join(c for c in _LATIN if c.isupper())
LOWER = "a-z" + "".join(c for c in _LATIN if c.islower())
_WORD = rf"(?:O['’]|D['’])?[{UPPER}][{LOWER}]+(?:[-'’][{UPPER}]?[{LOWER}]+)*"
_INITIAL = rf"[{UPPER}]\."
_PARTICLE = r"(?:van|von|de|der|den|da|das|dos|del|della|di|du|le|la|ter|ten|bin|binti|ibn|al|el|y|Ó|Ní|Nic)"
_TOKEN = re.compile(rf"{_WORD}|{_INITIAL}|{_PARTICLE}")
_RUN = re.compile(rf"(?<![\w.'’-])(?:{_WORD}|{_INITIAL})(?:[ ](?:{_PARTICLE}[ ])*(?:{_WORD}|{_INITIAL}))*")
_SEQ = rf"(?:{_INITIAL}\s?)?{_WORD}(?:[ ](?:{_PARTICLE}[ ])?(?:{_INITIAL}|{_WORD})){{0,3}}"
_CANDIDATE = re.compile(_SEQ)
_RELATION = (
    r"neighbou?r|friend|husband|wife|partner|son|daughter|mother|father|mum|mom|dad|brother|sister|"
    r"colleague|boss|flatmate|roommate|housemate|landlord|landlady|cousin|uncle|aunt|grandmother|"
    r"grandfather|gran|nan|niece|nephew|fiancée?|girlfriend|boyfriend|assistant|[\w-]+-in-law|kid|child|"
    r"nanny|receptionist|courier|driver|delivery\s+(?:man|woman|guy|driver)|manager|concierge|doorman|"
    r"caretaker|tenant|lodger|carer|cleaner|babysitter|secretary|employee|coworker|co-worker|stepson|"
    r"stepdaughter|grandson|granddaughter|spouse"
)
# Cues after which any capitalised sequence is a name.
_STRONG = re.compile(
    rf"(?i:\b(?:my|our|the|his|her|their|a)\s+(?:\w+(?:'s)?\s+)?(?:{_RELATION})(?:'s)?,?\s+"
    r"|\b(?:(?:his|her|their|my\s+\w+'s)\s+)?name\s+(?:is|was)\s+|\bnamed\s+|\bcalled\s+|\bask(?:ed)?\s+for\s+"
    r"|\bsigned\s+(?:for\s+)?(?:by\s+)?|\breceived\s+by\s+|\bleft\s+(?:it\s+|the\s+parcel\s+)?with\s+"
    r"|\baddressed\s+to\s+|\battn\.?:?\s+|\bc/o\s+|\bspoke\s+(?:to|with)\s+|\brecipient(?:\s+is)?:?\s+"
    r"|\bcontact(?:\s+person)?:\s+|\bon\s+behalf\s+of\s+|\bnote\s+for\s+|\bauthori[sz]e\s+)"
    r"|\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Herr|Frau|Mme|Mlle|Sr|Sra|Srta|Señor|Señora|Madame|Monsieur)\.?\s+"
)
# Cues after which only a known given name starts a name ("I'm Sarah", not "I'm Very upset").
_WEAK = re.compile(
    r"(?i:\b(?:this\s+is|i'?m|i\s+am|it'?s|je\s+suis|je\s+m'appelle|ich\s+bin|ich\s+heiße|soy|me\s+llamo|"
    r"hi|hello|hey|dear|thanks|thank\s+you|ask|tell|with|for|to|and)[ ,]+)"
)
_SIGN_OFF = re.compile(
    r"(?i:\b(?:regards|thanks|thank\s+you|cheers|best\s+wishes|all\s+the\s+best|best|sincerely|yours(?:\s+\w+)?|cordialement|merci|"
    r"bien\s+à\s+vous|grüße|gruß|mfg|saludos|atentamente|un\s+saludo|gracias))[ \t]*[,!.-]*[ \t]*\n?[ \t]*"
)
_DETERMINER = re.compile(
    r"(?i:\b(?:the|a|an|my|your|our|their|his|her|its|this|that|these|those|some|any|two|three|new|"
    r"genuine|original|fake|which|what)\s+)$"
)
# What a person does or is, right after their name: "Tsegaye Bekele will pick it up".
_PERSON_AFTER = re.compile(
    r"[ ,]+(?:will|would|can|could|should|may|might|must|said|says|told|took|has|had|is|was|and|signed|"
    r"picked|ordered|placed|returned|collected|received|called|rang|wrote|emailed|asked|lives|lived|"
    r"from|at|who|did|does|needs|wants|paid|bought|got|here|again|left|accepted|came|brought|isn't|"
    r"wasn't|doesn't|didn't|won't|can't|thinks|knows|sent|just)\b|['’]s\b"
)
# Surname endings of many origins: Lukina, Grabowska, Virtanen, Mansouri-like forms are not listed.
_SURNAME_ENDING = re.compile(
    r"(?:ova|eva|ina|ska|ski|sky|wicz|enko|chuk|ić|vić|escu|eanu|opoulos|akis|idis|oglu|oğlu|yan|"
    r"adze|shvili|sson|nen|zadeh|pour|ini|elli|etti|ucci|bayev|ov|ev|ez|es|yi|wu|ola|ade|emi|ayo)$"
)
_SENTENCE_START = re.compile(r"(?:[.!?:;]\s+|\n\s*|[(\"“]\s*)$")
_POSSESSIVE = re.compile(r"['’]s$")
_CJK = "\u4e00-\u9fff\uac00-\ud7af"  # Chinese characters, Korean syllables
_CJK_RUN = re.compile(rf"(?<![{_CJK}])[{_CJK}]{{2,4}}(?![{_CJK}])")


@dataclass(frozen=True)
class Lexicon:
    """Lower-case word sets the name heuristic reads (loaded once per process)."""

    given: frozenset[str]
    surnames: frozenset[str]  # census and hand-written
    own_surnames: frozenset[str]  # hand-written only: strong enough to open a sentence
    never: frozenset[str]  # words that are never a name, unless also in a hand-written list
    products: frozenset[str]
    brand_words: frozenset[str]
    brands: frozenset[str]  # whole brand names after people: "michael kors"
    word_names: frozenset[str]  # given names that are everyday words: never a name alone
    census_given: frozenset[str]  # before removing the words that are never names
    census_surnames: frozenset[str]


def _words(name: str) -> frozenset[str]:
    lines = (_DATA / name).read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.startswith("#") for w in line.lower().split())


def _phrases(name: str) -> frozenset[str]:
    lines = (_DATA / name).read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


@cache
def lexicon() -> Lexicon:
    """The name lists: census (the `names` package) plus this package's data/ files."""
    folder = resources.files("names")

    def census(name: str) -> frozenset[str]:
        lines = folder.joinpath(name).read_text(encoding="utf-8").splitlines()
        return frozenset(line.split()[0].lower() for line in lines if line.strip())

    own_given, own_surnames = _words("given_names.txt"), _words("surnames.txt")
    products, brand_words = _words("product_words.txt"), _words("brand_words.txt")
    never = (_words("not_names.txt") | products | brand_words) - own_given - own_surnames
    census_given = census("dist.female.first") | census("dist.male.first")
    census_surnames = census("dist.all.last")
    given = (census_given | own_given) - never
    surnames = (census_surnames | own_surnames) - never
    brands, word_names = _phrases("brands.txt"), _words("word_names.txt")
    return Lexicon(
        given,
        surnames,
        own_surnames,
        never,
        products,
        brand_words,
        brands,
        word_names,
        census_given,
        census_surnames,
    )


def _key(word: str) -> str:
    return _POSSESSIVE.sub("", word).lower()


def _is_product(text: str, start: int, end: int) -> bool:
    """A brand run ("the Ted Baker dress", "Hugo Boss belt"), not a person."""
    lex = lexicon()
    following = re.match(r"\s+([\w'-]+)", text[end:])
    found = " ".join(_key(w) for w in text[start:end].split())
    if following and is_product_word(following[1]):
        return True
    return found in lex.brands or any(found.startswith(b + " ") for b in lex.brands)


def is_product_word(word: str) -> bool:
    """ "jeans", "dresses", "boots": a word that names what was bought."""
    word, products = word.lower(), lexicon().products
    return word in products or word.removesuffix("s") in products or word.removesuffix("es") in products


def _trim(words: list[str]) -> list[str]:
    """The leading run of words that may be a name (stops at "Order", "Thanks", ...)."""
    kept = []
    for word in words:
        if _key(word).strip(".") in lexicon().never:
            break
        kept.append(word)
    return kept


def _span_after(text: str, at: int, *, need_given_name: bool) -> tuple[int, int] | None:
    match = _CANDIDATE.match(text, at)
    if not match:
        return None
    words = _trim(match.group(0).split(" "))
    if not words or (need_given_name and _key(words[0]) not in lexicon().given):
        return None
    if need_given_name and len(words) == 1 and _key(words[0]) in lexicon().word_names:
        return None  # "ship to Austin", "for Grace"
    end = at + len(" ".join(words))
    end -= 2 if _POSSESSIVE.search(words[-1]) else 0
    return None if _is_product(text, at, end) else (at, end)


def _cued(text: str) -> list[tuple[int, int]]:
    spans = [_span_after(text, m.end(), need_given_name=False) for m in _STRONG.finditer(text)]
    spans += [_span_after(text, m.end(), need_given_name=True) for m in _WEAK.finditer(text)]
    for match in _SIGN_OFF.finditer(text):
        span = _span_after(text, match.end(), need_given_name=False)
        # a sign-off name ends the message (or its line)
        if span and re.match(r"[ \t]*[.!]?[ \t]*(?:\n|$)", text[span[1] :]):
            spans.append(span)
    return [s for s in spans if s]


def _segments(run: re.Match) -> list[list[re.Match]]:
    """The run's tokens, split at words that are never names, particles trimmed at both ends."""
    tokens = list(_TOKEN.finditer(run.group(0)))
    keys = [_key(t.group(0)).strip(".") for t in tokens]
    segments: list[list[re.Match]] = [[]]
    for at, token in enumerate(tokens):
        if _never_here(keys, at):
            segments.append([])
        else:
            segments[-1].append(token)
    particle = re.compile(rf"{_PARTICLE}$")
    trimmed = [_trim_particles(tokens, particle) for tokens in segments]
    return [t for t in trimmed if any(not particle.match(x.group(0)) for x in t)]


def _trim_particles(tokens: list[re.Match], particle: re.Pattern[str]) -> list[re.Match]:
    """Particles ("de", "van") off both ends, and a leading initial when a full name follows it."""
    while tokens and particle.match(tokens[0].group(0)):
        tokens = tokens[1:]
    while tokens and particle.match(tokens[-1].group(0)):
        tokens = tokens[:-1]
    # "size M. Linda Okafor": a leading initial stays out when a full name follows it
    if len(tokens) > 2 and tokens[0].group(0).endswith("."):
        tokens = tokens[1:]
    return tokens


def _never_here(keys: list[str], at: int) -> bool:
    """Whether the run's word at `at` is never a name here.

    A surname that is also a word stays after a given name ("Michael Brown", "Wei Long"), and a
    given name that is also a word stays before a surname ("Will Smith", "May Lee").
    """
    lex, key = lexicon(), keys[at]
    if key not in lex.never:
        return False
    previous = keys[at - 1] if at else ""
    following = keys[at + 1] if at + 1 < len(keys) else ""
    after_given = previous in lex.given and previous not in lex.word_names and key in lex.census_surnames
    before_surname = key in lex.census_given and following in lex.surnames
    return not (after_given or before_surname)


def _looks_like_name(words: list[str], opens_sentence: bool, person_after: bool) -> bool:
    """One to four words read as a person's name (see the module docstring)."""
    lex = lexicon()
    keys = [_key(w) for w in words if not re.fullmatch(_PARTICLE, w)]
    if len(keys) > 4 or any(_acronym(word) for word in words):
        return False
    if len(keys) == 1:  # "Can Priya pick it up?": a known given name alone, never a word like "Rose"
        return _lone_given_name(keys[0], lex) and (not opens_sentence or person_after)
    if opens_sentence and not person_after:
        return _known_name_at_sentence_start(keys, lex)
    return True


def _known_name_at_sentence_start(keys: list[str], lex) -> bool:
    """A capitalised run opening a sentence is a name only if a word of it is a known name (or ends
    like a surname): "Linda Okafor took it", not "Please Send"."""
    known = any(k in lex.given or k in lex.own_surnames for k in keys if len(k) > 2)
    return known or bool(_SURNAME_ENDING.search(keys[-1]))


def _acronym(word: str) -> bool:
    return len(word.rstrip(".")) > 1 and word.isupper()


def _lone_given_name(key: str, lex) -> bool:
    return key in lex.given and len(key) > 2 and key not in lex.word_names


_GREETING = re.compile(rf"(?i:\b(?:hi|hello|hey|dear|thanks|thank\s+you))[ ,]+({_WORD})(?=\s*(?:[,!.:\n]|$))")


def _greeted(text: str) -> list[tuple[int, int]]:
    """Names greeted alone ("Hi Tsegaye,", "Dear Ngaire!"): one capitalised word before a comma."""
    never = lexicon().never
    return [m.span(1) for m in _GREETING.finditer(text) if _key(m[1]) not in never]


def _uncued(text: str) -> list[tuple[int, int]]:
    """Capitalised runs that read as a person's name: "Linda Okafor", "Efosa Igbinedion"."""
    spans = []
    for run in _RUN.finditer(text):
        for tokens in _segments(run):
            start, end = run.start() + tokens[0].start(), run.start() + tokens[-1].end()
            words = [t.group(0) for t in tokens]
            end -= 2 if _POSSESSIVE.search(words[-1]) else 0
            before = text[max(0, start - 40) : start]
            if _DETERMINER.search(before) or _after_brand(before) or _is_product(text, start, end):
                continue
            person_after = bool(_PERSON_AFTER.match(text, end))
            opens = not text[:start].strip() or bool(_SENTENCE_START.search(before))
            if _looks_like_name(words, opens, person_after):
                spans.append((start, end))
    return spans


def _after_brand(before: str) -> bool:
    """Whether the run follows a brand word ("my Ring Video Doorbell")."""
    previous = re.search(r"([\w'-]+)\s+$", before)
    return bool(previous and previous[1].lower() in lexicon().brand_words)


def _cjk(text: str) -> list[tuple[int, int]]:
    """A short run of Chinese or Korean characters inside a Latin-script message is a name."""
    runs = list(_CJK_RUN.finditer(text))
    if not runs or sum(len(r.group(0)) for r in runs) * 3 > sum(c.isalpha() for c in text):
        return []
    return [r.span() for r in runs]


def name_spans(text: str, keep: Iterable[str] = ()) -> list[tuple[int, int]]:
    """(start, end) of each other person's name in `text`, none inside one of the `keep` item names."""
    kept = [k.lower() for k in keep if k]
    spans = []
    for start, end in _cued(text) + _uncued(text) + _greeted(text) + _cjk(text):
        found = text[start:end].lower()
        if not any(found in k or k in found for k in kept):
            spans.append((start, end))
    return spans
