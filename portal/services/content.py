"""Admin-edited texts: revisions of policy templates and help articles.

The current text of a policy or an article is its newest revision, else its file. Everything that shows
or indexes the texts (admin pages, help center, the agent's policy index) reads through here, and
`content_version()` (the highest revision id: revisions are append-only) tells caches when to refresh.
"""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ContentRevision

POLICY, ARTICLE = "policy", "article"
KINDS = (POLICY, ARTICLE)


def content_version() -> int:
    """0 before any edit; changes with every saved revision (one primary-key index lookup)."""
    return db.session.scalar(select(func.max(ContentRevision.id))) or 0


def latest_texts(kind: str, language: str = "en") -> dict[str, str]:
    """key → markdown of the newest revision of every edited policy or article in `language`."""
    newest = (
        select(func.max(ContentRevision.id))
        .where(ContentRevision.kind == kind, ContentRevision.language == language)
        .group_by(ContentRevision.key)
    )
    rows = db.session.execute(
        select(ContentRevision.key, ContentRevision.markdown).where(ContentRevision.id.in_(newest))
    )
    return {key: markdown for key, markdown in rows}


def latest_text(kind: str, key: str, language: str = "en") -> str | None:
    """The newest revision's markdown, or None when the text was never edited."""
    return db.session.scalar(
        select(ContentRevision.markdown)
        .where(ContentRevision.kind == kind, ContentRevision.key == key, ContentRevision.language == language)
        .order_by(ContentRevision.id.desc())
        .limit(1)
    )


def history(kind: str, key: str, language: str = "en") -> list[ContentRevision]:
    """Every revision of one text, newest first."""
    return list(
        db.session.scalars(
            select(ContentRevision)
            .where(
                ContentRevision.kind == kind, ContentRevision.key == key, ContentRevision.language == language
            )
            .order_by(ContentRevision.id.desc())
        )
    )


def save_revision(
    kind: str, key: str, language: str, markdown: str, author_id: int | None
) -> ContentRevision:
    """Add a revision (the caller commits); line endings normalised so the hash does not flip on CRLF."""
    if kind not in KINDS:
        raise ValueError(f"unknown content kind {kind!r}")
    revision = ContentRevision(
        kind=kind, key=key, language=language, markdown=markdown.replace("\r\n", "\n"), author_id=author_id
    )
    db.session.add(revision)
    db.session.flush()
    return revision
