"""Webhook events on SQLite: rows written in the event's transaction (none for a rollback), one per
subscribed endpoint, the job enqueued only after commit; signatures; the admin pages."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select, update

from portal.extensions import db
from portal.jobs.queue import DELIVER_WEBHOOK
from portal.models import ApiKey, Ticket, User, WebhookDelivery, WebhookEndpoint
from portal.webhooks.signing import signature_header, verify
from tests.api.conftest import auth, make_key


@pytest.fixture
def endpoints(seeded):
    with seeded.app_context():
        db.session.add_all(
            [
                WebhookEndpoint(
                    url="http://127.0.0.1:9/a", events=["ticket.created", "ticket.resolved"], secret="s1"
                ),
                WebhookEndpoint(url="http://127.0.0.1:9/b", events=["ticket.satisfaction"], secret="s2"),
                WebhookEndpoint(
                    url="http://127.0.0.1:9/c", events=["ticket.created"], secret="s3", active=False
                ),
            ]
        )
        db.session.commit()
    return seeded


def _open(app):
    from portal.support.tickets import open_ticket

    customer = db.session.scalar(select(User).where(User.email == "customer@example.com"))
    return open_ticket(customer, "Lamp", "My lamp arrived broken.")


def deliveries(app):
    with app.app_context():
        return [
            (d.event, d.endpoint_id)
            for d in db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at))
        ]


def test_event_rows_commit_with_the_ticket_and_jobs_follow_the_commit(endpoints):
    app = endpoints
    jobs = app.extensions["manual_queue"].jobs
    with app.app_context():
        ticket = _open(app)
        assert not [j for j in jobs if j[0] == DELIVER_WEBHOOK]  # nothing is sent before the commit
        db.session.commit()
        reference = ticket.reference
    assert deliveries(app) == [("ticket.created", 1)]  # only the active endpoint that wants it
    webhook_jobs = [args for path, args in jobs if path == DELIVER_WEBHOOK]
    with app.app_context():
        row = db.session.scalar(select(WebhookDelivery))
        assert webhook_jobs == [(row.id,)]
        payload = json.loads(row.body)
    assert payload["id"] == row.id and payload["data"]["ticket"]["reference"] == reference


def test_a_rolled_back_event_is_never_announced(endpoints):
    app = endpoints
    with app.app_context():
        _open(app)
        db.session.rollback()
    assert deliveries(app) == []
    assert not [j for j in app.extensions["manual_queue"].jobs if j[0] == DELIVER_WEBHOOK]


def test_resolved_and_satisfaction_events(endpoints):
    from portal.support.actions import mark_satisfied

    app = endpoints
    with app.app_context():
        ticket = _open(app)
        db.session.commit()
        ticket.status = "answered"
        mark_satisfied(ticket)  # satisfied and resolved by the customer
        db.session.commit()
    assert sorted(deliveries(app)) == [
        ("ticket.created", 1),
        ("ticket.resolved", 1),
        ("ticket.satisfaction", 2),
    ]
    with app.app_context():
        row = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.event == "ticket.satisfaction"))
        assert json.loads(row.body)["data"]["satisfaction"] == "satisfied"


def test_signature_verification():
    body = b'{"event":"ticket.created"}'
    header = signature_header("whsec_x", body)
    assert verify("whsec_x", body, header)
    assert not verify("whsec_x", body + b" ", header)
    assert not verify("whsec_y", body, header)
    stale = signature_header("whsec_x", body, timestamp=int(time.time()) - 3600)
    assert not verify("whsec_x", body, stale)
    assert not verify("whsec_x", body, "garbage")


def _admin_client(app):
    client = app.test_client()
    with app.app_context():
        session_id = db.session.scalar(select(User).where(User.email == "admin@example.com")).get_id()
    with client.session_transaction() as session:
        session["_user_id"] = session_id  # "<id>:<session token>", as Flask-Login stores it
        session["seen_at"] = int(time.time())  # a staff session without it has ended (idle timeout)
    return client


def test_admin_creates_a_key_shown_once_and_revokes_it(seeded):
    client = _admin_client(seeded)
    page = client.post("/admin/api-keys", data={"name": "Shop", "scopes": ["read", "orders"]})
    assert page.status_code == 200
    token = page.get_data(as_text=True).split('<code class="user-select-all">')[1].split("</code>")[0]
    assert client.get("/api/v1/orders", headers=auth(token)).status_code == 200
    assert token not in client.get("/admin/api-keys").get_data(as_text=True)  # shown once
    with seeded.app_context():
        key = db.session.scalar(select(ApiKey))
        assert key.scopes == ["read", "orders"]
    assert client.post(f"/admin/api-keys/{key.id}/revoke").status_code == 302
    assert client.get("/api/v1/orders", headers=auth(token)).status_code == 401


def test_admin_registers_an_endpoint_and_retries_a_failed_delivery(seeded):
    client = _admin_client(seeded)
    created = client.post(
        "/admin/webhooks", data={"url": "http://127.0.0.1:9/h", "events": ["ticket.created"]}
    )
    assert created.status_code == 200 and "whsec_" in created.get_data(as_text=True)
    with seeded.app_context():
        ticket = _open(seeded)
        db.session.commit()
        row = db.session.scalar(select(WebhookDelivery))
        row.status, row.last_error = "failed", "HTTP 500: boom"
        db.session.commit()
        delivery_id = row.id
    page = client.get("/admin/webhooks").get_data(as_text=True)
    assert "HTTP 500: boom" in page and delivery_id in page
    seeded.extensions["manual_queue"].jobs.clear()
    assert client.post(f"/admin/webhooks/deliveries/{delivery_id}/retry").status_code == 302
    with seeded.app_context():
        assert db.session.get(WebhookDelivery, delivery_id).status == "pending"
    assert seeded.extensions["manual_queue"].jobs == [(DELIVER_WEBHOOK, (delivery_id,))]
    assert ticket is not None


def test_api_created_ticket_emits_once(endpoints):
    token = make_key(endpoints, "write")
    client = endpoints.test_client()
    body = {"customer_email": "customer@example.com", "subject": "Hi", "message": "A question."}
    assert client.post("/api/v1/tickets", json=body, headers=auth(token)).status_code == 201
    with endpoints.app_context():
        assert db.session.scalar(select(Ticket.id)) is not None
    assert deliveries(endpoints) == [("ticket.created", 1)]


def test_the_periodic_check_sends_again_deliveries_whose_job_was_lost(endpoints):
    """A claim whose worker died, and a delivery whose first job never ran, go back to pending and are
    enqueued; a delivery waiting for its scheduled retry, a fresh one and a sent one are left alone."""
    from datetime import timedelta

    from portal.models import utcnow
    from worker.reaper import requeue_stale_webhooks

    app = endpoints
    now = utcnow()
    rows = {
        "dead_claim": dict(status="sending", attempts=1, lease_until=now - timedelta(seconds=1)),
        "live_claim": dict(status="sending", attempts=1, lease_until=now + timedelta(minutes=1)),
        "never_tried": dict(status="pending", attempts=0, created_at=now - timedelta(minutes=16)),
        "fresh": dict(status="pending", attempts=0, created_at=now - timedelta(minutes=1)),
        "waiting_retry": dict(status="pending", attempts=2, created_at=now - timedelta(hours=1)),
        "sent": dict(status="sent", attempts=1, created_at=now - timedelta(hours=1)),
    }
    with app.app_context():
        for name, values in rows.items():
            db.session.add(
                WebhookDelivery(id=name, endpoint_id=1, dedupe_key=name, event="e", body="{}", **values)
            )
        db.session.commit()
    app.extensions["manual_queue"].jobs.clear()
    with app.app_context():
        assert requeue_stale_webhooks() == 2
        states = dict(db.session.execute(select(WebhookDelivery.id, WebhookDelivery.status)).all())
    assert states == {
        "dead_claim": "pending",
        "live_claim": "sending",
        "never_tried": "pending",
        "fresh": "pending",
        "waiting_retry": "pending",
        "sent": "sent",
    }
    jobs = sorted(args for path, args in app.extensions["manual_queue"].jobs if path == DELIVER_WEBHOOK)
    assert jobs == [("dead_claim",), ("never_tried",)]
    with app.app_context():
        assert requeue_stale_webhooks() == 0  # handed back once, not at every tick while its job waits
        expired = WebhookDelivery.id == "never_tried"
        db.session.execute(
            update(WebhookDelivery).where(expired).values(lease_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        assert requeue_stale_webhooks() == 1  # its second job was lost too: once more
