"""Help center pages: public (no login), in English, Spanish, French or German."""

from __future__ import annotations

import logging
import secrets

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.admin.routes import render_markdown
from portal.config import settings
from portal.extensions import db, limiter
from portal.help import bp
from portal.help.articles import CATEGORIES, DEFAULT_LANGUAGE, LANGUAGES, category_name, load_articles
from portal.help.forms import VoteForm
from portal.help.search import search
from portal.help.text import ui_text
from portal.services import help_center

logger = logging.getLogger(__name__)

VISITOR_KEY = "help_visitor"  # who voted (one vote per visitor and article)
SUGGESTIONS = 3


def language() -> str:
    """?lang= (remembered in the session), else the session's, else the browser's, else English."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        session["help_lang"] = chosen
        return chosen
    remembered = session.get("help_lang")
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE


def _articles(lang: str):
    return load_articles(settings().help_dir, lang)


def _search(query: str, lang: str, k: int = 5) -> list | None:
    """The hits, or None when search itself failed (say, the Mistral embedder is unreachable)."""
    articles = _articles(lang)
    try:
        return search(articles, query, lang, settings().agent, current_app.instance_path, k=k)
    except Exception:  # a broken search must not break the page: browsing still works
        logger.exception("help search failed for a %d-character query", len(query))
        return None


@bp.context_processor
def page_words():
    return {"help_languages": LANGUAGES, "t": ui_text(language())}


@bp.route("/")
def index():
    lang = language()
    by_category: dict[str, list] = {key: [] for key in CATEGORIES}
    for article in _articles(lang).values():
        by_category.setdefault(article.category, []).append(article)
    sections = [(key, category_name(key, lang), items) for key, items in by_category.items() if items]
    return render_template("help/index.html", sections=sections, lang=lang)


@bp.route("/search")
def search_page():
    lang = language()
    query = request.args.get("q", "").strip()[: help_center.QUERY_MAX]
    hits = _search(query, lang) if query else []
    if hits is None:
        flash("Search is unavailable right now; please browse the categories instead.", "warning")
        return render_template("help/search.html", query="", hits=[], lang=lang), 503
    if query:
        help_center.record_search(query, lang, len(hits))
        db.session.commit()
    return render_template("help/search.html", query=query, hits=hits, lang=lang)


@bp.route("/articles/<slug>")
def article(slug: str):
    lang = language()
    articles = _articles(lang)
    found = articles.get(slug)
    if found is None:
        abort(404)
    if request.args.get("from") == "ticket" and current_user.is_authenticated and not current_user.is_staff:
        help_center.record_suggestion_click(slug, help_center.current_visit(session), current_user.id)
        db.session.commit()
    related = [articles[s] for s in found.related if s in articles]
    voted = help_center.already_voted(slug, session.get(VISITOR_KEY, ""))
    return render_template(
        "help/article.html",
        article=found,
        html=render_markdown(found.body),
        related=related,
        category=category_name(found.category, lang),
        form=VoteForm(formdata=None),
        voted=voted,
        lang=lang,
    )


@bp.route("/articles/<slug>/vote", methods=["POST"])
@limiter.limit("30 per hour", methods=["POST"])
def vote(slug: str):
    lang = language()
    if slug not in _articles(lang):
        abort(404)
    form = VoteForm()
    if not form.validate_on_submit() or not (form.yes.data or form.no.data):
        flash("We could not record that answer: choose Yes or No (comments up to 1000 characters).", "danger")
        return redirect(url_for("help.article", slug=slug))
    visitor = session.setdefault(VISITOR_KEY, secrets.token_hex(16))
    stored = help_center.record_vote(slug, visitor, bool(form.yes.data), form.comment.data or "", lang)
    db.session.commit()
    flash("Thanks for your feedback!" if stored else "You already told us about this article.", "info")
    return redirect(url_for("help.article", slug=slug))


@bp.route("/suggest.json")
def suggest():
    """The best articles for what a customer is typing into the new-ticket form."""
    lang = language()
    query = request.args.get("q", "").strip()[:500]
    hits = (_search(query, lang, k=SUGGESTIONS) if len(query) >= 3 else []) or []
    return jsonify(
        articles=[
            {
                "slug": hit.article.slug,
                "title": hit.article.title,
                "snippet": hit.snippet,
                "url": url_for("help.article", slug=hit.article.slug, **{"from": "ticket"}),
            }
            for hit in hits
        ]
    )
