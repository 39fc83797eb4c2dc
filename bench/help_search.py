"""Help-center search at scale: query latency over 2,000 generated articles (target p95 ≤ 20 ms).

The articles are generated from the real ones (help/*.md in every language and policies/*.md): each
copy gets a variant tag in its slug and title, its paragraphs shuffled and products and places varied,
so the vocabulary grows the way a larger help center's would. Each query goes through the same
`portal.help.search.search` the pages call (content hash, FAISS search, lexical check, snippets),
with the offline embedder; the index is built once, as the on-disk cache does in production.
"""

from __future__ import annotations

import random
import re
import tempfile
import time
from pathlib import Path

from bench.stats import Skipped, summary, verdict

NAME = "help_search"
DESCRIPTION = "help-center search: build time and query p50/p95 over 2,000 generated articles"

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = 2_000
TARGET_P95_MS = 20.0
PRODUCTS = ["headphones", "kettle", "lamp", "shoes", "television", "grinder", "backpack", "mat", "case"]
PLACES = ["Canada", "Mexico", "Germany", "Japan", "Brazil", "Kenya", "Norway", "Chile", "India", "Spain"]
QUERIES = [
    "how long do refunds take",
    "I forgot my password",
    "unsubscribe from the newsletter",
    "do you ship to Canada",
    "how do I close my account",
    "which payment methods do you accept",
    "change my email address",
    "talk to a person",
    "cancel my order, is there a fee",
    "where are my saved addresses",
    "what is the capital of Peru",
    "olvidé mi contraseña",
]


def run(args) -> dict:
    """Generate the articles, build the index once, then time every query several times."""
    try:
        from portal.config import Settings, load_config
        from portal.help.articles import Article, parse_article
        from portal.help.search import search
    except ImportError as exc:
        raise Skipped(f"the help center is not importable ({exc})") from exc
    base = _base_articles(Article, parse_article)
    count = 500 if getattr(args, "quick", False) else ARTICLES
    articles = _generated(Article, base, count)
    with tempfile.TemporaryDirectory(prefix="help-bench-") as instance:
        agent = Settings.from_config(load_config(instance) | {"RETRIEVAL_EMBEDDER": "offline"}).agent
        started = time.perf_counter()
        search(articles, "refund", "en", agent, instance)  # builds and saves the index
        build_s = time.perf_counter() - started
        timings, found = [], {}
        for _ in range(3 if getattr(args, "quick", False) else 10):
            for query in QUERIES:
                begun = time.perf_counter()
                hits = search(articles, query, "en", agent, instance)
                timings.append((time.perf_counter() - begun) * 1000)
                found[query] = len(hits)
    query_ms = summary(timings, digits=3)
    return {
        "articles": len(articles),
        "build_s": round(build_s, 2),
        "query_ms": query_ms,
        "results_per_query": found,
        "targets": {
            "query_p95_ms": {
                "target": TARGET_P95_MS,
                "value": query_ms.get("p95"),
                "verdict": verdict(query_ms.get("p95"), TARGET_P95_MS),
            }
        },
    }


def _base_articles(article_cls, parse_article) -> list:
    base = [
        parse_article(
            path.stem,
            path.read_text(encoding="utf-8"),
            path.parent.name if path.parent.name != "help" else "en",
        )
        for path in sorted((ROOT / "help").rglob("*.md"))
    ]
    for path in sorted((ROOT / "policies").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        base.append(
            article_cls(path.stem + "-policy", path.stem.capitalize(), "policies", text, "en", is_policy=True)
        )
    if not base:
        raise Skipped("no help articles in help/")
    return base


def _generated(article_cls, base: list, count: int) -> dict:
    rng = random.Random(12)
    articles = {}
    for i in range(count):
        source = base[i % len(base)]
        paragraphs = source.body.split("\n\n")
        head, rest = paragraphs[:1], paragraphs[1:]
        rng.shuffle(rest)
        body = "\n\n".join(head + rest)
        body = re.sub(r"\b(order|item)s?\b", lambda m: f"{m.group(0)} {rng.choice(PRODUCTS)}", body, count=3)
        body += f"\n\nThis also applies to deliveries to {rng.choice(PLACES)}."
        slug = f"{source.slug}-v{i}"
        title = f"{source.title} (variant {i})"
        articles[slug] = article_cls(slug, title, source.category, body, source.language, source.related)
    return articles


def report(result: dict) -> list[str]:
    """Lines to print for this benchmark."""
    q = result["query_ms"]
    t = result["targets"]["query_p95_ms"]
    return [
        f"{result['articles']} articles: index built in {result['build_s']:.1f} s",
        f"query p50 {q['p50']:.2f} ms, p95 {q['p95']:.2f} ms, max {q['max']:.2f} ms ({q['count']} queries)",
        f"target p95 <= {t['target']} ms: {t['verdict']}",
    ]
