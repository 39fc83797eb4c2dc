"""The help center in Chromium: a visitor searches and reads; a customer gets suggestions on a new ticket."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

PHONE = {"width": 390, "height": 844}
INDEX_WAIT = 60000  # ms: the first search builds the help index (and imports the retrieval stack)


def test_a_logged_out_visitor_searches_and_reads_an_article(browser, site):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(site.url + "/auth/login")
        page.click("button.navbar-toggler")
        page.click("text=Help")
        page.wait_for_url(re.compile(r"/help/$"))
        page.fill("#help-q", "how long do refunds take")
        page.press("#help-q", "Enter")
        page.wait_for_selector("#help-results", timeout=INDEX_WAIT)
        page.click("#help-results >> text=How long do refunds take?")
        page.wait_for_url(re.compile(r"/help/articles/refunds$"))
        assert "payments policy" in page.inner_text("article")
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"the article is {width} px wide on a phone"
        page.click("text=Yes")
        page.wait_for_selector("text=Thanks for your feedback!")
    finally:
        context.close()
    from portal.models import HelpVote

    with site.app.app_context():
        assert db.session.scalars(select(HelpVote.article)).all() == ["refunds"]
        db.session.remove()


def test_a_customer_typing_a_question_sees_the_refunds_article_suggested(people, site):
    person = people("customer@example.com")
    page = person.page
    person.go("/tickets/new")
    page.fill("#subject", "Refund")
    page.type("#message", "how long do refunds take", delay=20)
    link = page.locator("#help-suggestions a", has_text="How long do refunds take?")
    link.wait_for(timeout=INDEX_WAIT)
    assert link.get_attribute("href") == "/help/articles/refunds?from=ticket"
    link.click()
    page.wait_for_url(re.compile(r"/help/articles/refunds\?from=ticket$"))
    from portal.models import HelpSuggestionClick

    with site.app.app_context():
        clicks = db.session.scalars(select(HelpSuggestionClick)).all()
        assert [(c.article, c.ticket_id) for c in clicks] == [("refunds", None)]
        db.session.remove()
