"""Full-text search over help articles with the agent's own retrieval (chunking, embedder, FAISS).

One index per language lives in `<instance>/help_index/<lang>/`, saved like the policy index (manifest,
atomic build directories) and keyed by a hash of the articles' content, so editing an article or a
policy rebuilds it on the next search. The retrieval package is imported lazily: it is a leaf
(numpy, FAISS, scikit-learn; no jobs, no portal), and searching is a read the page needs right away,
not background work, so the web process runs it itself rather than through a queue.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from portal.config_agent import AgentSettings
from portal.help.articles import Article, content_hash

logger = logging.getLogger(__name__)

INDEX_DIRNAME = "help_index"
# Below this cosine similarity a chunk is not an answer. On a corpus this small LSA also gives
# unrelated questions ("what is the capital of Peru") scores of 0.3-0.4, so a hit must in addition
# share a word (its first STEM letters) with the article: that is what makes "no results" honest.
MIN_SCORE = 0.12
STEM = 5
TITLE_BONUS = 0.2  # added to the cosine for a title made of all the query's words (pro rata)
# Words that say nothing about the topic, in the four languages of the help center.
_STOPWORD_TEXT = """
the and for you your can how what when where why who does did have has with from this that are was
not but all any our out get got want need about please hello there which will would could should
los las una uno que por para con como cuando donde del mis sus est ich und der die das ein eine
wie was wann mein meine nicht ist les des une pour avec comment quand est mes mon vous nous
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
SNIPPET_CHARS = 220

_lock = threading.Lock()
_cache: dict[str, tuple[dict, str, Any]] = {}  # index dir -> (articles, their content hash, index)


@dataclass(frozen=True)
class Hit:
    """An article found by a search, with the best-matching passage as a plain-text snippet."""

    article: Article
    heading: str
    snippet: str
    score: float


def search(
    articles: dict[str, Article],
    query: str,
    language: str,
    agent: AgentSettings,
    instance_path: str,
    k: int = 5,
) -> list[Hit]:
    """The `k` articles (of `language`'s set) best matching `query`, best first; [] when none is close.

    `agent` chooses the embedder (RETRIEVAL_EMBEDDER, MISTRAL_*), as for the policy index."""
    query = (query or "").strip()
    if not query or not articles:
        return []
    index = _index(articles, agent, Path(instance_path) / INDEX_DIRNAME / language)
    from worker.agent.retrieval import synonyms

    hits: dict[str, Hit] = {}
    stems = _stems(synonyms.expand(query))  # the embedder's own synonyms: "money back" finds "refund"
    asked = _stems(query)
    for passage in index.search(query, k=k * 4, min_score=MIN_SCORE):
        article = articles.get(passage.policy)
        if article is None or passage.policy in hits or not _shares_a_word(stems, article, passage.text):
            continue
        score = passage.score + _title_bonus(asked, article.title)
        hits[passage.policy] = Hit(article, passage.heading, snippet(passage.text, query), score)
    return sorted(hits.values(), key=lambda hit: -hit.score)[:k]


def build_index(articles: dict[str, Article], embedder: Any) -> Any:
    """An in-memory index over the articles' chunks (also used by the benchmark)."""
    from worker.agent.retrieval import Chunk, PolicyIndex, chunk_markdown

    chunks = []
    for article in articles.values():
        for chunk in chunk_markdown(article.slug, article.body):
            heading = article.title if chunk.heading == "Overview" else f"{article.title} > {chunk.heading}"
            chunks.append(Chunk(policy=article.slug, heading=heading, text=chunk.text))
    return PolicyIndex.from_chunks(chunks, embedder, corpus_hash=content_hash(articles))


def clear_cache() -> None:
    """Forget the loaded indexes (tests)."""
    with _lock:
        _cache.clear()


def _index(articles: dict[str, Article], agent: AgentSettings, target: Path) -> Any:
    from worker.agent.retrieval import PolicyIndex, get_embedder
    from worker.agent.retrieval.index import is_current, read_manifest

    cached = _cache.get(str(target))
    if cached and cached[0] is articles:  # the same loaded set (load_articles caches it): no re-hashing
        return cached[2]
    corpus_hash = content_hash(articles)
    with _lock:
        cached = _cache.get(str(target))
        if cached and cached[1] == corpus_hash:
            _cache[str(target)] = (articles, corpus_hash, cached[2])
            return cached[2]
        embedder = get_embedder(agent)
        index = None
        if is_current(read_manifest(target), corpus_hash, embedder.name):
            try:
                index = PolicyIndex.load(target, embedder)
            except (OSError, RuntimeError, KeyError, ValueError):
                logger.warning("help index in %s is unreadable; rebuilding", target, exc_info=True)
        if index is None:
            logger.info("building help index in %s with %s", target, embedder.name)
            index = build_index(articles, embedder)
            index.save(target)
        _cache[str(target)] = (articles, corpus_hash, index)
        return index


def _stems(text: str) -> set[str]:
    return {w[:STEM] for w in _WORD.findall(text.lower()) if w not in STOPWORDS}


def _title_bonus(asked: set[str], title: str) -> float:
    # An article whose title asks the visitor's own question goes first: a title is written to be
    # that question, which passage similarity alone does not know.
    return TITLE_BONUS * len(asked & _stems(title)) / len(asked) if asked else 0.0


def _shares_a_word(stems: set[str], article: Article, passage: str) -> bool:
    return bool(stems & _stems(f"{article.title} {passage}"))


_MARKUP = re.compile(r"[*_`#>|]+|\[([^\]]*)\]\([^)]*\)")
_WORD = re.compile(r"\w{3,}")


def snippet(text: str, query: str, width: int = SNIPPET_CHARS) -> str:
    """Plain text of a passage around the first word of the query it contains."""
    plain = " ".join(_MARKUP.sub(lambda m: m.group(1) or " ", text).split())
    lowered = plain.lower()
    positions = [lowered.find(w.lower()) for w in _WORD.findall(query)]
    start = min((p for p in positions if p >= 0), default=0)
    start = max(0, plain.rfind(" ", 0, max(0, start - width // 3)) + 1) if start > width // 3 else 0
    piece = plain[start : start + width]
    if start + width < len(plain):
        piece = piece.rsplit(" ", 1)[0] + " …"
    return ("… " if start else "") + piece
