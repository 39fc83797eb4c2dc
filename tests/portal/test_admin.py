"""Admin pages: only admins get in; metrics render; staff accounts; read-only policies and their index."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import ActionLog, User
from tests.overrides import override_settings
from tests.portal.conftest import login, user_id

ADMIN_PAGES = ["/admin/", "/admin/users", "/admin/policies", "/admin/policies/refunds"]


@pytest.mark.parametrize("email", ["staff@example.com", "customer@example.com"])
def test_only_admins_get_in(client, demo, email):
    login(client, email)
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 404, path
    assert client.post("/admin/policies/rebuild").status_code == 404
    assert (
        client.post(
            "/admin/users", data={"name": "X", "email": "x@example.com", "password": "p" * 12}
        ).status_code
        == 404
    )
    with demo.app_context():
        assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None


def test_admin_pages_render(admin):
    for path in ADMIN_PAGES:
        assert admin.get(path).status_code == 200, path


def test_metrics_page_shows_figures_and_an_svg_chart(admin, make_ticket):
    make_ticket(status="resolved", satisfaction="satisfied", intent="refund")
    make_ticket(status="resolved", intent="refund")
    make_ticket(status="escalated", escalation_reason="Customer asked for a person", escalated_at=None)
    page = admin.get("/admin/").get_data(as_text=True)
    assert '<svg id="chart-by-day"' in page and "<rect " in page
    assert 'data-metric="total">3<' in page
    assert 'data-metric="agent_rate">33%<' in page
    assert 'data-metric="no_feedback">1<' in page
    assert "Customer asked for a person" in page and "refund" in page


def test_admin_creates_a_staff_account(admin, demo):
    response = admin.post(
        "/admin/users",
        data={
            "name": "Nora New",
            "email": "Nora@Example.com",
            "password": "a-long-password",
            "role": "staff",
        },
    )
    assert response.status_code == 302
    with demo.app_context():
        user = db.session.scalar(select(User).where(User.email == "nora@example.com"))
        assert user.role == "staff" and user.is_staff
        assert (
            db.session.scalar(select(ActionLog.actor_name).where(ActionLog.tool == "admin.user_create"))
            == "Adam Admin"
        )
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "nora@example.com" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "staff@example.com", "password": "a-long-password"}, "already exists"),
        ({"email": "new@example.com", "password": "short"}, "Use at least 10 characters."),
        (
            {"email": "new@example.com", "password": "a-long-password", "role": "customer"},
            "Not a valid choice",
        ),
    ],
)
def test_bad_staff_accounts_are_explained(admin, data, message):
    response = admin.post("/admin/users", data={"name": "N", "role": "staff"} | data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_deactivate_and_never_yourself(admin, demo):
    with demo.app_context():
        staff_id, admin_id = user_id("staff@example.com"), user_id("admin@example.com")
    admin.post(f"/admin/users/{staff_id}/deactivate")
    page = admin.post(f"/admin/users/{admin_id}/deactivate", follow_redirects=True).get_data(as_text=True)
    assert "You cannot deactivate your own account." in page
    with demo.app_context():
        assert db.session.get(User, staff_id).active is False
        assert db.session.get(User, admin_id).active is True
    admin.post(f"/admin/users/{staff_id}/activate")
    with demo.app_context():
        assert db.session.get(User, staff_id).active is True


def test_policies_render_markdown_and_escape_html(client, demo, tmp_path):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "refunds.md").write_text(
        "# Refund policy\n\n## Window\n\nYou have **30 days**.\n\n<script>alert(1)</script>\n"
    )
    override_settings(demo, POLICIES_DIR=str(folder))
    login(client, "admin@example.com")
    listing = client.get("/admin/policies").get_data(as_text=True)
    assert "Refund policy" in listing and "/admin/policies/refunds" in listing
    page = client.get("/admin/policies/refunds").get_data(as_text=True)
    assert "<h2>Window</h2>" in page and "<strong>30 days</strong>" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert client.get("/admin/policies/nothing").status_code == 404
    assert client.get("/admin/policies/..%2Fsecret").status_code == 404


def test_rebuild_index_enqueues_the_job(admin, demo):
    response = admin.post("/admin/policies/rebuild", follow_redirects=True)
    assert "Rebuilding the policy index" in response.get_data(as_text=True)
    assert demo.extensions["manual_queue"].jobs == [("worker.jobs.rebuild_policy_index", ())]
