"""Who may reach what: every route of `app.url_map`, as anonymous / customer A / customer B / staff / admin.

The objects in the URLs (ticket references, order numbers, refund ids, user ids) belong to customer B or to
someone else, so the matrix checks object-level access as well as roles. A route missing from MATRIX fails
`test_every_route_is_classified`: a new page cannot slip in without someone deciding who may see it.
Runs on SQLite and on Postgres.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import (
    CannedReply,
    ContentRevision,
    Draft,
    Order,
    Refund,
    Role,
    RoutingRule,
    SavedView,
    Team,
    Ticket,
    User,
    UserAddress,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.conftest import base_config, make_app, truncate_all

ANON, A, B, STAFF, ADMIN = "anonymous", "customer A", "customer B", "staff", "admin"
ROLES = (ANON, A, B, STAFF, ADMIN)
LOGIN = "login"  # a redirect to the login page that remembers where the user wanted to go
EMAILS = {
    A: "customer@example.com",
    B: "second@example.com",
    STAFF: "staff@example.com",
    ADMIN: "admin@example.com",
}
SECRET = "Sam's secret grinder"  # text of customer B's ticket: must never show in a refusal


def expect(anon=LOGIN, a=404, b=404, staff=404, admin=404) -> dict[str, object]:
    return {ANON: anon, A: a, B: b, STAFF: staff, ADMIN: admin}


def no_key(code=401):
    """The REST API ignores sessions: without an API key every role gets the same JSON 401
    (scopes per key are tested in tests/api/test_api.py)."""
    return expect(code, code, code, code, code)


def public(code=200):
    return expect(code, code, code, code, code)


def signed_in(code=200):
    return expect(LOGIN, code, code, code, code)


def customers(code=200):
    return expect(a=code, b=code)


def owner_b(code=200):
    """The object belongs to customer B: everyone else gets a 404 (staff use the desk, not these pages)."""
    return expect(b=code)


def staff(code=200):
    return expect(staff=code, admin=code)


def admin(code=200):
    return expect(admin=code)


def logged_out(code=200):
    """Pages for visitors: signed-in users are sent home."""
    return expect(code, 302, 302, 302, 302)


@dataclass(frozen=True)
class Case:
    path: str  # formatted with the World's ids
    outcome: dict[str, object]
    data: dict[str, str] = field(default_factory=dict)


TICKET_TEXT = {"subject": "Matrix", "message": "A question from the matrix."}


def ACT_KEY(tool: str) -> dict[str, str]:  # noqa: N802 (reads as a constant in the table)
    """A staff action form's one-time request key."""
    return {f"{tool}-request_key": "matrix-request-key-01"}


MATRIX: dict[tuple[str, str], list[Case]] = {
    ("static", "GET"): [Case("/static/app.css", public())],
    ("bootstrap.static", "GET"): [Case("/bootstrap/static/css/bootstrap.min.css", public())],
    ("main.healthz", "GET"): [Case("/healthz", public())],
    ("main.readyz", "GET"): [Case("/readyz", public())],
    ("telemetry.metrics", "GET"): [Case("/metrics", public())],  # METRICS_TOKEN closes it (test_metrics)
    ("main.home", "GET"): [Case("/", expect(LOGIN, 200, 200, 302, 302))],  # staff land on the desk
    ("main.orders", "GET"): [Case("/orders", signed_in())],
    ("main.order_detail", "GET"): [
        Case("/orders/{b_order}", owner_b()),
        Case("/orders/NO-SUCH", expect()),
    ],
    ("main.order_invoice", "GET"): [
        Case("/orders/{b_order}/invoice", owner_b()),
        Case("/orders/NO-SUCH/invoice", expect()),
    ],
    ("orders.invoice_pdf", "GET"): [
        Case("/orders/{b_order}/invoice.pdf", owner_b()),
        Case("/orders/NO-SUCH/invoice.pdf", expect()),
    ],
    ("orders.change_address", "POST"): [
        # B2001 is delivered: its owner is told why not (400); everyone else finds no such order.
        Case("/orders/{b_order}/address", owner_b(400), {"new_address": "9 Matrix Road, 10115 Berlin"}),
        Case("/orders/NO-SUCH/address", expect(), {"new_address": "9 Matrix Road, 10115 Berlin"}),
    ],
    ("auth.login", "GET"): [Case("/auth/login", logged_out())],
    ("auth.login", "POST"): [
        Case("/auth/login", logged_out(401), {"email": "second@example.com", "password": "wrong-password"})
    ],
    ("auth.logout", "POST"): [Case("/auth/logout", signed_in(302))],
    ("auth.signup", "GET"): [Case("/auth/signup", logged_out())],
    ("auth.signup", "POST"): [Case("/auth/signup", logged_out(200), {"name": ""})],  # the form, with errors
    ("auth.signup_sent", "GET"): [Case("/auth/signup/sent", public())],
    ("auth.forgot_password", "GET"): [Case("/auth/forgot", logged_out())],
    ("auth.forgot_password", "POST"): [Case("/auth/forgot", logged_out(200), {"email": ""})],  # form errors
    ("auth.reset_password", "GET"): [Case("/auth/reset/not-a-token", public(400))],
    ("auth.reset_password", "POST"): [Case("/auth/reset/not-a-token", public(400))],
    ("settings.index", "GET"): [Case("/settings/", signed_in())],
    ("settings.change_name", "POST"): [Case("/settings/name", signed_in(400), {"name": ""})],
    ("settings.change_own_password", "POST"): [Case("/settings/password", signed_in(400))],
    ("settings.change_email", "POST"): [Case("/settings/email", signed_in(400))],
    ("settings.confirm_email", "GET"): [Case("/settings/email/confirm/not-a-token", public(400))],
    ("settings.confirm_email", "POST"): [Case("/settings/email/confirm/not-a-token", public(400))],
    ("settings.add_saved_address", "POST"): [Case("/settings/addresses", signed_in(400), {"label": ""})],
    ("settings.edit_saved_address", "POST"): [
        Case("/settings/addresses/{b_address}", owner_b(400)),  # nothing posted: the form's errors
        Case("/settings/addresses/999999", expect(), {"label": "Nope"}),
    ],
    ("settings.default_saved_address", "POST"): [
        Case("/settings/addresses/{b_address}/default", owner_b(302))
    ],
    ("settings.delete_saved_address", "POST"): [
        Case("/settings/addresses/{b_spare_address}/delete", owner_b(302)),  # B's spare: gone after this
        Case("/settings/addresses/999999/delete", expect()),
    ],
    ("settings.index", "POST"): [Case("/settings/", signed_in(302), {"email_updates": "y"})],
    ("settings.export_data", "POST"): [Case("/settings/export", signed_in())],  # everyone's own data
    ("settings.log_out_everywhere", "POST"): [Case("/settings/sessions/end", signed_in(302))],
    # Only customers close their own account here (no form data: the page with errors); staff get a 404.
    ("settings.close_account", "POST"): [Case("/settings/close", expect(LOGIN, 400, 400, 404, 404))],
    ("auth.verify_email", "GET"): [Case("/auth/verify/not-a-token", public(400))],
    ("auth.resend_verification", "POST"): [Case("/auth/verify/resend", signed_in(302))],
    ("tickets.index", "GET"): [Case("/tickets/", customers())],
    ("tickets.new", "GET"): [
        Case("/tickets/new", customers()),
        Case("/tickets/new?order={b_order}", owner_b()),
    ],
    ("tickets.new", "POST"): [
        Case("/tickets/new", customers(302), TICKET_TEXT),
        Case("/tickets/new", expect(a=400, b=302), {**TICKET_TEXT, "order": "{b_order}"}),
    ],
    ("tickets.view", "GET"): [
        Case("/tickets/{b_ticket}", owner_b()),
        Case("/tickets/T-NOPE", expect()),
    ],
    ("tickets.status", "GET"): [Case("/tickets/{b_ticket}/status.json", owner_b())],
    ("tickets.reply", "POST"): [Case("/tickets/{b_ticket}/reply", owner_b(302), {"body": "More detail."})],
    ("tickets.satisfied", "POST"): [Case("/tickets/{b_ticket}/satisfied", owner_b(302))],
    ("tickets.escalate", "POST"): [Case("/tickets/{b_ticket}/escalate", owner_b(302), {"comment": "Hi"})],
    ("tickets.not_satisfied", "POST"): [
        Case("/tickets/{b_ticket}/not-satisfied", owner_b(302), {"feedback_comment": "Still broken."})
    ],
    ("desk.queue", "GET"): [Case("/desk/", staff())],
    ("desk.ticket", "GET"): [
        Case("/desk/tickets/{b_ticket}", staff()),
        Case("/desk/tickets/T-NOPE", expect()),
    ],
    ("desk.claim", "POST"): [Case("/desk/tickets/{b_ticket}/claim", staff(302))],
    ("desk.assign", "POST"): [
        Case("/desk/tickets/{b_ticket}/assign", staff(302), {"assignee": "{staff_id}"}),
        Case("/desk/tickets/T-NOPE/assign", expect(), {"assignee": "{staff_id}"}),
    ],
    ("desk.reply", "POST"): [Case("/desk/tickets/{b_ticket}/reply", staff(302), {"body": "From the desk."})],
    ("desk.note", "POST"): [Case("/desk/tickets/{b_ticket}/note", staff(302), {"body": "Internal."})],
    ("desk.resolve", "POST"): [Case("/desk/tickets/{b_ticket}/resolve", staff(302))],
    ("desk.reopen", "POST"): [Case("/desk/tickets/{b_ticket}/reopen", staff(302))],
    ("desk.rerun", "POST"): [Case("/desk/tickets/{b_ticket}/rerun", staff(302))],
    ("desk.decide_refund", "POST"): [
        # Another ticket's refund under this ticket's reference: not found, even for staff.
        Case("/desk/tickets/{a_ticket}/refunds/{b_refund}", expect(), {"reject": "Reject"}),
        Case("/desk/tickets/{b_ticket}/refunds/999999", expect(), {"reject": "Reject"}),
        Case(
            "/desk/tickets/{b_ticket}/refunds/{b_refund}",
            staff(302),
            {"reject": "Reject", "reason": "outside_policy", "note": "No."},
        ),
    ],
    ("desk.staff_action", "POST"): [
        # B's own orders from B's ticket: staff act (or are told why not); anyone else gets a 404.
        Case(
            "/desk/tickets/{b_ticket}/act/refund",
            staff(302),
            {"refund-order": "{b_order}", **ACT_KEY("refund")},
        ),
        Case(
            "/desk/tickets/{b_ticket}/act/replacement",
            staff(302),
            {"replacement-order": "{b_order}", "replacement-problem": "damaged", **ACT_KEY("replacement")},
        ),
        Case(
            "/desk/tickets/{b_ticket}/act/cancel", staff(302), {"cancel-order": "B2002", **ACT_KEY("cancel")}
        ),
        Case(
            "/desk/tickets/{b_ticket}/act/change_address",
            staff(302),
            {
                "change_address-order": "B2002",
                "change_address-address": "9 Matrix Road, 10115 Berlin",
                **ACT_KEY("change_address"),
            },
        ),
        # B's order from A's ticket is not one of the ticket customer's orders: refused, nothing happens.
        Case(
            "/desk/tickets/{a_ticket}/act/refund",
            staff(400),
            {"refund-order": "{b_order}", **ACT_KEY("refund")},
        ),
        Case("/desk/tickets/T-NOPE/act/refund", expect(), {"refund-order": "{b_order}", **ACT_KEY("refund")}),
    ],
    ("desk.search_page", "GET"): [
        Case("/desk/search?q={b_order}", staff()),
        Case("/desk/search?q=grinder&page=2", staff()),
        Case("/desk/search", staff()),
    ],
    ("desk.discard_draft", "POST"): [
        Case("/desk/tickets/{b_ticket}/drafts/{b_draft}/discard", staff(302)),
        Case("/desk/tickets/{a_ticket}/drafts/{b_draft}/discard", expect()),  # not that ticket's draft
        Case("/desk/tickets/{b_ticket}/drafts/999999/discard", expect()),
    ],
    ("desk.canned_replies", "GET"): [Case("/desk/canned", staff())],
    ("desk.canned_replies", "POST"): [
        Case("/desk/canned", staff(302), {"title": "Hi", "body": "Hello {{customer_name}}"}),
        Case("/desk/canned", staff(400), {"title": "Hi", "body": "Hello {{nope}}"}),
    ],
    # Personal replies: only their owner (the staff member) may see or change them, not even an admin.
    ("desk.edit_canned", "GET"): [
        Case("/desk/canned/{staff_canned}/edit", expect(staff=200)),
        Case("/desk/canned/{shared_canned}/edit", expect()),  # shared: edited on the admin page
        Case("/desk/canned/999999/edit", expect()),
    ],
    ("desk.edit_canned", "POST"): [
        Case("/desk/canned/{staff_canned}/edit", expect(staff=302), {"title": "T", "body": "B"}),
        Case("/desk/canned/{shared_canned}/edit", expect(), {"title": "T", "body": "B"}),
    ],
    ("desk.delete_canned", "POST"): [
        Case("/desk/canned/{shared_canned}/delete", expect()),
        Case("/desk/canned/{staff_spare_canned}/delete", expect(staff=302)),
    ],
    ("desk.canned_for_ticket", "GET"): [
        Case("/desk/tickets/{b_ticket}/canned?q=hello", staff()),
        Case("/desk/tickets/T-NOPE/canned", expect()),
    ],
    ("desk.export_customer", "POST"): [
        Case("/desk/customers/{victim_id}/export", staff()),
        Case("/desk/customers/{staff_id}/export", expect()),  # not a customer: nothing to export here
        Case("/desk/customers/999999/export", expect()),
    ],
    ("desk.close_customer", "POST"): [
        Case("/desk/customers/{victim_id}/close", staff(302)),  # unconfirmed: back with a message
        Case("/desk/customers/{staff_id}/close", expect(), {"close_confirm": "y"}),
    ],
    # Tags, merges, bulk changes, saved views and availability (portal/desk/workplace_routes.py).
    ("desk.presence", "POST"): [Case("/desk/presence", staff(302), {"state": "available"})],
    ("desk.add_tag", "POST"): [
        Case("/desk/tickets/{b_ticket}/tags", staff(302), {"name": "matrix"}),
        Case("/desk/tickets/T-NOPE/tags", expect(), {"name": "matrix"}),
    ],
    ("desk.remove_tag", "POST"): [
        Case("/desk/tickets/{b_ticket}/tags/remove", staff(302), {"name": "matrix"}),
        Case("/desk/tickets/T-NOPE/tags/remove", expect(), {"name": "matrix"}),
    ],
    ("desk.move_team", "POST"): [
        Case("/desk/tickets/{b_ticket}/team", staff(302), {"team": "0"}),  # no team: it has none already
        Case("/desk/tickets/T-NOPE/team", expect(), {"team": "0"}),
    ],
    ("desk.merge", "POST"): [
        # B's ticket into A's: refused (another customer), so the World stays as it is.
        Case("/desk/tickets/{b_ticket}/merge", staff(302), {"target": "{a_ticket}"}),
        Case("/desk/tickets/T-NOPE/merge", expect(), {"target": "{a_ticket}"}),
    ],
    ("desk.bulk", "POST"): [Case("/desk/bulk", staff(302), {"action": "resolve"})],  # nothing ticked
    ("desk.save_view", "POST"): [Case("/desk/views", staff(302), {"name": "Matrix", "query": "status=all"})],
    ("desk.delete_view", "POST"): [
        Case("/desk/views/{view_id}/delete", expect(staff=302)),  # staff's own; the admin's is another
        Case("/desk/views/999999/delete", expect()),
    ],
    ("admin.teams", "GET"): [Case("/admin/teams", admin())],
    ("admin.teams", "POST"): [Case("/admin/teams", admin(400), {"name": ""})],
    ("admin.edit_team", "POST"): [
        Case("/admin/teams/{team_id}", admin(302), {"name": "Matrix team"}),
        Case("/admin/teams/999999", expect(), {"name": "Nope"}),
    ],
    ("admin.add_team_member", "POST"): [
        Case("/admin/teams/{team_id}/members", admin(302), {"user_id": "{staff_id}"}),
        Case("/admin/teams/999999/members", expect(), {"user_id": "{staff_id}"}),
    ],
    ("admin.remove_team_member", "POST"): [
        Case("/admin/teams/{team_id}/members/{staff_id}/remove", admin(302)),
        Case("/admin/teams/{team_id}/members/999999/remove", expect()),
    ],
    ("admin.add_routing_rule", "POST"): [
        Case("/admin/teams/rules", admin(302), {"team_id": "{team_id}", "intents": "matrix_intent"})
    ],
    ("admin.delete_routing_rule", "POST"): [
        Case("/admin/teams/rules/{rule_id}/delete", admin(302)),
        Case("/admin/teams/rules/999999/delete", expect()),
    ],
    ("admin.desk_metrics_csv", "GET"): [
        Case("/admin/metrics/desk.csv?from=2026-01-01&to=2026-01-31", admin())
    ],
    ("admin.metrics", "GET"): [Case("/admin/", admin())],
    ("admin.users", "GET"): [Case("/admin/users", admin())],
    ("admin.users", "POST"): [Case("/admin/users", admin(400), {"email": "not-an-email"})],
    ("admin.set_active", "POST"): [
        Case("/admin/users/{victim_id}/deactivate", admin(302)),
        Case("/admin/users/999999/activate", expect()),
    ],
    ("admin.send_reset_link", "POST"): [
        Case("/admin/users/{victim_id}/send-reset", admin(302)),  # sent, or refused once deactivated
        Case("/admin/users/{staff_id}/send-reset", expect()),  # not a customer
        Case("/admin/users/999999/send-reset", expect()),
    ],
    ("admin.policies", "GET"): [Case("/admin/policies", admin())],
    ("admin.policy", "GET"): [
        Case("/admin/policies/refunds", admin()),
        Case("/admin/policies/nope", expect()),
    ],
    ("admin.rebuild_index", "POST"): [Case("/admin/policies/rebuild", admin(302))],
    ("admin.articles", "GET"): [Case("/admin/articles", admin())],
    ("admin.edit_content", "GET"): [
        Case("/admin/policies/refunds/edit", admin()),
        Case("/admin/articles/refunds/edit?lang=fr", admin()),
        Case("/admin/policies/nope/edit", expect()),
        Case("/admin/articles/refunds/edit?lang=xx", expect()),
    ],
    ("admin.edit_content", "POST"): [
        # Preview only: nothing is saved, so the other cases see the files' text.
        Case("/admin/policies/refunds/edit", admin(), {"markdown": "# Refunds", "preview": "Preview"}),
        Case("/admin/articles/refunds/edit", admin(400), {"markdown": "---\ntitle: X\n---", "save": "Save"}),
    ],
    ("admin.content_history", "GET"): [
        Case("/admin/policies/refunds/history", admin()),
        Case("/admin/articles/refunds/history?lang=de", admin()),
        Case("/admin/articles/nope/history", expect()),
    ],
    ("admin.revert_content", "POST"): [
        Case("/admin/policies/privacy/revert/{revision}", admin(302)),
        Case("/admin/policies/refunds/revert/999999", expect()),
    ],
    ("admin.canned", "GET"): [Case("/admin/canned", admin())],
    ("admin.canned", "POST"): [
        Case("/admin/canned", admin(302), {"title": "All", "body": "Hi {{staff_name}}"})
    ],
    ("admin.edit_canned", "GET"): [
        Case("/admin/canned/{shared_canned}/edit", admin()),
        Case("/admin/canned/{staff_canned}/edit", expect()),  # someone's personal reply
    ],
    ("admin.edit_canned", "POST"): [
        Case("/admin/canned/{shared_canned}/edit", admin(302), {"title": "T", "body": "B"}),
        Case("/admin/canned/{shared_canned}/edit", admin(400), {"title": "T", "body": "{{bad}}"}),
    ],
    ("admin.delete_canned", "POST"): [
        Case("/admin/canned/{staff_canned}/delete", expect()),
        Case("/admin/canned/{shared_spare_canned}/delete", admin(302)),
    ],
    ("mailer.failed_email", "GET"): [Case("/admin/email", admin())],
    ("mailer.retry_failed_email", "POST"): [Case("/admin/email/retry", admin(302))],
    ("mailer.feedback", "GET"): [Case("/feedback/not-a-real-token", public(400))],
    ("mailer.feedback", "POST"): [Case("/feedback/not-a-real-token", public(400))],
    # The help center is public: no login, the same pages for every role.
    ("help.index", "GET"): [Case("/help/", public()), Case("/help/?lang=de", public())],
    ("help.search_page", "GET"): [Case("/help/search?q=refund", public()), Case("/help/search", public())],
    ("help.article", "GET"): [
        Case("/help/articles/refunds", public()),
        Case("/help/articles/refunds-policy", public()),
        Case("/help/articles/refunds?from=ticket", public()),
        Case("/help/articles/no-such-article", public(404)),
    ],
    ("help.vote", "POST"): [
        Case("/help/articles/refunds/vote", public(302), {"yes": "Yes"}),
        Case("/help/articles/no-such-article/vote", public(404), {"yes": "Yes"}),
    ],
    ("help.suggest", "GET"): [Case("/help/suggest.json?q=refund", public())],
    ("admin.api_keys", "GET"): [Case("/admin/api-keys", admin())],
    ("admin.api_keys", "POST"): [Case("/admin/api-keys", admin(400), {"name": ""})],
    ("admin.revoke_api_key", "POST"): [
        Case("/admin/api-keys/{api_key_id}/revoke", admin(302)),
        Case("/admin/api-keys/999999/revoke", expect()),
    ],
    ("admin.webhooks", "GET"): [Case("/admin/webhooks", admin())],
    ("admin.webhooks", "POST"): [Case("/admin/webhooks", admin(400), {"url": "not a url"})],
    ("admin.disable_webhook", "POST"): [
        Case("/admin/webhooks/{webhook_id}/disable", admin(302)),
        Case("/admin/webhooks/999999/disable", expect()),
    ],
    ("admin.retry_webhook_delivery", "POST"): [
        Case("/admin/webhooks/deliveries/{delivery_id}/retry", admin(302)),
        Case("/admin/webhooks/deliveries/nope/retry", expect()),
    ],
    ("admin.retry_failed_webhooks", "POST"): [Case("/admin/webhooks/retry", admin(302))],
    ("api.openapi", "GET"): [Case("/api/v1/openapi.json", public())],
    ("api.put_customer", "PUT"): [Case("/api/v1/customers", no_key())],
    ("api.list_customers", "GET"): [Case("/api/v1/customers", no_key())],
    ("api.put_order", "PUT"): [Case("/api/v1/orders/{b_order}", no_key())],
    ("api.patch_order", "PATCH"): [Case("/api/v1/orders/{b_order}", no_key())],
    ("api.get_order", "GET"): [Case("/api/v1/orders/{b_order}", no_key())],
    ("api.list_orders", "GET"): [Case("/api/v1/orders", no_key())],
    ("api.create_ticket", "POST"): [Case("/api/v1/tickets", no_key())],
    ("api.list_tickets", "GET"): [Case("/api/v1/tickets", no_key())],
    ("api.get_ticket", "GET"): [Case("/api/v1/tickets/{b_ticket}", no_key())],
    ("api.reply", "POST"): [Case("/api/v1/tickets/{b_ticket}/replies", no_key())],
    ("api.escalate", "POST"): [Case("/api/v1/tickets/{b_ticket}/escalate", no_key())],
    ("api.resolve", "POST"): [Case("/api/v1/tickets/{b_ticket}/resolve", no_key())],
    ("api.ticket_actions", "GET"): [Case("/api/v1/tickets/{b_ticket}/actions", no_key())],
}


@dataclass(frozen=True)
class World:
    """Ids of the rows the matrix points at."""

    users: dict[str, int]
    a_ticket: str
    b_ticket: str
    b_order: str
    b_refund: int
    staff_id: int
    victim_id: int
    b_address: int
    b_spare_address: int
    revision: int
    api_key_id: int
    webhook_id: int
    delivery_id: str
    b_draft: int
    staff_canned: int
    staff_spare_canned: int
    shared_canned: int
    shared_spare_canned: int
    team_id: int
    rule_id: int
    view_id: int

    def fill(self, text: str) -> str:
        return text.format(**self.__dict__)


def build_world() -> World:
    """Demo accounts and orders, a ticket each for A and B, a held refund on B's ticket (app context)."""
    from portal.auth.accounts import create_user
    from portal.commands.demo import seed_demo

    seed_demo()
    victim = create_user("victim@example.com", "Vic Victim", "victim-password", Role.CUSTOMER)
    db.session.flush()
    users = {
        role: db.session.scalar(select(User.id).where(User.email == email)) for role, email in EMAILS.items()
    }
    order = db.session.scalar(select(Order).where(Order.number == "B2001"))
    a_ticket = Ticket(customer_id=users[A], subject="Casey's lamp", body="Lamp broke.", status="answered")
    b_ticket = Ticket(customer_id=users[B], order=order, subject=SECRET, body=SECRET, status="answered")
    db.session.add_all([a_ticket, b_ticket])
    db.session.flush()
    refund = Refund(
        idempotency_key=f"ticket:{b_ticket.id}:refund:B2001",
        order_id=order.id,
        customer_id=users[B],
        ticket_id=b_ticket.id,
        amount=Decimal("64.00"),
        currency="USD",
        method=order.payment_method,
        status="held",
        reason="matrix",
    )
    db.session.add(refund)
    home = UserAddress(user_id=users[B], label="Home", address="1 Secret Lane, 10115 Berlin", is_default=True)
    spare = UserAddress(user_id=users[B], label="Spare", address="2 Spare Lane, 10115 Berlin")
    db.session.add_all([home, spare])
    # A revision of the privacy policy with the file's own text: reverting to it changes nothing others read.
    privacy = Path(__file__).resolve().parents[2] / "policies" / "privacy.md"
    revision = ContentRevision(kind="policy", key="privacy", markdown=privacy.read_text(encoding="utf-8"))
    db.session.add(revision)
    api_key, webhook, delivery = _integrations(b_ticket)
    draft = Draft(ticket_id=b_ticket.id, body="Hello Sam, a drafted reply.", citations=[])
    replies = [
        CannedReply(title="Mine", body="Hello {customer_name}", owner_id=users[STAFF]),
        CannedReply(title="Spare", body="Bye", owner_id=users[STAFF]),
        CannedReply(title="Shared", body="Thanks, {customer_first_name}"),
        CannedReply(title="Shared spare", body="Bye"),
    ]
    db.session.add_all([draft, *replies])
    # A team with Stella in it, a rule no ticket of the World matches, and Stella's saved view.
    team = Team(name="Matrix team", members=[db.session.get(User, users[STAFF])])
    db.session.add(team)
    db.session.flush()
    rule = RoutingRule(team_id=team.id, intents=["matrix_intent"])
    view = SavedView(user_id=users[STAFF], name="Stella's view", filters={"status": "all"})
    db.session.add_all([rule, view])
    db.session.commit()
    return World(
        users,
        a_ticket.reference,
        b_ticket.reference,
        "B2001",
        refund.id,
        users[STAFF],
        victim.id,
        home.id,
        spare.id,
        revision.id,
        api_key.id,
        webhook.id,
        delivery.id,
        draft.id,
        *(reply.id for reply in replies),
        team.id,
        rule.id,
        view.id,
    )


def _integrations(ticket: Ticket):
    """An API key, a webhook endpoint and a failed delivery about B's ticket, for the admin pages."""
    from portal.api.keys import create_key

    api_key, _token = create_key("Matrix shop", ["read"], None)
    webhook = WebhookEndpoint(url="http://127.0.0.1:9/matrix", events=["ticket.created"], secret="whsec_m")
    db.session.add(webhook)
    db.session.flush()
    delivery = WebhookDelivery(
        id="d" * 32,
        endpoint_id=webhook.id,
        dedupe_key="matrix",
        event="ticket.created",
        body="{}",
        status="failed",
    )
    delivery.ticket_id = ticket.id
    db.session.add(delivery)
    db.session.flush()
    return api_key, webhook, delivery


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def matrix_app(request, tmp_path_factory):
    """One app and one World per engine for the whole matrix (cases are ordered to tolerate each other)."""
    tmp = tmp_path_factory.mktemp(f"matrix-{request.param}")
    if request.param == "sqlite":
        app = make_app(f"sqlite:///{tmp / 'matrix.db'}", tmp)
    else:
        app = create_app(base_config(request.getfixturevalue("_pg_schema"), tmp))
        truncate_all(app)
    with app.app_context():
        app.extensions["matrix_world"] = build_world()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def client_as(app, role: str):
    """A test client signed in as `role` (the session is set directly: no password hashing per request)."""
    client = app.test_client()
    if role != ANON:
        with app.app_context():
            session_id = db.session.get(User, app.extensions["matrix_world"].users[role]).get_id()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
            session["seen_at"] = int(time.time())  # a staff session without it has ended (idle timeout)
    return client


def outcome_of(response) -> object:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/auth/login?next="):
        return LOGIN
    return response.status_code


def test_every_route_is_classified(app):
    """Adding a route without a row in MATRIX fails here, naming the route."""
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - set(MATRIX) == set(), "unclassified routes: add them to MATRIX"
    assert set(MATRIX) - routes == set(), "MATRIX lists routes that no longer exist"


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda route: f"{route[1]} {route[0]}")
def test_access(matrix_app, route):
    world = matrix_app.extensions["matrix_world"]
    endpoint, method = route
    for case in MATRIX[route]:
        path = world.fill(case.path)
        data = {key: world.fill(value) for key, value in case.data.items()}
        seen = {}
        for role in ROLES:
            response = client_as(matrix_app, role).open(path, method=method, data=data)
            seen[role] = outcome_of(response)
            if response.status_code == 404:
                assert SECRET.encode() not in response.data and b"Traceback" not in response.data
        assert seen == case.outcome, f"{method} {path}"
