"""The REST API on SQLite: keys and scopes, upserts, tickets, the audit trail, errors and the call log."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ActionLog, ApiCall, ApiKey, Order, OrderItem, Ticket, User
from tests.api.conftest import ORDER, auth, make_key

CUSTOMER = {"email": "Pat@Shop.example", "name": "Pat Shopper"}


def put_customer(client, token, body=CUSTOMER):
    return client.put("/api/v1/customers", json=body, headers=auth(token))


def put_order(client, token, number="S-1001", body=ORDER):
    return client.put(f"/api/v1/orders/{number}", json=body, headers=auth(token))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def open_ticket(client, token, **extra):
    body = {
        "customer_email": "pat@shop.example",
        "subject": "Where is my mug?",
        "message": "It has not come.",
    }
    return client.post("/api/v1/tickets", json={**body, **extra}, headers=auth(token))


@pytest.fixture
def shop(app, client, full_key):
    assert put_customer(client, full_key).status_code == 201
    assert put_order(client, full_key).status_code == 201
    return full_key


def test_upserts_are_idempotent(app, client, full_key):
    first = put_customer(client, full_key)
    assert first.status_code == 201 and first.get_json()["email"] == "pat@shop.example"
    again = put_customer(client, full_key)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert put_order(client, full_key).status_code == 201
    second = put_order(client, full_key)
    assert second.status_code == 200
    assert second.get_json()["items"] == [
        {"sku": "MUG-1", "name": "Blue mug", "quantity": 2, "unit_price": "29.95"}
    ]
    assert count(app, User) == 1 and count(app, Order) == 1 and count(app, OrderItem) == 1


def test_order_update_replaces_items_and_moves_status_forward(app, client, shop):
    changed = {
        **ORDER,
        "status": "delivered",
        "items": [{"sku": "CUP-2", "name": "Cup", "quantity": 1, "unit_price": 5}],
    }
    body = put_order(client, shop, body=changed).get_json()
    assert (
        body["status"] == "delivered"
        and body["delivered_at"]
        and [i["sku"] for i in body["items"]] == ["CUP-2"]
    )
    back = client.patch("/api/v1/orders/S-1001", json={"status": "pending"}, headers=auth(shop))
    assert back.status_code == 409 and back.get_json()["error"]["code"] == "invalid_transition"
    tracking = client.patch("/api/v1/orders/S-1001", json={"tracking_number": "JD0002"}, headers=auth(shop))
    assert tracking.status_code == 200 and tracking.get_json()["tracking_number"] == "JD0002"


def test_cancelled_order_stays_cancelled(app, client, shop):
    assert (
        client.patch("/api/v1/orders/S-1001", json={"status": "cancelled"}, headers=auth(shop)).status_code
        == 200
    )
    revived = put_order(client, shop)
    assert revived.status_code == 409 and revived.get_json()["error"]["code"] == "order_closed"


def test_ticket_lifecycle_through_the_api(app, client, shop):
    created = open_ticket(client, shop, order_number="S-1001")
    assert created.status_code == 201
    ticket = created.get_json()
    assert ticket["status"] == "new" and ticket["order_number"] == "S-1001"
    assert [m["author"] for m in ticket["messages"]] == ["customer"]
    app.extensions["manual_queue"].drain(app)  # the agent runs as for a portal ticket
    read = client.get(f"/api/v1/tickets/{ticket['reference']}", headers=auth(shop)).get_json()
    assert read["status"] in ("answered", "escalated") and read["messages"][-1]["author"] in (
        "agent",
        "system",
    )
    reply = client.post(
        f"/api/v1/tickets/{ticket['reference']}/replies", json={"message": "Any news?"}, headers=auth(shop)
    )
    assert reply.status_code == 201 and reply.get_json()["author"] == "customer"
    resolved = client.post(f"/api/v1/tickets/{ticket['reference']}/resolve", headers=auth(shop))
    assert resolved.status_code == 200 and resolved.get_json()["status"] == "resolved"
    trail = client.get(f"/api/v1/tickets/{ticket['reference']}/actions", headers=auth(shop)).get_json()
    assert trail["data"][-1]["tool"] == "api.resolve" and trail["data"][-1]["actor_name"] == "api:shop"


def test_internal_notes_are_never_returned(app, client, shop):
    from portal.models import Message

    reference = open_ticket(client, shop).get_json()["reference"]
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
        db.session.add(
            Message(ticket_id=ticket.id, author_kind="staff", body="Staff only secret", internal=True)
        )
        db.session.commit()
    body = client.get(f"/api/v1/tickets/{reference}", headers=auth(shop)).get_data(as_text=True)
    assert "Staff only secret" not in body


def test_escalate_only_when_the_customer_may(app, client, shop):
    reference = open_ticket(client, shop).get_json()["reference"]
    early = client.post(f"/api/v1/tickets/{reference}/escalate", json={}, headers=auth(shop))
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "invalid_state"
    app.extensions["manual_queue"].drain(app)
    escalated = client.post(
        f"/api/v1/tickets/{reference}/escalate", json={"comment": "A person please"}, headers=auth(shop)
    )
    assert escalated.status_code == 200 and escalated.get_json()["status"] == "escalated"


def test_idempotency_key_returns_the_first_ticket(app, client, shop):
    headers = {**auth(shop), "Idempotency-Key": "retry-42"}
    body = {"customer_email": "pat@shop.example", "subject": "Mug", "message": "Broken."}
    first = client.post("/api/v1/tickets", json=body, headers=headers)
    again = client.post("/api/v1/tickets", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["reference"] == again.get_json()["reference"] and count(app, Ticket) == 1


def test_list_filters_and_cursor_pages(app, client, shop):
    for n in range(5):
        open_ticket(client, shop, subject=f"Question {n}")
    seen, cursor = [], None
    while True:
        query = {"limit": 2, "customer_email": "pat@shop.example", **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/tickets", query_string=query, headers=auth(shop)).get_json()
        seen += [t["subject"] for t in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Question {n}" for n in range(5)]
    none = client.get("/api/v1/tickets", query_string={"status": "resolved"}, headers=auth(shop)).get_json()
    assert none["data"] == []
    bad = client.get("/api/v1/tickets", query_string={"cursor": "!!"}, headers=auth(shop))
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_cursor"


# --- keys and scopes --------------------------------------------------------------------------------------


def test_no_key_bad_key_and_revoked_key_get_401(app, client, full_key):
    assert client.get("/api/v1/tickets").status_code == 401
    assert client.get("/api/v1/tickets", headers=auth(full_key[:-2] + "xx")).status_code == 401
    assert client.get("/api/v1/tickets", headers=auth(full_key)).status_code == 200
    with app.app_context():
        key = db.session.scalar(select(ApiKey))
        key.revoked_at = key.created_at
        db.session.commit()
    revoked = client.get("/api/v1/tickets", headers=auth(full_key))
    assert revoked.status_code == 401 and revoked.get_json()["error"]["code"] == "key_revoked"


def test_the_token_is_stored_hashed(app, full_key):
    with app.app_context():
        key = db.session.scalar(select(ApiKey))
        assert full_key not in (key.token_hash, key.prefix) and full_key.startswith(f"so_{key.prefix}_")


@pytest.mark.parametrize(
    ("scope", "method", "path", "body"),
    [
        ("read", "PUT", "/api/v1/customers", CUSTOMER),
        (
            "read",
            "POST",
            "/api/v1/tickets",
            {"customer_email": "pat@shop.example", "subject": "s", "message": "m"},
        ),
        ("write", "PUT", "/api/v1/orders/S-1001", ORDER),
        ("orders", "GET", "/api/v1/tickets", None),
        ("write", "GET", "/api/v1/orders", None),
        ("orders", "POST", "/api/v1/tickets/T-NOPE/resolve", None),
    ],
)
def test_a_key_of_one_scope_cannot_use_another(app, client, scope, method, path, body):
    token = make_key(app, scope)
    response = client.open(path, method=method, json=body, headers=auth(token))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "insufficient_scope"
    assert count(app, Ticket) == 0 and count(app, Order) == 0


# --- the bad-input sweep ----------------------------------------------------------------------------------


BAD_BODIES = [
    ("malformed", b'{"email": "pat@shop.example",', "application/json", 400, "malformed_json"),
    (
        "not json",
        b"email=pat@shop.example",
        "application/x-www-form-urlencoded",
        415,
        "unsupported_media_type",
    ),
    ("array", b"[1, 2]", "application/json", 422, "validation_error"),
    (
        "wrong type",
        json.dumps({"email": "pat@shop.example", "name": 42}).encode(),
        "application/json",
        422,
        "validation_error",
    ),
    (
        "bad email",
        json.dumps({"email": "nope", "name": "Pat"}).encode(),
        "application/json",
        422,
        "validation_error",
    ),
    (
        "extra field",
        json.dumps({**CUSTOMER, "role": "admin"}).encode(),
        "application/json",
        422,
        "validation_error",
    ),
    (
        "nul",
        json.dumps({"email": "pat@shop.example", "name": "Pa\x00t"}).encode(),
        "application/json",
        422,
        "validation_error",
    ),
    ("huge", b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}', "application/json", 413, "payload_too_large"),
]


@pytest.mark.parametrize(
    ("raw", "mimetype", "status", "code"), [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES]
)
def test_bad_customer_bodies_get_a_json_error_and_write_nothing(
    app, client, full_key, raw, mimetype, status, code
):
    response = client.put("/api/v1/customers", data=raw, content_type=mimetype, headers=auth(full_key))
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    assert count(app, User) == 0


ORDER_MISTAKES = {
    "quantity as text": {"items": [{**ORDER["items"][0], "quantity": "two"}]},
    "negative price": {"items": [{**ORDER["items"][0], "unit_price": "-1"}]},
    "no items": {"items": []},
    "naive time": {"placed_at": "2026-11-20T10:00:00"},
    "unknown status": {"status": "lost"},
    "total as list": {"total": [1]},
    "second item broken": {
        "items": [ORDER["items"][0], {"sku": "X", "name": "", "quantity": 1, "unit_price": 1}]
    },
}


@pytest.mark.parametrize("mistake", sorted(ORDER_MISTAKES))
def test_bad_orders_leave_nothing_half_written(app, client, full_key, mistake):
    put_customer(client, full_key)
    response = put_order(client, full_key, body={**ORDER, **ORDER_MISTAKES[mistake]})
    assert response.status_code == 422 and response.get_json()["error"]["details"]
    assert count(app, Order) == 0 and count(app, OrderItem) == 0


def test_conflicting_orders_roll_back_whole(app, client, full_key):
    put_customer(client, full_key)
    duplicate = [ORDER["items"][0], ORDER["items"][0]]
    response = put_order(client, full_key, body={**ORDER, "items": duplicate})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "duplicate_sku"
    unknown = put_order(client, full_key, body={**ORDER, "customer_email": "ghost@shop.example"})
    assert unknown.status_code == 422 and unknown.get_json()["error"]["code"] == "customer_not_found"
    assert count(app, Order) == 0


def test_unknown_routes_and_methods_answer_json(client, full_key):
    missing = client.get("/api/v1/tickets/T-NOPE", headers=auth(full_key))
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/nowhere").get_json()["error"]["code"] == "not_found"
    assert client.delete("/api/v1/tickets").get_json()["error"]["code"] == "method_not_allowed"


def test_every_call_is_logged_with_its_key(app, client, full_key):
    client.get("/api/v1/tickets", headers=auth(full_key))
    client.get("/api/v1/tickets")
    with app.app_context():
        calls = db.session.execute(
            select(ApiCall.api_key_id, ApiCall.method, ApiCall.path, ApiCall.status).order_by(ApiCall.id)
        ).all()
        key_id = db.session.scalar(select(ApiKey.id))
    assert [tuple(c) for c in calls] == [
        (key_id, "GET", "/api/v1/tickets", 200),
        (None, "GET", "/api/v1/tickets", 401),
    ]


def test_rate_limit_is_per_key(tmp_path):
    from portal.extensions import limiter
    from tests.conftest import make_app

    app = make_app(
        f"sqlite:///{tmp_path / 'rl.db'}", tmp_path, RATELIMIT_ENABLED=True, API_RATE_LIMIT="2 per minute"
    )
    limiter.reset()
    first, second = make_key(app, "read", name="one"), make_key(app, "read", name="two")
    client = app.test_client()
    statuses = [client.get("/api/v1/tickets", headers=auth(first)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = client.get("/api/v1/tickets", headers=auth(first))
    assert limited.get_json()["error"]["code"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/tickets", headers=auth(second)).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActionLog)) == 0


def test_the_api_needs_no_csrf_token_but_the_portal_still_does(app, client, shop):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert open_ticket(client, shop).status_code == 201
        assert client.post("/auth/login", data={"email": "x@example.com"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
