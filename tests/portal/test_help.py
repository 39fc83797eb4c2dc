"""The public help center: pages without login, search, votes, suggestions and deflections (issue 12)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import HelpSearch, HelpSuggestionClick, HelpVote, Ticket
from tests.conftest import make_app
from tests.portal.conftest import login


def test_help_pages_need_no_login(client):
    home = client.get("/help/")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert "Help center" in page and "Your account" in page and "Our policies" in page
    assert 'href="/help/articles/reset-password"' in page
    article = client.get("/help/articles/reset-password").get_data(as_text=True)
    assert "Forgot password?" in article and "Was this helpful?" in article


def test_policy_articles_show_what_the_admin_policy_pages_show(client, monkeypatch):
    page = client.get("/help/articles/refunds-policy").get_data(as_text=True)
    assert "<h1>Refund policy</h1>" in page and "Who can get a refund" in page
    # The help center reads policies through the admin pages' function, so a change there shows here.
    monkeypatch.setattr(
        "portal.admin.routes.policy_markdown",
        lambda stem: "# Refund policy\n\nRendered from config: 45 days.",
    )
    assert "Rendered from config: 45 days." in client.get("/help/articles/refunds-policy").get_data(
        as_text=True
    )


def test_every_page_links_to_help(client, customer):
    assert 'href="/help/">Help</a>' in customer.get("/").get_data(as_text=True)
    customer.post("/auth/logout")
    assert 'href="/help/">Help</a>' in client.get("/auth/login").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("how long do refunds take", "refunds"),
        ("I forgot my password", "reset-password"),
        ("unsubscribe from the newsletter", "newsletter"),
        ("do you ship to Canada", "shipping-policy"),
        ("log in as another account", "switch-account"),
        ("which payment methods do you accept", "payment-methods"),
    ],
)
def test_search_finds_the_right_article(client, app, query, slug):
    page = client.get("/help/search", query_string={"q": query}).get_data(as_text=True)
    results = re.findall(r'href="/help/articles/([\w-]+)">', page.split('id="help-results"')[1])
    assert slug in results[:3], results
    assert "help-snippet" in page
    with app.app_context():
        logged = db.session.scalars(select(HelpSearch)).one()
        assert (logged.query, logged.results) == (query, len(results))


def test_search_without_results_is_shown_and_counted_on_admin_metrics(client, app, demo):
    page = client.get("/help/search?q=what+is+the+capital+of+Peru").get_data(as_text=True)
    assert "No articles match" in page
    client.get("/help/search?q=4111111111111111+refund")  # a card number typed in is not stored
    login(client, "admin@example.com")
    metrics = client.get("/admin/").get_data(as_text=True)
    assert "Searches without results" in metrics and "what is the capital of Peru" in metrics
    with app.app_context():
        assert all("4111111111111111" not in q for q in db.session.scalars(select(HelpSearch.query)))


def test_search_in_spanish_finds_the_spanish_article(client):
    page = client.get("/help/search?q=olvidé+mi+contraseña&lang=es").get_data(as_text=True)
    assert "¿Olvidó su contraseña?" in page
    article = client.get("/help/articles/reset-password").get_data(as_text=True)  # the choice is remembered
    assert "¿Le ha sido útil?" in article and 'lang="es"' in article


def test_missing_translation_falls_back_to_english(tmp_path):
    help_dir = tmp_path / "help"
    (help_dir / "fr").mkdir(parents=True)
    (help_dir / "only-english.md").write_text("---\ntitle: Only in English\ncategory: contact\n---\nHello.\n")
    app = make_app(f"sqlite:///{tmp_path / 'h.db'}", tmp_path, HELP_DIR=str(help_dir))
    page = app.test_client().get("/help/articles/only-english?lang=fr").get_data(as_text=True)
    assert "Only in English" in page and "pas encore traduit" in page


@pytest.fixture
def csrf_client(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'csrf.db'}", tmp_path, WTF_CSRF_ENABLED=True)
    return app, app.test_client()


def _csrf_token(client, slug: str) -> str:
    page = client.get(f"/help/articles/{slug}").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_votes_need_csrf_and_count_once_per_visitor(csrf_client):
    app, client = csrf_client
    refused = client.post("/help/articles/refunds/vote", data={"yes": "Yes"})  # no CSRF token
    assert refused.status_code == 400
    token = _csrf_token(client, "refunds")
    data = {"csrf_token": token, "no": "No", "comment": "Say how long PayPal takes."}
    thanked = client.post("/help/articles/refunds/vote", data=data, follow_redirects=True)
    assert "Thanks for your feedback!" in thanked.get_data(as_text=True)
    assert "we have your answer for this article" in client.get("/help/articles/refunds").get_data(
        as_text=True
    )
    again = client.post(
        "/help/articles/refunds/vote", data={**data, "no": None, "yes": "Yes"}, follow_redirects=True
    )
    assert "You already told us about this article." in again.get_data(as_text=True)
    other = app.test_client()  # another visitor votes too
    other.post(
        "/help/articles/refunds/vote", data={"csrf_token": _csrf_token(other, "refunds"), "yes": "Yes"}
    )
    with app.app_context():
        votes = db.session.scalars(select(HelpVote).order_by(HelpVote.id)).all()
        assert [(v.article, v.helpful, v.comment) for v in votes] == [
            ("refunds", False, "Say how long PayPal takes."),
            ("refunds", True, None),
        ]


def test_vote_counts_show_on_admin_metrics(client, demo):
    client.post("/help/articles/newsletter/vote", data={"yes": "Yes", "comment": "Clear, thanks"})
    login(client, "admin@example.com")
    page = client.get("/admin/").get_data(as_text=True)
    votes = page.split('id="help-votes"')[1].split("</table>")[0]
    assert "newsletter" in votes and '<td class="text-end">1</td>' in votes
    assert "Clear, thanks" in page


def test_suggestions_return_the_refunds_article(client):
    data = client.get("/help/suggest.json", query_string={"q": "how long do refunds take"}).get_json()
    slugs = [a["slug"] for a in data["articles"]]
    assert slugs[0] == "refunds", slugs
    refunds = data["articles"][slugs.index("refunds")]
    assert refunds["url"] == "/help/articles/refunds?from=ticket" and refunds["title"].startswith("How long")
    assert client.get("/help/suggest.json?q=zz").get_json() == {"articles": []}


def test_the_new_ticket_form_asks_for_suggestions(customer):
    page = customer.get("/tickets/new").get_data(as_text=True)
    assert 'data-suggest-url="/help/suggest.json"' in page and "help-suggest.js" in page


def _age_clicks(app, client, minutes: int) -> None:
    with app.app_context():
        for click in db.session.scalars(select(HelpSuggestionClick)):
            click.created_at -= timedelta(minutes=minutes)
        db.session.commit()
    with client.session_transaction() as session:
        session["help_visit_at"] -= minutes * 60


def test_a_suggested_article_read_without_a_ticket_is_a_deflection(client, app, customer):
    customer.get("/help/articles/refunds?from=ticket")
    _age_clicks(app, customer, 31)  # the visit is over and no ticket followed
    customer.get("/help/articles/newsletter?from=ticket")  # a new visit, then a ticket after all
    customer.post("/tickets/new", data={"subject": "Refund", "message": "How long does my refund take?"})
    with app.app_context():
        clicks = db.session.scalars(select(HelpSuggestionClick).order_by(HelpSuggestionClick.id)).all()
        ticket = db.session.scalars(select(Ticket)).one()
        assert [(c.article, c.ticket_id) for c in clicks] == [("refunds", None), ("newsletter", ticket.id)]
    customer.post("/auth/logout")
    login(client, "admin@example.com")
    page = client.get("/admin/").get_data(as_text=True)
    assert "2 ticket forms where a suggested article was opened" in page  # two visits of one session
    assert "<strong>1</strong> deflections" in page


def test_a_broken_search_shows_a_message_not_a_stack_trace(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("embedder down")

    monkeypatch.setattr("portal.help.routes.search", unreachable)
    page = client.get("/help/search?q=refund")
    assert page.status_code == 503 and "Search is unavailable right now" in page.get_data(as_text=True)
    assert client.get("/help/suggest.json?q=refund").get_json() == {"articles": []}
