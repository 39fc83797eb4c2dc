"""The FAQ articles under help/: well-formed, translated, and naming only pages the portal really has."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from portal.help.articles import CATEGORIES, LANGUAGES, POLICY_SUFFIX, parse_article
from tests.conftest import ROOT

HELP = ROOT / "help"
ENGLISH = sorted(HELP.glob("*.md"))
EVERY_FILE = sorted(HELP.rglob("*.md"))
# Any site path written in an article: in a markdown link "(/orders)" or as text "/settings/".
PATH = re.compile(r"(?<![\w/.:])(/[a-z][\w\-./]*)")
# The intents whose action is `answer` (greeting aside) each have a FAQ article.
ANSWER_INTENT_ARTICLES = {
    "place_order": "how-to-order",
    "delivery_options": "delivery-options",
    "check_refund_policy": "refunds",
    "check_cancellation_fee": "cancellation-fees",
    "create_account": "sign-up",
    "edit_account": "change-account-details",
    "delete_account": "close-account",
    "switch_account": "switch-account",
    "recover_password": "reset-password",
    "registration_problems": "registration-problems",
    "check_payment_methods": "payment-methods",
    "set_up_shipping_address": "saved-addresses",
    "newsletter_subscription": "newsletter",
    "contact_customer_service": "contact-us",
    "review": "leave-a-review",
}


def _paths(path: Path) -> list[str]:
    return [p.rstrip(".") for p in PATH.findall(path.read_text(encoding="utf-8"))]


def test_every_answer_intent_has_an_article():
    assert {p.stem for p in ENGLISH} == set(ANSWER_INTENT_ARTICLES.values())


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_article_is_translated(language):
    assert sorted(p.name for p in (HELP / language).glob("*.md")) == sorted(p.name for p in ENGLISH)


@pytest.mark.parametrize("path", EVERY_FILE, ids=lambda p: str(p.relative_to(HELP)))
def test_front_matter_and_related_articles(path):
    article = parse_article(path.stem, path.read_text(encoding="utf-8"), "en")
    assert article.title and article.category in CATEGORIES and article.body
    assert not article.slug.endswith(POLICY_SUFFIX)
    policies = {p.stem + POLICY_SUFFIX for p in (ROOT / "policies").glob("*.md")}
    assert set(article.related) <= {p.stem for p in ENGLISH} | policies


@pytest.mark.parametrize("path", EVERY_FILE, ids=lambda p: str(p.relative_to(HELP)))
def test_articles_name_only_routes_that_exist(app, path):
    adapter = app.url_map.bind("localhost")
    paths = _paths(path)
    assert paths, "an article should point somewhere"
    for site_path in paths:
        try:
            endpoint, args = adapter.match(site_path, method="GET")
        except (NotFound, MethodNotAllowed, RequestRedirect) as exc:
            pytest.fail(f"{path.name} names {site_path}, which is not a page of the portal ({exc!r})")
        if endpoint == "help.article":
            assert app.test_client().get(site_path).status_code == 200, f"{site_path} is not an article"
