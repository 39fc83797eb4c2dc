"""Help articles: our FAQ markdown (help/*.md, translations in help/<lang>/) plus the policies.

A FAQ file starts with a small front matter block:

    ---
    title: How long do refunds take?
    category: orders
    related: cancellations, payment-methods
    ---

The policies are read through the admin policy pages' own functions, so whatever those pages show
(for example numbers rendered from configuration) is what the help center shows and indexes.
A translation missing from help/<lang>/ falls back to the English file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from portal.admin import routes as admin_pages
from portal.admin.routes import markdown_title
from portal.services import content

LANGUAGES = {"en": "English", "es": "Español", "fr": "Français", "de": "Deutsch"}
DEFAULT_LANGUAGE = "en"
POLICY_SUFFIX = "-policy"  # a policy's slug: "refunds" -> "refunds-policy" (FAQ slugs never end so)
CATEGORIES = {
    "orders": {"en": "Orders and delivery", "es": "Pedidos y envíos", "fr": "Commandes et livraison",
               "de": "Bestellungen und Versand"},
    "refunds": {"en": "Refunds and payments", "es": "Reembolsos y pagos", "fr": "Remboursements et paiements",
                "de": "Erstattungen und Zahlungen"},
    "account": {"en": "Your account", "es": "Su cuenta", "fr": "Votre compte", "de": "Ihr Konto"},
    "contact": {"en": "Contact and feedback", "es": "Contacto y opiniones", "fr": "Contact et avis",
                "de": "Kontakt und Feedback"},
    "policies": {"en": "Our policies", "es": "Nuestras políticas", "fr": "Nos conditions",
                 "de": "Unsere Richtlinien"},
}  # fmt: skip


# (help dir, language) -> (signature of the files and policy texts, articles)
_loaded: dict[tuple[str, str], tuple[tuple, dict[str, Article]]] = {}


@dataclass(frozen=True)
class Article:
    """One help article in one language (`language` is the text's, after any English fallback)."""

    slug: str
    title: str
    category: str
    body: str
    language: str
    related: tuple[str, ...] = field(default=())
    is_policy: bool = False


def category_name(category: str, language: str) -> str:
    """A category's name in the language (English when not translated)."""
    names = CATEGORIES.get(category, {})
    return names.get(language) or names.get(DEFAULT_LANGUAGE) or category.capitalize()


def load_articles(help_dir: str | Path, language: str) -> dict[str, Article]:
    """Every article in `language` (FAQ first, then policies), keyed by slug.

    The same dict comes back while neither the FAQ files nor the policies' text changed, so the
    search can tell at a glance that its index is current.
    """
    policies = tuple((stem, admin_pages.policy_markdown(stem) or "") for stem in admin_pages.policy_stems())
    # The content version: an admin's saved article revision shows at once, without touching files.
    version = content.content_version()
    key, signature = (str(help_dir), language), (_files_signature(Path(help_dir)), policies, version)
    cached = _loaded.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    articles = {a.slug: a for a in _faq(Path(help_dir), language)}
    for stem, source in policies:
        slug = stem + POLICY_SUFFIX
        title = markdown_title(source, stem.capitalize())
        articles[slug] = Article(slug, title, "policies", source, DEFAULT_LANGUAGE, is_policy=True)
    _loaded[key] = (signature, articles)
    return articles


def _files_signature(help_dir: Path) -> tuple:
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(help_dir.rglob("*.md")))


def content_hash(articles: dict[str, Article]) -> str:
    """A sha256 over every article's slug, language, title and text: the search index's cache key."""
    digest = hashlib.sha256(b"help-articles:1\n")
    for article in articles.values():
        for part in (article.slug, article.language, article.title, article.body):
            data = part.encode()
            digest.update(f"{len(data)}\0".encode() + data)
    return digest.hexdigest()


def _faq(help_dir: Path, language: str) -> list[Article]:
    english = sorted(help_dir.glob("*.md"))
    edited = content.latest_texts(content.ARTICLE, language)
    edited_en = edited if language == DEFAULT_LANGUAGE else content.latest_texts(content.ARTICLE)
    articles = []
    for path in english:
        text, lang = article_source(help_dir, path.stem, language, edited, edited_en)
        articles.append(parse_article(path.stem, text, lang))
    return articles


def faq_slugs(help_dir: str | Path) -> list[str]:
    """The FAQ articles' slugs (English file stems), sorted."""
    return [path.stem for path in sorted(Path(help_dir).glob("*.md"))]


def article_source(
    help_dir: str | Path,
    slug: str,
    language: str,
    edited: dict[str, str] | None = None,
    edited_en: dict[str, str] | None = None,
) -> tuple[str, str]:
    """(file text with front matter, its language): the language's revision, else its file, else English's.

    The slug must be one of `faq_slugs` (the caller checks): it is never used to build a path unchecked.
    """
    help_dir = Path(help_dir)
    if edited is None:
        edited = content.latest_texts(content.ARTICLE, language)
    if slug in edited:
        return edited[slug], language
    translated = help_dir / language / f"{slug}.md"
    if language != DEFAULT_LANGUAGE and translated.is_file():
        return translated.read_text(encoding="utf-8"), language
    if edited_en is None:
        edited_en = content.latest_texts(content.ARTICLE)
    if slug in edited_en:
        return edited_en[slug], DEFAULT_LANGUAGE
    return (help_dir / f"{slug}.md").read_text(encoding="utf-8"), DEFAULT_LANGUAGE


def parse_article(slug: str, text: str, language: str) -> Article:
    """An Article from a FAQ file's text: front matter, then markdown."""
    meta, body = _front_matter(text)
    related = tuple(s.strip() for s in meta.get("related", "").split(",") if s.strip())
    title = meta.get("title") or markdown_title(body, slug.replace("-", " ").capitalize())
    return Article(slug, title, meta.get("category", "orders"), body.strip(), language, related)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---" or "---" not in (line.strip() for line in lines[1:]):
        return {}, text
    end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == "---")
    meta = {}
    for line in lines[1:end]:
        key, _, value = line.partition(":")
        meta[key.strip().lower()] = value.strip()
    return meta, "\n".join(lines[end + 1 :])
