"""Admin editing of policies and help articles: edit with preview, history, revert.

Every save adds a revision (portal.services.content); the admin pages, the help center and the agent's
policy index all read the newest revision, so a save shows everywhere without a deploy or a restart.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from jinja2 import TemplateError
from markupsafe import Markup

from portal.admin import bp
from portal.admin import routes as pages
from portal.admin.forms import ButtonForm, ContentEditForm
from portal.config import settings
from portal.extensions import db
from portal.help import articles as help_articles
from portal.help.policy_text import render_policy
from portal.models import ContentRevision
from portal.services import content

SECTIONS = {"policies": content.POLICY, "articles": content.ARTICLE}


@dataclass(frozen=True)
class Target:
    """What an edit page works on: a policy (English only) or a FAQ article in one language."""

    section: str
    key: str
    language: str

    @property
    def kind(self) -> str:
        return SECTIONS[self.section]

    @property
    def lang(self) -> str | None:
        """The `lang` URL parameter: articles only (None is left out of the URL)."""
        return self.language if self.kind == content.ARTICLE else None

    @property
    def label(self) -> str:
        return f"{self.key}.md" if self.language == "en" else f"{self.language}/{self.key}.md"

    def current_text(self) -> str:
        if self.kind == content.POLICY:
            return pages.policy_template(self.key) or ""
        return help_articles.article_source(settings().help_dir, self.key, self.language)[0]

    def view_url(self) -> str:
        if self.kind == content.POLICY:
            return url_for("admin.policy", stem=self.key)
        return url_for("help.article", slug=self.key, lang=self.language)


def _target(section: str, key: str) -> Target:
    """The target named in the URL; a 404 for anything not listed from the folders (no path traversal)."""
    if section == "policies":
        if key not in pages.policy_stems():
            abort(404)
        return Target(section, key, "en")
    language = request.args.get("lang", help_articles.DEFAULT_LANGUAGE)
    if key not in help_articles.faq_slugs(settings().help_dir) or language not in help_articles.LANGUAGES:
        abort(404)
    return Target(section, key, language)


def render_preview(target: Target, text: str) -> Markup:
    """The HTML the page will show for `text`; raises ValueError with a message for the admin."""
    if target.kind == content.POLICY:
        try:
            rendered = render_policy(text, settings().policy)
        except TemplateError as exc:
            raise ValueError(
                f"The policy template does not render: {exc.message or exc}. Nothing was saved."
            ) from exc
        return pages.render_markdown(rendered)
    article = help_articles.parse_article(target.key, text, target.language)
    if not article.body:
        raise ValueError("The article has no text after its front matter. Nothing was saved.")
    return Markup("<h1>{}</h1>").format(article.title) + pages.render_markdown(article.body)


@bp.route("/articles")
def articles():
    slugs = help_articles.faq_slugs(settings().help_dir)
    return render_template("admin/articles.html", slugs=slugs, languages=help_articles.LANGUAGES)


@bp.route("/<any(policies, articles):section>/<key>/edit", methods=["GET", "POST"])
def edit_content(section: str, key: str):
    target = _target(section, key)
    form = ContentEditForm()
    preview, error = None, None
    if request.method == "GET":
        form.markdown.data = target.current_text()
    elif not form.validate_on_submit():
        error = "; ".join(form.markdown.errors) or "The form expired; reload the page and try again."
    else:
        try:
            preview = render_preview(target, form.markdown.data)
        except ValueError as exc:
            error = str(exc)
        else:
            if form.save.data:
                _save(target, form.markdown.data, "admin.content_edit")
                flash(f"Saved {target.label}; the help center and the agent use the new text.", "success")
                return redirect(target.view_url())
    status = 400 if error else 200
    return render_template(
        "admin/edit_content.html", target=target, form=form, preview=preview, error=error
    ), status


@bp.route("/<any(policies, articles):section>/<key>/history")
def content_history(section: str, key: str):
    target = _target(section, key)
    revisions = content.history(target.kind, target.key, target.language)
    return render_template(
        "admin/content_history.html", target=target, revisions=revisions, button=ButtonForm(formdata=None)
    )


@bp.route(
    "/<any(policies, articles):section>/<key>/revert/<int(max=2147483647):revision_id>", methods=["POST"]
)
def revert_content(section: str, key: str, revision_id: int):
    target = _target(section, key)
    revision = db.session.get(ContentRevision, revision_id)
    if revision is None or (revision.kind, revision.key, revision.language) != (
        target.kind,
        target.key,
        target.language,
    ):
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        render_preview(target, revision.markdown)  # limits may have changed since: still must render
    except ValueError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("admin.content_history", section=section, key=key, lang=target.lang))
    _save(target, revision.markdown, "admin.content_revert", f" to revision {revision.id}")
    flash(f"Reverted {target.label} to the revision of {revision.created_at:%Y-%m-%d %H:%M} UTC.", "success")
    return redirect(url_for("admin.content_history", section=section, key=key, lang=target.lang))


def _save(target: Target, text: str, tool: str, note: str = "") -> None:
    revision = content.save_revision(target.kind, target.key, target.language, text, current_user.id)
    pages.log_admin(tool, f"{target.kind} {target.label} revision {revision.id}{note}")
    db.session.commit()
