"""One source for every policy number: change each limit in the environment and every place that
states it follows (the rendered policies, the admin pages, the agent's replies, the emails); and no
default number is written anywhere else, so none can creep back.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2 import UndefinedError
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from evaluation.scenario_setup import setup
from portal.config import get_settings
from portal.extensions import db
from portal.help.policy_text import policy_documents, render_policy
from portal.jobs import queue
from portal.mailer.notifications import notify
from portal.models import EmailOutbox, Message, Role, User
from tests.conftest import make_app
from tests.email.conftest import make_order, make_ticket, make_user
from tests.overrides import settings_from
from tools import PolicyLimits

ROOT = Path(__file__).resolve().parent.parent

# Unusual values for every limit, and the defaults' wording that must then never be shown.
CHANGED = {
    "REFUND_WINDOW_DAYS": "17",
    "REFUNDS_PER_PERIOD": "5",
    "REFUND_PERIOD_DAYS": "23",
    "REFUND_APPROVAL_THRESHOLD": "321.00",
    "REPLACEMENT_WINDOW_DAYS": "19",
    "REPLACEMENTS_PER_ORDER": "3",
    "SLA_HOURS": "7",
    "REFUND_DAYS_CARD": "6-11",
    "REFUND_DAYS_PAYPAL": "2-4",
    "REFUND_DAYS_GIFT_CARD": "1",
    "SHIPPING_DAYS_STANDARD": "4-6",
    "SHIPPING_DAYS_EXPRESS": "2-3",
    "SHIPPING_DAYS_INTERNATIONAL": "8-15",
    "SHIP_WITHIN_DAYS": "3-4",
    "TRACKING_STALE_DAYS": "9",
}
OLD = [
    "30 days",
    "day 31",
    "2 refunds",
    "500.00",
    "4 hours",
    "at most 1 time",
    "5 to 10 business days",
    "3 to 5 business days",
    "1 to 2 business days",
    "7 to 14 business days",
    "7 business days",
    "instant",
]
NEW_IN_POLICIES = [
    "**17 days** from the day your order was delivered",
    "on day 17 is accepted; from day 18 on",
    "**5 refunds in any rolling 23 days**",
    "a sixth refund within 23 days",
    "more than **321.00**",
    "no more than **19 days** ago (day 19 is still accepted)",
    "**at most 3 times**",
    "**first response within 7 hours**",
    "**Card**: 6 to 11 business days",
    "**PayPal**: 2 to 4 business days",
    "**Gift card**: 1 business day.",
    "(domestic): 4 to 6 business days",
    "(domestic): 2 to 3 business days",
    "**International shipping**: 8 to 15 business days",
    "ship within 3 to 4 business days",
    "changed for 9 business days",
    "refunds are possible within 17 days and replacements within 19 days",
]


@pytest.fixture(scope="module")
def changed_app(tmp_path_factory):
    """An app whose every policy limit comes from unusual environment values (own policy index too)."""
    folder = tmp_path_factory.mktemp("changed-limits")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CHANGED.items():
            patch.setenv(name, value)
        app = make_app(f"sqlite:///{folder / 'test.db'}", folder)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def old_numbers(text: str) -> list[str]:
    """The defaults' phrases in `text`, as whole numbers ('4 hours' is not in '24 hours')."""
    return [phrase for phrase in OLD if re.search(rf"(?<![\d.]){re.escape(phrase)}\b", text)]


def assert_new_not_old(text: str, new: list[str]) -> None:
    for phrase in new:
        assert phrase in text, phrase
    assert old_numbers(text) == []


def test_the_environment_sets_every_limit(changed_app):
    limits = get_settings(changed_app).policy
    assert (limits.refund_window_days, limits.refunds_per_period, limits.refund_period_days) == (17, 5, 23)
    assert limits.approval_threshold == Decimal("321.00") and limits.sla_hours == 7
    assert (limits.replacement_window_days, limits.replacements_per_order) == (19, 3)
    assert dict(limits.refund_days) == {"card": (6, 11), "paypal": (2, 4), "gift_card": (1, 1)}
    assert dict(limits.shipping_days) == {"standard": (4, 6), "express": (2, 3), "international": (8, 15)}
    assert (limits.ship_within_days, limits.tracking_stale_days) == ((3, 4), 9)


def test_rendered_policies_state_the_configured_numbers(changed_app):
    documents = policy_documents(ROOT / "policies", get_settings(changed_app).policy)
    assert_new_not_old("\n".join(documents.values()), NEW_IN_POLICIES)
    assert "{{" not in "".join(documents.values()) and "{%" not in "".join(documents.values())


def test_a_misspelt_name_in_a_policy_fails_loudly():
    with pytest.raises(UndefinedError):
        render_policy("You have {{ refund_windw_days }} days.", PolicyLimits())


def test_the_index_quotes_and_rebuilds_with_the_configured_numbers(changed_app, tmp_path):
    from worker.agent.retrieval import LsaEmbedder, PolicyIndex, policies_hash

    index = PolicyIndex.build(ROOT / "policies", LsaEmbedder(), limits=get_settings(changed_app).policy)
    assert_new_not_old("\n".join(chunk.text for chunk in index.chunks), NEW_IN_POLICIES)
    assert policies_hash(ROOT / "policies", PolicyLimits()) != index.manifest["policies_hash"]
    assert policies_hash(ROOT / "policies", PolicyLimits(sla_hours=5)) != policies_hash(ROOT / "policies")


def test_a_changed_limit_rebuilds_the_saved_index(tmp_path):
    from worker.agent import retrieval

    retrieval.clear_cache()
    config = {
        "POLICIES_DIR": str(ROOT / "policies"),
        "RETRIEVAL_EMBEDDER": "offline",
        "MISTRAL_API_KEY": None,
        "REFUND_WINDOW_DAYS": 30,
    }
    before = retrieval.load_index(settings_from(tmp_path, **config).agent, tmp_path)
    after = retrieval.load_index(
        settings_from(tmp_path, **config | {"REFUND_WINDOW_DAYS": 17}).agent, tmp_path
    )
    retrieval.clear_cache()
    assert after is not before and after.manifest["build_dir"] != before.manifest["build_dir"]
    texts = [passage.text for passage in after.search("refund window days after delivery", k=3)]
    assert any("**17 days** from the day" in text for text in texts)
    assert not any("**30 days** from the day" in text for text in texts)  # the period stays 30 here


def test_admin_policy_page_shows_the_configured_numbers(changed_app):
    with changed_app.app_context():
        hashed = generate_password_hash("admin-pass-123", method="pbkdf2:sha256:1000")
        db.session.add(
            User(email="boss@example.com", name="Boss", password_hash=hashed, role=Role.ADMIN.value)
        )
        db.session.commit()
    client = changed_app.test_client()
    login = client.post("/auth/login", data={"email": "boss@example.com", "password": "admin-pass-123"})
    assert login.status_code == 302
    page = client.get("/admin/policies/refunds").get_data(as_text=True)
    assert "<strong>17 days</strong> from the day your order was delivered" in page
    assert "<strong>321.00</strong>" in page and "500.00" not in page and "30 days" not in page


def _order(number, days_ago=3, total="42.00", status="delivered", payment="card"):
    return {
        "number": number,
        "status": status,
        "total": total,
        "delivered_days_ago": days_ago,
        "payment": payment,
    }


# One ticket per rule: (scenario, phrases the reply must contain).
TICKETS = {
    "refund-window-and-card-timing": (
        {
            "message": "Order N1001 arrived broken, I'd like my money back please.",
            "orders": [_order("N1001")],
        },
        ["17 days from the day your order was delivered", "6 to 11 business days"],
    ),
    "paypal-timing": (
        {
            "message": "Order N1002 arrived damaged, I want a refund.",
            "orders": [_order("N1002", payment="paypal")],
        },
        ["2 to 4 business days"],
    ),
    "window-expired": (
        {"message": "Please refund order N1003, it broke.", "orders": [_order("N1003", days_ago=18)]},
        ["outside our 17-day refund window", "on day 17 is accepted; from day 18 on"],
    ),
    "held-above-threshold": (
        {
            "message": "Order N1004 arrived broken, refund it please.",
            "orders": [_order("N1004", total="400.00")],
        },
        ["321.00", "7 hours"],
    ),
    "refund-limit": (
        {
            "message": "Refund order N1005, it's not what I expected.",
            "orders": [_order("N1005", total="40.00", days_ago=2)],
            "refunds_last_30_days": 5,
        },
        ["5 refunds in the last 23 days", "7 hours"],
    ),
    "replacement-window": (
        {
            "message": "Order N1006 arrived damaged, please send me a replacement.",
            "orders": [_order("N1006", days_ago=20)],
        },
        ["19 days"],
    ),
    "pending-ships-within": (
        {"message": "Where is my order N1007?", "orders": [_order("N1007", status="pending", days_ago=None)]},
        ["3 to 4 business days"],
    ),
    "answer-refund-window": (
        {"message": "How many days do I have to ask for a refund?", "orders": []},
        ["You have 17 days from the day your order was delivered"],
    ),
    "person-response-time": (
        {"message": "I'd like to speak to a person please.", "orders": []},
        ["7 hours"],
    ),
}


def _run_agent(app) -> None:
    jobs = app.extensions["manual_queue"].jobs
    while jobs:
        path, args = jobs.pop(0)
        if path == queue.PROCESS_TICKET:
            queue.import_job(path)(*args)


@pytest.mark.parametrize("name", sorted(TICKETS))
def test_agent_replies_state_the_configured_numbers(changed_app, name):
    scenario, expected = TICKETS[name]
    with changed_app.app_context():
        ticket_id, _ = setup(scenario, sorted(TICKETS).index(name))
        _run_agent(changed_app)
        query = select(Message).where(Message.ticket_id == ticket_id, Message.author_kind == "agent")
        reply = db.session.scalars(query).first()
        assert reply is not None
        cited = " ".join(c["text"] for c in reply.citations or [])
        for phrase in expected:
            assert phrase in reply.body, (phrase, reply.body)
        assert old_numbers(reply.body) == [] and old_numbers(cited) == [], reply.body


def _mail(app, event, **context) -> EmailOutbox:
    with app.app_context():
        customer = make_user(f"{uuid.uuid4().hex[:8]}@example.com", "Casey Customer")
        ticket = make_ticket(customer, order=make_order(customer, number=f"M{uuid.uuid4().hex[:6]}"))
        notify(event, ticket, **context)
        db.session.commit()
        query = select(EmailOutbox).where(EmailOutbox.to_address == customer.email)
        return db.session.scalars(query).one()  # the customer's email, not the staff alert


REFUND = {"action": "refund", "amount": Decimal("42.00"), "currency": "USD"}
EMAILS = [
    ("action_done", {**REFUND, "method": "card"}, "6 to 11 business days"),
    ("action_done", {**REFUND, "method": "paypal"}, "2 to 4 business days"),
    ("action_done", {**REFUND, "method": "gift_card"}, "1 business day"),
    ("action_held", {**REFUND, "amount": Decimal("400.00"), "reason": "above the limit"}, "within 7 hours"),
    ("escalated", {"reason": "Customer asked for a person"}, "within 7 hours"),
]


@pytest.mark.parametrize(("event", "context", "expected"), EMAILS)
def test_emails_state_the_configured_numbers(changed_app, event, context, expected):
    row = _mail(changed_app, event, **context)
    for body in (row.text_body, row.html_body.replace("<strong>", "").replace("</strong>", "")):
        assert expected in body
        assert old_numbers(body) == []


# Default numbers written next to their unit. Only tools/types.py (PolicyLimits) and portal/config.py
# hold the defaults; everything else reads them from the limits.
DEFAULT_LITERALS = re.compile(
    r"\b(?:30|31)\s+days\b|\b500\.00\b|\b\d+\s+(?:to\s+\d+\s+)?business\s+days?\b|\b2\s+refunds\b|"
    r"\b4\s+hours\b|\bat\s+most\s+1\s+time\b|\bday\s+(?:30|31)\b",
    re.IGNORECASE,
)
SCANNED = ["tools", "worker/agent", "portal/templates", "policies"]
DEFAULTS_MODULES = {"tools/types.py"}


def _scanned_files():
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*")):
            relative = path.relative_to(ROOT).as_posix()
            if path.suffix in {".py", ".md", ".html", ".txt"} and relative not in DEFAULTS_MODULES:
                yield relative, path


def test_no_default_policy_number_is_written_outside_the_limits():
    found = []
    for relative, path in _scanned_files():
        if "/nlu/data/" in relative:
            continue  # customers' sample messages for the intent model, not promises
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{relative}:{number}: {m.group(0)}" for m in DEFAULT_LITERALS.finditer(line)]
    assert found == []
