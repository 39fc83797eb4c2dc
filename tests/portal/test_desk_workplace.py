"""Desk tags, bulk changes, merging duplicates, saved views and availability (portal/desk/workplace*.py)."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import ActionLog, EmailOutbox, Message, SavedView, User
from tests.portal.conftest import login, user_id
from tests.portal.test_desk import _log_tools, _queue_refs


def _flash(response) -> str:
    return " ".join(
        re.findall(r'role="alert">\s*(.*?)\s*<button', response.get_data(as_text=True), flags=re.S)
    )


def _ids(make_ticket, *refs) -> list[str]:
    return [str(make_ticket.get(ref).id) for ref in refs]


# --- tags ---------------------------------------------------------------------------------------------------


def test_tags_are_added_removed_and_filter_the_queue(staff, make_ticket, demo):
    tagged = make_ticket(status="escalated", subject="Tagged")
    other = make_ticket(status="escalated", subject="Other")
    response = staff.post(
        f"/desk/tickets/{tagged}/tags", data={"name": "  Carrier Delay "}, follow_redirects=True
    )
    assert "Tagged carrier-delay." in _flash(response)
    assert 'class="badge text-bg-info ticket-tag">carrier-delay' in response.get_data(as_text=True)
    again = staff.post(f"/desk/tickets/{tagged}/tags", data={"name": "carrier-delay"}, follow_redirects=True)
    assert "already has the tag" in _flash(again)
    assert _queue_refs(staff, tag="carrier-delay") == [tagged]
    assert set(_queue_refs(staff)) == {tagged, other}
    assert ("desk.tag", "Stella Staff", "note") in _log_tools(demo, tagged)
    removed = staff.post(
        f"/desk/tickets/{tagged}/tags/remove", data={"name": "carrier-delay"}, follow_redirects=True
    )
    assert "Tag carrier-delay removed." in _flash(removed)
    assert _queue_refs(staff, tag="carrier-delay") == []
    assert ("desk.untag", "Stella Staff", "note") in _log_tools(demo, tagged)


def test_a_tag_that_is_not_a_word_is_refused(staff, make_ticket):
    ref = make_ticket(status="escalated")
    for bad in ("!!!", "<b>x</b>", "x" * 41):
        response = staff.post(f"/desk/tickets/{ref}/tags", data={"name": bad}, follow_redirects=True)
        assert "A tag is 1 to 40" in _flash(response), bad
    assert make_ticket.get(ref) is not None and _queue_refs(staff, tag="x" * 40) == []


# --- bulk ---------------------------------------------------------------------------------------------------


def test_bulk_assign_logs_each_ticket_with_the_staff_name(staff, make_ticket, demo):
    refs = [make_ticket(status="escalated", subject=f"B{n}") for n in range(3)]
    with demo.app_context():
        admin_id = user_id("admin@example.com")
    response = staff.post(
        "/desk/bulk",
        data={
            "ticket": _ids(make_ticket, *refs),
            "action": "assign",
            "assignee": admin_id,
            "next": "/desk/?sort=created",
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/desk/?sort=created"
    assert [make_ticket.get(ref).assignee_id for ref in refs] == [admin_id] * 3
    for ref in refs:
        assert ("desk.assign", "Stella Staff", "note") in _log_tools(demo, ref)


def test_bulk_tag_and_resolve_notify_like_single_resolves(staff, make_ticket, demo, notified):
    refs = [make_ticket(status="escalated", subject=f"R{n}") for n in range(2)]
    done = make_ticket(status="resolved", subject="Done already")
    tagged = staff.post(
        "/desk/bulk",
        data={"ticket": _ids(make_ticket, *refs), "action": "tag", "tag": "VIP"},
        follow_redirects=True,
    )
    assert "2 tickets tagged." in _flash(tagged)
    assert _queue_refs(staff, tag="vip") == sorted(refs, key=lambda r: make_ticket.get(r).id)
    resolved = staff.post(
        "/desk/bulk",
        data={"ticket": _ids(make_ticket, *refs, done), "action": "resolve"},
        follow_redirects=True,
    )
    assert "2 tickets resolved, 1 already so." in _flash(resolved)
    assert all(make_ticket.get(ref).status == "resolved" for ref in refs)
    assert [event for event in notified if event[0] == "resolved"] == [("resolved", ref) for ref in refs]
    for ref in refs:
        assert ("desk.resolve", "Stella Staff", "note") in _log_tools(demo, ref)


def test_bulk_without_a_selection_or_with_a_stranger_changes_nothing(staff, make_ticket, demo):
    ref = make_ticket(status="escalated")
    empty = staff.post("/desk/bulk", data={"action": "resolve"}, follow_redirects=True)
    assert "Select at least one ticket." in _flash(empty)
    with demo.app_context():
        customer_id = user_id("customer@example.com")
    customer = staff.post(
        "/desk/bulk",
        data={
            "ticket": _ids(make_ticket, ref),
            "action": "assign",
            "assignee": customer_id,
        },
        follow_redirects=True,
    )
    assert "Pick an active staff member." in _flash(customer)
    missing = staff.post(
        "/desk/bulk", data={"ticket": ["999999"], "action": "resolve"}, follow_redirects=True
    )
    assert "0 tickets resolved, 1 not found." in _flash(missing)
    assert make_ticket.get(ref).status == "escalated" and make_ticket.get(ref).assignee_id is None


def test_the_queue_has_a_checkbox_per_ticket_for_the_bulk_form(staff, make_ticket):
    ref = make_ticket(status="escalated")
    page = staff.get("/desk/").get_data(as_text=True)
    ticket_id = make_ticket.get(ref).id
    assert f'name="ticket" value="{ticket_id}" form="bulk-form"' in page and 'id="bulk-form"' in page


# --- merge --------------------------------------------------------------------------------------------------


def test_merging_a_duplicate_resolves_it_with_a_pointer_and_tells_the_customer(staff, make_ticket, demo):
    target = make_ticket(status="escalated", subject="Lamp broke", body="My lamp arrived broken.")
    duplicate = make_ticket(status="escalated", subject="Lamp again", body="Did you see my lamp message?")
    response = staff.post(f"/desk/tickets/{duplicate}/merge", data={"target": target.lower()})
    assert response.headers["Location"] == f"/desk/tickets/{target}"
    dup = make_ticket.get(duplicate)
    assert dup.status == "resolved" and dup.merged_into_id == make_ticket.get(target).id
    with demo.app_context():
        told = db.session.scalars(
            select(Message).where(Message.ticket_id == dup.id, Message.author_kind == "staff")
        ).one()
        assert f"merged this request into ticket {target}" in told.body and not told.internal
        assert (
            db.session.scalar(select(EmailOutbox.event).where(EmailOutbox.ticket_id == dup.id))
            == "staff_replied"
        )
    page = staff.get(f"/desk/tickets/{target}").get_data(as_text=True)
    assert duplicate in page and "Did you see my lamp message?" in page  # linked, nothing lost
    assert ("desk.merge", "Stella Staff", "note") in _log_tools(demo, duplicate)
    assert ("desk.merge", "Stella Staff", "note") in _log_tools(demo, target)
    again = staff.post(f"/desk/tickets/{duplicate}/merge", data={"target": target}, follow_redirects=True)
    assert "already merged" in _flash(again)


def test_merging_across_customers_or_into_itself_is_refused(staff, make_ticket, demo):
    mine = make_ticket(status="escalated")
    theirs = make_ticket(email="second@example.com", status="escalated")
    for target, says in (
        (theirs, "same customer"),
        (mine, "into itself"),
        ("T-NOPE", "No ticket has that reference"),
    ):
        response = staff.post(f"/desk/tickets/{mine}/merge", data={"target": target}, follow_redirects=True)
        assert says in _flash(response), target
    assert make_ticket.get(mine).status == "escalated" and make_ticket.get(mine).merged_into_id is None
    with demo.app_context():
        assert db.session.scalar(select(ActionLog.id).where(ActionLog.tool == "desk.merge")) is None


# --- saved views --------------------------------------------------------------------------------------------


def test_saved_views_are_personal_and_keep_only_known_filters(staff, make_ticket, demo):
    p1 = make_ticket(status="escalated", priority="P1")
    make_ticket(status="escalated", priority="P3")
    response = staff.post(
        "/desk/views",
        data={"name": "Urgent", "query": "status=escalated&priority=P1&evil=%3Cscript%3E&sort=bogus"},
    )
    assert response.headers["Location"] == "/desk/?status=escalated&priority=P1&sort=sla"
    page = staff.get("/desk/").get_data(as_text=True)
    link = re.search(r'<a class="btn btn-outline-primary" href="([^"]+)">Urgent</a>', page).group(1)
    assert _queue_refs(
        staff, **dict(pair.split("=") for pair in link.split("?")[1].replace("&amp;", "&").split("&"))
    ) == [p1]
    with demo.app_context():
        view = db.session.scalars(select(SavedView)).one()
        assert view.filters == {"status": "escalated", "priority": "P1", "sort": "sla"}
    other = demo.test_client()
    login(other, "admin@example.com")
    assert "Urgent" not in other.get("/desk/").get_data(as_text=True)
    assert other.post(f"/desk/views/{view.id}/delete").status_code == 404  # not theirs
    assert staff.post(f"/desk/views/{view.id}/delete").status_code == 302
    with demo.app_context():
        assert db.session.scalar(select(SavedView.id)) is None


def test_saving_a_view_under_the_same_name_replaces_it(staff, demo):
    staff.post("/desk/views", data={"name": "Mine", "query": "assignee=mine"})
    staff.post("/desk/views", data={"name": "Mine", "query": "assignee=mine&priority=P2"})
    with demo.app_context():
        assert [v.filters for v in db.session.scalars(select(SavedView))] == [
            {"status": "escalated", "assignee": "mine", "priority": "P2", "sort": "sla"}
        ]


# --- availability -------------------------------------------------------------------------------------------


def test_staff_set_themselves_away_and_back_from_the_header(staff, demo):
    page = staff.get("/desk/").get_data(as_text=True)
    assert 'id="presence" data-state="available"' in page
    response = staff.post("/desk/presence", data={"state": "away", "next": "/desk/?status=all"})
    assert response.headers["Location"] == "/desk/?status=all"
    with demo.app_context():
        stella = user_id("staff@example.com")
        assert db.session.get(User, stella).available is False
    assert 'data-state="away"' in staff.get("/desk/").get_data(as_text=True)
    staff.post("/desk/presence", data={"state": "available", "next": "https://evil.example/"})
    with demo.app_context():
        assert db.session.get(User, stella).available is True
        tools = db.session.scalars(select(ActionLog.detail).where(ActionLog.tool == "desk.presence")).all()
    assert tools == ["away", "available"]


def test_the_presence_redirect_never_leaves_the_site(staff):
    response = staff.post("/desk/presence", data={"state": "away", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_customers_see_no_presence_toggle(customer):
    assert 'id="presence"' not in customer.get("/tickets/").get_data(as_text=True)


def test_team_is_shown_on_the_ticket_and_filters_the_queue(staff, make_ticket, demo):
    from portal.models import Team

    with demo.app_context():
        team = Team(name="Billing")
        db.session.add(team)
        db.session.commit()
        team_id = team.id
    billed = make_ticket(status="escalated", team_id=team_id)
    loose = make_ticket(status="escalated")
    assert _queue_refs(staff, team=str(team_id)) == [billed]
    assert _queue_refs(staff, team="none") == [loose]
    assert '<strong id="ticket-team">Billing</strong>' in staff.get(f"/desk/tickets/{billed}").get_data(
        as_text=True
    )


def test_a_bulk_change_is_limited_to_a_hundred_tickets(staff, make_ticket):
    ref = make_ticket(status="escalated")
    ids = [str(make_ticket.get(ref).id)] + [str(n) for n in range(100_000, 100_100)]
    response = staff.post("/desk/bulk", data={"ticket": ids, "action": "resolve"}, follow_redirects=True)
    assert "At most 100 tickets at once." in _flash(response)
    assert make_ticket.get(ref).status == "escalated"


def test_moving_a_ticket_to_a_team_gives_it_to_a_free_member(staff, make_ticket, demo):
    from portal.models import Team

    with demo.app_context():
        admin = db.session.get(User, user_id("admin@example.com"))
        billing = Team(name="Billing", members=[admin])
        db.session.add(billing)
        db.session.commit()
        billing_id, admin_id = billing.id, admin.id
    ref = make_ticket(status="escalated")
    response = staff.post(f"/desk/tickets/{ref}/team", data={"team": billing_id}, follow_redirects=True)
    assert "Moved to Billing." in _flash(response)
    assert (make_ticket.get(ref).team_id, make_ticket.get(ref).assignee_id) == (billing_id, admin_id)
    tools = [tool for tool, _who, _decision in _log_tools(demo, ref)]
    assert tools == ["desk.team", "desk.route"]
    again = staff.post(f"/desk/tickets/{ref}/team", data={"team": billing_id}, follow_redirects=True)
    assert "in that team already" in _flash(again)
    staff.post(f"/desk/tickets/{ref}/team", data={"team": "0"})
    assert (make_ticket.get(ref).team_id, make_ticket.get(ref).assignee_id) == (
        None,
        admin_id,
    )  # keeps its owner
