"""Prometheus metrics in one process: /metrics parses, and moves when a ticket is created and answered."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from portal.extensions import db
from portal.models import EmailOutbox, Ticket
from tests.overrides import override_settings
from tests.portal.conftest import login


def scrape(client, **headers) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_move_when_a_ticket_is_created_and_answered(client, demo):
    before = scrape(client)
    login(client, "customer@example.com")
    page = client.post("/tickets/new", data={"subject": "Where is it", "message": "Where is my order A1002?"})
    assert page.status_code == 302
    assert demo.extensions["manual_queue"].drain(demo) >= 1
    after = scrape(client)
    created = "supportops_tickets_created_total"
    assert value(after, created) - value(before, created) == 1
    runs = sum(v for (n, _), v in after.items() if n == "supportops_agent_runs_total")
    runs -= sum(v for (n, _), v in before.items() if n == "supportops_agent_runs_total")
    assert runs == 1
    assert value(after, "supportops_agent_runs_total", outcome="answered", backend="offline") >= 1
    count = "supportops_http_request_duration_seconds_count"
    assert (
        value(after, count, endpoint="tickets.new", method="POST")
        - value(before, count, endpoint="tickets.new", method="POST")
        == 1
    )
    with demo.app_context():
        pending = db.session.query(EmailOutbox).filter_by(status="pending").count()
        assert db.session.query(Ticket).count() >= 1
    assert value(after, "supportops_outbox_pending") == pending


def test_a_rolled_back_ticket_is_not_counted(app, demo):
    from prometheus_client import REGISTRY

    from portal.support.tickets import open_ticket

    def created() -> float:
        return REGISTRY.get_sample_value("supportops_tickets_created_total") or 0.0

    before = created()
    with demo.app_context():
        from portal.models import User

        customer = db.session.query(User).filter_by(email="customer@example.com").one()
        open_ticket(customer, "Never kept", "This one is rolled back.")
        db.session.flush()
        db.session.rollback()
        with db.session.begin_nested():  # a savepoint's release is not the commit
            open_ticket(customer, "Kept", "This one is committed.")
        assert created() == before
        db.session.commit()
    assert created() == before + 1


def test_metrics_can_require_a_token(client, app):
    override_settings(app, METRICS_TOKEN="s3cret-token")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    scrape(client, Authorization="Bearer s3cret-token")
