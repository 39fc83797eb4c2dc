"""Admins edit policies and help articles: edit, preview, save, history, revert; all read the new text."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ActionLog, ContentRevision
from tests.portal.conftest import login

NEW_WINDOW = "## Refund window\n\nBring the parcel to a partner kiosk within {{ refund_window_days }} days.\n"
EDIT = "/admin/policies/refunds/edit"


def revision_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ContentRevision))


def edited_refunds(admin) -> str:
    """The refunds template with its refund-window section replaced by NEW_WINDOW."""
    page = admin.get(EDIT).get_data(as_text=True)
    source = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S).group(1)
    source = source.replace("&#34;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
    source = source.replace("&amp;", "&").lstrip("\n")
    start = source.index("## Refund window")
    end = source.index("## How much is refunded")
    return source[:start] + NEW_WINDOW + "\n" + source[end:]


@pytest.mark.parametrize("email", ["staff@example.com", "customer@example.com"])
def test_only_admins_edit(client, demo, email):
    login(client, email)
    for path in (EDIT, "/admin/policies/refunds/history", "/admin/articles", "/admin/articles/refunds/edit"):
        assert client.get(path).status_code == 404, path
    assert client.post(EDIT, data={"markdown": "# Hacked", "save": "Save"}).status_code == 404
    assert client.post("/admin/policies/refunds/revert/1").status_code == 404
    assert revision_count(demo) == 0


def test_edit_page_shows_the_template_source(admin):
    page = admin.get(EDIT).get_data(as_text=True)
    assert "{{ refund_window_days }}" in page and "<textarea" in page
    assert admin.get("/admin/policies/nope/edit").status_code == 404
    assert admin.get("/admin/articles/../secrets/edit").status_code == 404


def test_preview_renders_and_does_not_save(admin, demo):
    response = admin.post(EDIT, data={"markdown": edited_refunds(admin), "preview": "Preview"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Preview (not saved)" in page
    assert "Bring the parcel to a partner kiosk within 30 days." in page  # rendered with the limits
    assert revision_count(demo) == 0
    assert "partner kiosk" not in admin.get("/admin/policies/refunds").get_data(as_text=True)


def test_save_adds_a_revision_every_reader_sees(admin, demo):
    response = admin.post(EDIT, data={"markdown": edited_refunds(admin), "save": "Save"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/policies/refunds")
    assert "partner kiosk within 30 days" in admin.get("/admin/policies/refunds").get_data(as_text=True)
    assert "partner kiosk within 30 days" in admin.get("/help/articles/refunds-policy").get_data(as_text=True)
    with demo.app_context():
        [revision] = db.session.scalars(select(ContentRevision)).all()
        assert (revision.kind, revision.key, revision.language) == ("policy", "refunds", "en")
        assert revision.author.email == "admin@example.com"
        assert "{{ refund_window_days }}" in revision.markdown
        assert db.session.scalar(select(ActionLog).where(ActionLog.tool == "admin.content_edit")) is not None


def test_a_broken_template_is_refused_with_a_message(admin, demo):
    for broken, hint in (("# Refunds {{ refund_windw_days }}", "refund_windw_days"), ("{% if %}", "")):
        response = admin.post(EDIT, data={"markdown": broken, "save": "Save"})
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and "does not render" in page and "Nothing was saved" in page
        assert hint in page and "Traceback" not in page
    assert revision_count(demo) == 0


def test_save_needs_a_csrf_token(admin, demo):
    demo.config["WTF_CSRF_ENABLED"] = True
    try:
        response = admin.post(EDIT, data={"markdown": "# Refunds\n\nNew.", "save": "Save"})
        assert response.status_code == 400 and "CSRF token is missing" in response.get_data(as_text=True)
        assert admin.post("/admin/policies/refunds/revert/1").status_code in (400, 404)
    finally:
        demo.config["WTF_CSRF_ENABLED"] = False
    assert revision_count(demo) == 0


def test_history_shows_author_and_time_and_revert_adds_a_revision(admin, demo):
    original = edited_refunds(admin).replace(NEW_WINDOW, "## Refund window\n\nFirst wording.\n")
    admin.post(EDIT, data={"markdown": original, "save": "Save"})
    admin.post(EDIT, data={"markdown": edited_refunds(admin).replace("First", "Second"), "save": "Save"})
    with demo.app_context():
        first, second = db.session.scalars(select(ContentRevision).order_by(ContentRevision.id)).all()
        first_id, saved_at = first.id, first.created_at.strftime("%Y-%m-%d %H:%M")
        author = first.author.name
    history = admin.get("/admin/policies/refunds/history").get_data(as_text=True)
    assert f"#{first_id}" in history and f"#{second.id}" in history and author in history
    assert saved_at in history and "current" in history and "Revert to this" in history

    response = admin.post(f"/admin/policies/refunds/revert/{first_id}")
    assert response.status_code == 302
    assert "First wording." in admin.get("/admin/policies/refunds").get_data(as_text=True)
    with demo.app_context():
        rows = db.session.scalars(select(ContentRevision).order_by(ContentRevision.id)).all()
        assert len(rows) == 3 and rows[-1].markdown == rows[0].markdown  # a new revision, history kept
    assert admin.post(f"/admin/policies/shipping/revert/{first_id}").status_code == 404
    assert admin.post("/admin/policies/refunds/revert/999999").status_code == 404


def test_admin_edits_a_help_article_per_language(admin, demo):
    page = admin.get("/admin/articles").get_data(as_text=True)
    assert "/admin/articles/refunds/edit?lang=fr" in page
    source = admin.get("/admin/articles/refunds/edit?lang=fr").get_data(as_text=True)
    assert "title:" in source
    text = "---\ntitle: Remboursements rapides\ncategory: refunds\n---\n\nUn texte tout neuf.\n"
    french = "/admin/articles/refunds/edit?lang=fr"
    preview = admin.post(french, data={"markdown": text, "preview": "Preview"})
    assert "Remboursements rapides" in preview.get_data(as_text=True) and revision_count(demo) == 0
    saved = admin.post(french, data={"markdown": text, "save": "Save"})
    assert saved.status_code == 302
    assert "Un texte tout neuf." in admin.get("/help/articles/refunds?lang=fr").get_data(as_text=True)
    assert "Un texte tout neuf." not in admin.get("/help/articles/refunds?lang=en").get_data(as_text=True)
    no_body = "---\ntitle: X\n---\n"
    empty = admin.post("/admin/articles/refunds/edit", data={"markdown": no_body, "save": "Save"})
    assert empty.status_code == 400 and "no text" in empty.get_data(as_text=True)
    assert admin.get("/admin/articles/refunds/edit?lang=xx").status_code == 404
