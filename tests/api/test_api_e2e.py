"""End to end on Postgres, Redis and real RQ workers: a shop client upserts a customer and an order, opens
a ticket, receives the signed ticket.created webhook on a real HTTP receiver and reads the agent's answer;
a receiver that fails first gets the delivery again after the backoff."""

from __future__ import annotations

import http.server
import json
import threading

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import WebhookDelivery, WebhookEndpoint
from portal.webhooks.signing import SIGNATURE_HEADER, verify
from tests.api.conftest import ORDER, auth, make_key
from tests.conftest import wait_for
from tests.overrides import override_settings

pytestmark = pytest.mark.postgres
SECRET = "whsec_test-secret"


class Receiver:
    """A real HTTP server in a thread; answers each POST with the next of `statuses` (then 200)."""

    def __init__(self, statuses=()):
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses = list(statuses)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def register(app, url: str, *events: str) -> None:
    with app.app_context():
        db.session.add(WebhookEndpoint(url=url, events=list(events), secret=SECRET))
        db.session.commit()


def test_shop_client_end_to_end(pg_app, rq_workers, receiver):
    rq_workers.start(1, queues=("agent", "email", "webhook"))
    register(pg_app, receiver.url, "ticket.created")
    token = make_key(pg_app, "read", "write", "orders")
    client = pg_app.test_client()
    customer = {"email": "pat@shop.example", "name": "Pat Shopper"}
    assert client.put("/api/v1/customers", json=customer, headers=auth(token)).status_code == 201
    assert client.put("/api/v1/orders/S-1001", json=ORDER, headers=auth(token)).status_code == 201
    body = {
        "customer_email": "pat@shop.example",
        "order_number": "S-1001",
        "subject": "Where is my order?",
        "message": "Where is my order S-1001? It shipped a while ago.",
    }
    created = client.post("/api/v1/tickets", json=body, headers=auth(token))
    assert created.status_code == 201
    reference = created.get_json()["reference"]

    wait_for(lambda: receiver.requests, timeout=60)
    headers, raw = receiver.requests[0]
    assert verify(SECRET, raw, headers[SIGNATURE_HEADER])
    assert not verify("whsec_other", raw, headers[SIGNATURE_HEADER])
    event = json.loads(raw)
    assert event["event"] == "ticket.created" and headers["X-SupportOps-Event"] == "ticket.created"
    assert (
        event["data"]["ticket"]["reference"] == reference and event["id"] == headers["X-SupportOps-Delivery"]
    )

    def answered():
        ticket = client.get(f"/api/v1/tickets/{reference}", headers=auth(token)).get_json()
        return ticket if ticket["status"] in ("answered", "escalated", "resolved") else None

    ticket = wait_for(answered, timeout=90)
    agent = [m for m in ticket["messages"] if m["author"] == "agent"]
    assert agent and "S-1001" in agent[-1]["body"], rq_workers.logs()[-3000:]
    with pg_app.app_context():
        delivery = db.session.scalar(select(WebhookDelivery))
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 1, 200)
    revoke = client.get("/api/v1/tickets", headers=auth(token[:-1] + ("A" if token[-1] != "A" else "B")))
    assert revoke.status_code == 401


def test_failed_delivery_is_retried_with_backoff(pg_app, rq_workers):
    receiver = Receiver(statuses=[500])
    try:
        override_settings(pg_app, WEBHOOK_RETRY_INTERVALS=[1, 1])
        rq_workers.start(1, queues=("agent", "email", "webhook"))
        register(pg_app, receiver.url, "ticket.created")
        token = make_key(pg_app, "write", "orders")
        client = pg_app.test_client()
        client.put(
            "/api/v1/customers", json={"email": "pat@shop.example", "name": "Pat"}, headers=auth(token)
        )
        body = {"customer_email": "pat@shop.example", "subject": "Hello", "message": "A question."}
        assert client.post("/api/v1/tickets", json=body, headers=auth(token)).status_code == 201

        def sent():
            with pg_app.app_context():
                db.session.remove()
                row = db.session.scalar(select(WebhookDelivery))
                return row if row is not None and row.status == "sent" else None

        row = wait_for(sent, timeout=60)
        assert row.attempts == 2 and len(receiver.requests) == 2
        assert receiver.requests[0][1] == receiver.requests[1][1]  # the same bytes, signed afresh
        assert all(verify(SECRET, raw, h[SIGNATURE_HEADER]) for h, raw in receiver.requests)
    finally:
        receiver.close()
