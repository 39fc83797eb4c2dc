"""Choosing which policy passage a reply quotes, and which of its sentences.

Retrieval ranks passages by the customer's words, which is the right start for a question but
not for an action: a refund issued for a broken item rests on the refund window, whatever the
customer wrote. And a passage is several sentences while a reply quotes one or two. Both choices
here are lexical (stemmed word overlap, headings counting double), so they are deterministic,
explainable and need no model; the retrieval score breaks ties.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from worker.agent.backends.base import Citation

_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_MARKDOWN = re.compile(r"\*\*|__|`")
_BULLET = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")
_SUFFIXES = (
    "ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied",
    "ers", "er", "ed", "es", "s", "ly", "y", "e",
)  # fmt: skip
# Words that say nothing about which rule a sentence states.
_STOPWORD_TEXT = """
    a an the and or but if so of to in on at by for from with as is are was were be been being it its
    this that these those there here i me my mine we us our you your yours he she they them their do does
    did doing done can could would should will shall may might must have has had having not no yes any
    some all each every what which who whom whose when where why how much many long get got getting
    please just also about into than then too very still only want need like know tell let make one
    thing things hi hello thanks thank ok okay"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_DURATION = re.compile(r"\bhow many (?:days|weeks|hours)\b")
_BACK_REFERENCE = re.compile(r"\b(?:above|below)\b", re.IGNORECASE)
_FILLER = frozenset({"a", "an", "the", "of", "and", "or", "your", "our"})
HEADING_WEIGHT = 2.0
LEXICAL_WEIGHT = 2.0  # for a query naming the rule (a decision's topic): its words decide
ANSWER_LEXICAL_WEIGHT = 0.3  # for a customer's question: retrieval already read it; words refine
OVERVIEW = "Overview"  # a document's introduction: it names the topic but states no rule


def stem(word: str) -> str:
    """A crude suffix-stripping stem: 'cancelled', 'cancellation' and 'cancel' meet."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]  # shipp → ship, cancell → cancel
    return word


def terms(text: str) -> list[str]:
    """The stemmed content words of a text, in order."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


def words(text: str) -> list[str]:
    """Every word of a text, stemmed, in order (phrases and headings need the small words too)."""
    return [w if w in _STOPWORDS else stem(w) for w in _WORD.findall(text.lower())]


def phrases(text: str) -> set[tuple[str, str]]:
    """Word pairs side by side that hold at least one content word ("ask for", "a refund")."""
    found = words(text)
    return {
        (a, b) for a, b in zip(found, found[1:], strict=False) if not (a in _STOPWORDS and b in _STOPWORDS)
    }


def coverage(heading: str, query_words: set[str]) -> float:
    """Share of a heading's words the query uses: 'How to cancel' for 'how do I cancel?'."""
    wanted = [w for w in words(heading) if w not in _FILLER]
    return sum(1 for w in wanted if w in query_words) / len(wanted) if wanted else 0.0


def overlap(
    query: Sequence[str], text_terms: Iterable[str], weights: Mapping[str, float] | None = None
) -> float:
    """Weighted share of the query's terms found in the text, plus a bonus for pairs found side by side."""
    wanted = set(query)
    if not wanted:
        return 0.0
    weight = (weights or {}).get
    found = list(text_terms)
    vocabulary = set(found)
    pairs = set(zip(found, found[1:], strict=False))
    hits = sum(weight(term, 1.0) for term in wanted if term in vocabulary)
    bigrams = sum(
        0.5 * min(weight(a, 1.0), weight(b, 1.0))
        for a, b in zip(query, query[1:], strict=False)
        if (a, b) in pairs
    )
    return (hits + bigrams) / sum(weight(term, 1.0) for term in wanted)


def rarity(texts: Iterable[str]) -> dict[str, float]:
    """Inverse document frequency of each term over the given texts: rare words tell passages apart."""
    docs = [set(terms(text)) for text in texts]
    counts: dict[str, int] = {}
    for doc in docs:
        for term in doc:
            counts[term] = counts.get(term, 0) + 1
    return {term: math.log(1 + len(docs) / count) for term, count in counts.items()}


@dataclass(frozen=True)
class Query:
    """A query prepared once: content terms, all words, phrases and term weights."""

    terms: list[str]
    words: set[str]
    phrases: set[tuple[str, str]]
    weights: Mapping[str, float]

    @classmethod
    def of(cls, text: str, weights: Mapping[str, float] | None = None) -> Query:
        """Prepare the text as a query (weights: per-term weights, e.g. rarity)."""
        return cls(terms(text), set(words(text)), phrases(text), weights or {})

    def unit_score(self, unit: str) -> float:
        """Weighted share of the terms in the unit, plus half the share of the phrases in it."""
        shared = len(self.phrases & phrases(unit)) / len(self.phrases) if self.phrases else 0.0
        return overlap(self.terms, terms(unit), self.weights) + 0.5 * shared


def relevance(query: Query, passage: Citation) -> float:
    """How well a passage's heading and its best sentence match the query."""
    heading = coverage(passage.heading, query.words)
    best_unit = max((query.unit_score(unit) for unit in units(passage.text)), default=0.0)
    return HEADING_WEIGHT * heading + best_unit


def rank(
    query: str,
    candidates: Iterable[Citation],
    prefer: str | None = None,
    lexical: float = LEXICAL_WEIGHT,
) -> list[Citation]:
    """Distinct candidates, best first: policy `prefer`, then a rule-stating passage, then the
    retrieval score plus `lexical` times the word match of heading and best sentence."""
    unique = list({(p.policy, p.heading, p.text): p for p in candidates}.values())
    weights = rarity(unit for p in unique for unit in [p.heading, *units(p.text)])
    prepared = Query.of(query, weights)

    def key(p: Citation) -> tuple[bool, bool, float]:
        return (p.policy == prefer, p.heading != OVERVIEW, p.score + lexical * relevance(prepared, p))

    return sorted(unique, key=key, reverse=True)


def answer_passage(question: str, candidates: Iterable[Citation]) -> Citation | None:
    """The candidate that best answers a question: retrieval's order, refined by the words."""
    ranked = rank(question + synonyms(question), candidates, lexical=ANSWER_LEXICAL_WEIGHT)
    return ranked[0] if ranked else None


def synonyms(question: str) -> str:
    """The policies' words for the question's phrases ("money back" → refund), as retrieval adds them."""
    from worker.agent.retrieval.synonyms import expand  # deferred: the retrieval package loads FAISS

    # "how many days" asks how long, not how many times: keep it from reading as the refund limit
    asked = _DURATION.sub("how long", question.lower())
    return " " + expand(asked)[len(asked) :].strip()


def plain(text: str) -> str:
    """Markdown emphasis removed, whitespace tidied."""
    return " ".join(_MARKDOWN.sub("", text).split())


def units(text: str) -> list[str]:
    """A passage as quotable units: each sentence, and each bullet as one unit."""
    return [unit for unit, _ in _marked_units(text)]


def _marked_units(text: str) -> list[tuple[str, bool]]:
    """(unit, is a list item) pairs, in order."""
    found: list[tuple[str, bool]] = []
    for paragraph in re.split(r"\n\s*\n", text):
        for line in _lines(paragraph):
            bullet = _BULLET.match(line) is not None
            found += [(s, bullet) for s in _SENTENCE_END.split(plain(_BULLET.sub("", line))) if s]
    return found


def _lines(paragraph: str) -> list[str]:
    """Bullet lines stay apart; wrapped prose lines join into one."""
    lines = [line for line in paragraph.splitlines() if line.strip()]
    if any(_BULLET.match(line) for line in lines):
        return lines
    return [" ".join(lines)]


def excerpt(
    passage: Citation,
    query: str,
    limit: int = 300,
    *,
    min_share: float = 0.0,
    max_units: int = 99,
    bullets: bool = False,
) -> str:
    """The passage's sentences that best match the query, in the passage's order, within `limit`.

    The best sentence always; then the next best ones scoring at least `min_share` of it, while
    they fit. A short passage with no better choice is quoted whole; with no match at all, its
    opening sentences are.
    """
    marked = _marked_units(passage.text)
    parts = [unit for unit, _ in marked]
    if not parts:
        return ""
    prepared = Query.of(query, rarity(parts))
    scores = [prepared.unit_score(unit) for unit in parts]
    best = max(scores)
    if best == 0:
        scores, best = [float(len(parts) - i) for i in range(len(parts))], float(len(parts))
        min_share = 0.0  # no match: the opening reads best
    chosen: set[int] = set()
    for index in sorted(range(len(parts)), key=lambda i: (-scores[i], i)):
        if len(chosen) >= max_units or (chosen and scores[index] < min_share * best):
            break
        if not chosen or _length(parts, chosen | {index}) <= limit:
            chosen.add(index)
    return _join(marked, _readable(marked, chosen), bullets=bullets)


def quote(passage: Citation, index: int) -> str:
    """The passage's sentence at `index`, with what it needs to be read alone, as `excerpt` quotes it."""
    marked = _marked_units(passage.text)
    if not 0 <= index < len(marked):
        return ""
    return _join(marked, _readable(marked, {index}))


def _readable(marked: Sequence[tuple[str, bool]], chosen: set[int]) -> set[int]:
    """The chosen units plus what they need to be read alone: a list's introduction ("You can pay
    with:") brings its items, a list item that is only part of a sentence brings the whole list,
    a sentence about "the time above" brings the list above it, and an answer's "Yes." stays."""
    full = set(chosen)
    for index in sorted(chosen):
        text, bullet = marked[index]
        if (bullet and not text.endswith((".", "!", "?"))) or (not bullet and _BACK_REFERENCE.search(text)):
            start = index - 1 if not bullet else index
            while start > 0 and marked[start][1]:
                start -= 1
            full.update(range(start, index))
            index, text = start, marked[start][0]
        if text.endswith(":"):
            following = index + 1
            while following < len(marked) and marked[following][1]:
                full.add(following)
                following += 1
    if 1 in full and marked[0][0] in ("Yes.", "No."):
        full.add(0)
    return full


def _length(parts: Sequence[str], chosen: set[int]) -> int:
    return sum(len(parts[i]) + 1 for i in chosen)


def _join(marked: Sequence[tuple[str, bool]], chosen: set[int], *, bullets: bool = False) -> str:
    """Chosen units in order, as running text; with `bullets`, a list of whole items (two or more)
    goes on lines of its own."""
    kept = []
    for index in sorted(chosen):
        unit, bullet = marked[index]
        if not unit.endswith((".", "!", "?", ":", ",", ";", " and", " or")):
            unit += "."
        kept.append((unit, bullet and unit.endswith((".", "!", "?"))))
    listed = bullets and sum(item for _, item in kept) >= 2
    text, previous_item = "", False
    for unit, item in kept:
        item = item and listed
        gap = "\n" if (item or previous_item) and text else (" " if text else "")
        text += gap + ("- " if item else "") + unit
        previous_item = item
    return text.rstrip(":") + ("." if text.endswith(":") else "")
