"""Admin pages for teams and routing rules, and the desk metrics: range, per team/staff, CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import ActionLog, Message, RoutingRule, Team, Ticket, utcnow
from portal.services.effects import mark_escalated
from tests.overrides import override_settings
from tests.portal.conftest import user_id


def _team(app, name: str) -> Team:
    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.name == name))
        db.session.expunge(team)
        return team


def test_admins_create_rename_and_staff_teams_and_rules_that_route(admin, demo):
    assert admin.post("/admin/teams", data={"name": "Billing", "max_open_per_person": "3"}).status_code == 302
    assert admin.post("/admin/teams", data={"name": "General", "is_default": "y"}).status_code == 302
    billing = _team(demo, "Billing")
    assert billing.max_open_per_person == 3 and _team(demo, "General").is_default
    with demo.app_context():
        stella = user_id("staff@example.com")
        customer = user_id("customer@example.com")
    admin.post(f"/admin/teams/{billing.id}/members", data={"user_id": stella})
    refused = admin.post(
        f"/admin/teams/{billing.id}/members", data={"user_id": customer}, follow_redirects=True
    )
    assert "Pick an active staff member." in refused.get_data(as_text=True)
    admin.post("/admin/teams/rules", data={"team_id": billing.id, "intents": "payment_issue, get_refund"})
    admin.post(f"/admin/teams/{billing.id}", data={"name": "Payments", "max_open_per_person": "3"})
    page = admin.get("/admin/teams").get_data(as_text=True)
    assert 'data-team="Payments"' in page and "Stella Staff" in page and "payment_issue, get_refund" in page
    with demo.app_context():
        ticket = Ticket(customer_id=customer, subject="Charged twice", body="Twice!", intent="payment_issue")
        db.session.add(ticket)
        db.session.flush()
        mark_escalated(ticket.id, "payment", utcnow())
        db.session.commit()
        assert (ticket.team.name, ticket.assignee_id) == ("Payments", stella)
        tools = db.session.scalars(
            select(ActionLog.tool).where(ActionLog.tool.like("admin.team%")).order_by(ActionLog.id)
        ).all()
    assert tools == ["admin.team_create", "admin.team_create", "admin.team_member_add", "admin.team_edit"]


def test_one_default_team_at_a_time(admin, demo):
    admin.post("/admin/teams", data={"name": "A", "is_default": "y"})
    admin.post("/admin/teams", data={"name": "B", "is_default": "y"})
    assert (_team(demo, "A").is_default, _team(demo, "B").is_default) == (False, True)


def test_a_taken_name_and_an_empty_rule_are_refused(admin, demo):
    admin.post("/admin/teams", data={"name": "Billing"})
    taken = admin.post("/admin/teams", data={"name": "Billing"})
    assert taken.status_code == 400 and "exists already" in taken.get_data(as_text=True)
    team_id = _team(demo, "Billing").id
    empty = admin.post("/admin/teams/rules", data={"team_id": team_id}, follow_redirects=True)
    assert "Name intents or tick priorities" in empty.get_data(as_text=True)
    bad = admin.post(
        "/admin/teams/rules", data={"team_id": team_id, "intents": "DROP TABLE"}, follow_redirects=True
    )
    assert "Not an intent name" in bad.get_data(as_text=True)
    with demo.app_context():
        assert db.session.scalar(select(RoutingRule.id)) is None


def test_removing_a_member_and_a_rule(admin, demo):
    admin.post("/admin/teams", data={"name": "Billing"})
    team_id = _team(demo, "Billing").id
    with demo.app_context():
        stella = user_id("staff@example.com")
    admin.post(f"/admin/teams/{team_id}/members", data={"user_id": stella})
    admin.post("/admin/teams/rules", data={"team_id": team_id, "priorities": ["P1"]})
    with demo.app_context():
        rule_id = db.session.scalar(select(RoutingRule.id))
    assert admin.post(f"/admin/teams/{team_id}/members/{stella}/remove").status_code == 302
    assert admin.post(f"/admin/teams/{team_id}/members/{stella}/remove").status_code == 404
    assert admin.post(f"/admin/teams/rules/{rule_id}/delete").status_code == 302
    with demo.app_context():
        assert db.session.get(Team, team_id).members == [] and db.session.get(RoutingRule, rule_id) is None


def test_staff_cannot_reach_the_team_pages(staff):
    assert staff.get("/admin/teams").status_code == 404


# --- desk metrics -------------------------------------------------------------------------------------------


def _ticket(customer: int, created, **fields) -> Ticket:
    return Ticket(customer_id=customer, subject="s", body="b", created_at=created, **fields)


def _desk_history(app) -> None:
    """Two Billing tickets Stella handled (one rated unhappy), one agent-only, one silent for 10 days."""
    now = utcnow()
    hour = timedelta(hours=1)
    with app.app_context():
        customer = user_id("customer@example.com")
        stella = user_id("staff@example.com")
        billing = Team(name="Billing")
        db.session.add(billing)
        db.session.flush()
        # (created hours ago, first reply after h, resolved after h, satisfaction)
        for hours, first, resolved, satisfaction in ((50, 1, 10, "satisfied"), (40, 3, 30, "unsatisfied")):
            created = now - hours * hour
            ticket = _ticket(
                customer,
                created,
                status="resolved",
                first_response_at=created + first * hour,
                resolved_at=created + resolved * hour,
                escalated_at=created,
                satisfaction=satisfaction,
                human_involved=True,
                team_id=billing.id,
                assignee_id=stella,
            )
            reply = Message(
                author_kind="staff", author_id=stella, body="Hi", created_at=created + first * hour
            )
            ticket.messages.append(reply)
            db.session.add(ticket)
        created = now - 30 * hour
        agent_only = _ticket(customer, created, status="resolved", satisfaction="satisfied")
        agent_only.first_response_at, agent_only.resolved_at = created + 0.01 * hour, created + 0.02 * hour
        ten_days_ago = now - timedelta(days=10)
        silent = _ticket(customer, ten_days_ago, status="answered", first_response_at=ten_days_ago)
        silent.messages.append(
            Message(author_kind="agent", body="Answer", created_at=now - timedelta(days=10))
        )
        db.session.add_all([agent_only, silent])
        db.session.commit()


def test_the_metrics_page_shows_desk_times_csat_and_both_agent_rates(admin, demo):
    _desk_history(demo)
    page = admin.get("/admin/").get_data(as_text=True)
    assert 'data-metric="csat">67%' in page  # 2 satisfied / (2 + 1 not satisfied)
    assert 'data-metric="agent_confirmed">1<' in page and 'data-metric="agent_assumed">1<' in page
    assert 'id="desk-teams"' in page and "Billing" in page and 'id="desk-staff"' in page


def test_the_csv_has_a_row_for_everyone_each_team_and_each_staff_member(admin, demo):
    _desk_history(demo)
    today = utcnow().date()
    response = admin.get(f"/admin/metrics/desk.csv?from={today - timedelta(days=20)}&to={today}")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_scope = {(row["scope"], row["name"]): row for row in rows}
    everyone = by_scope[("all", "Everyone")]
    assert everyone["tickets"] == "4" and everyone["csat"] == "0.6667"
    assert (everyone["agent_resolved_confirmed"], everyone["agent_resolved_assumed"]) == ("1", "1")
    billing = by_scope[("team", "Billing")]
    # person response 1 h and 3 h: nearest-rank median 1 h, p90 3 h; resolution 10 h and 30 h.
    assert (billing["person_response_median_s"], billing["person_response_p90_s"]) == ("3600", "10800")
    assert (billing["resolution_median_s"], billing["resolution_p90_s"]) == ("36000", "108000")
    assert by_scope[("staff", "Stella Staff")]["tickets"] == "2"


def test_a_range_counts_only_the_tickets_opened_in_it(admin, demo):
    _desk_history(demo)
    today = utcnow().date()
    query = f"from={today - timedelta(days=11)}&to={today - timedelta(days=9)}"  # the silent ticket alone
    rows = list(
        csv.DictReader(io.StringIO(admin.get(f"/admin/metrics/desk.csv?{query}").get_data(as_text=True)))
    )
    assert [(r["scope"], r["tickets"]) for r in rows] == [("all", "1")]
    assert (rows[0]["agent_resolved_confirmed"], rows[0]["agent_resolved_assumed"]) == ("0", "1")
    assert rows[0]["csat"] == ""  # nobody rated: no CSAT rather than 0 %


def test_bad_dates_fall_back_to_the_default_range(admin, demo):
    for query in (
        "from=garbage&to=2020-13-01",
        "from=2026-12-31&to=2020-01-01",
        "from=1900-01-01&to=2999-01-01",
    ):
        assert admin.get(f"/admin/metrics/desk.csv?{query}").status_code == 200
        assert admin.get(f"/admin/?{query}").status_code == 200


def test_the_assumed_count_follows_the_configured_days(admin, demo):
    _desk_history(demo)
    override_settings(
        demo, METRICS_ASSUMED_RESOLVED_DAYS=14
    )  # the silent ticket is 10 days old: not yet assumed
    rows = list(csv.DictReader(io.StringIO(admin.get("/admin/metrics/desk.csv").get_data(as_text=True))))
    assert rows[0]["agent_resolved_assumed"] == "0"


@pytest.mark.postgres
def test_desk_metrics_on_postgres(pg_app, monkeypatch):

    from portal.admin import metrics
    from portal.commands.demo import seed_demo

    with pg_app.app_context():
        seed_demo()
        db.session.commit()
    _desk_history(pg_app)
    with pg_app.app_context():
        now = utcnow()
        data = metrics.desk_metrics(now - timedelta(days=20), now, 7, now)
    assert (data.overall.tickets, data.agent_confirmed, data.agent_assumed) == (4, 1, 1)
    assert [(row.name, row.tickets, row.person_response.median) for row in data.teams] == [
        ("Billing", 2, 3600.0)
    ]
    assert round(data.overall.csat, 4) == 0.6667
