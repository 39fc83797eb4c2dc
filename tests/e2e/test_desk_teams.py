"""Teams and routing in Chromium: an admin sets up Billing, a payment ticket is routed there and
auto-assigned; staff tag, bulk-resolve and merge from the desk; the pages fit a 390 px screen."""

from __future__ import annotations

import pytest

from tests.e2e.test_flows import open_ticket, wait_for_agent
from tests.e2e.test_narrow_screens import PHONE, scroll_width

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def set_up_billing(person) -> None:
    """Billing with Stella in it and a rule sending payment problems and refunds there, through the page."""
    page = person.page
    person.go("/admin/teams")
    page.fill("#new-team input[name=name]", "Billing")
    page.click("#new-team button[type=submit]")
    page.wait_for_selector("text=Created the team Billing.")
    team = page.locator(".team[data-team=Billing]")
    team.locator("select[name=user_id]").select_option(label="Stella Staff")
    team.locator("button:has-text('Add member')").click()
    page.wait_for_selector("text=Stella Staff joined Billing.")
    page.fill("#new-rule input[name=intents]", "payment_issue, get_refund")
    page.click("#new-rule button[type=submit]")
    page.wait_for_selector("text=Rule added: matching tickets go to Billing.")


def test_a_payment_ticket_is_routed_to_billing_and_auto_assigned(people, site):
    set_up_billing(people("admin@example.com"))
    casey = people("customer@example.com")
    ref = open_ticket(
        casey, "Charged twice", "I was charged twice for my order A1001, please fix the payment."
    )
    wait_for_agent(casey)
    stella = people("staff@example.com")
    stella.go("/desk/?status=escalated&assignee=mine")
    row = stella.page.locator(f"tr[data-reference='{ref}']")
    assert "Billing" in row.inner_text() and "Stella Staff" in row.inner_text()
    row.locator("a").first.click()
    assert stella.page.inner_text("#ticket-team") == "Billing"
    assert stella.page.inner_text("#assignee") == "Stella Staff"
    assert "desk.route" in stella.page.inner_text("#action-log")
    ticket = site.ticket_row(ref)
    assert (ticket.intent, ticket.status) == ("payment_issue", "escalated")


def test_an_away_member_gets_nothing_and_the_ticket_waits_in_the_team_queue(people, site):
    set_up_billing(people("admin@example.com"))
    stella = people("staff@example.com")
    stella.go("/desk/")
    stella.page.click("#presence")
    stella.page.wait_for_selector("#presence[data-state=away]")
    casey = people("customer@example.com")
    ref = open_ticket(casey, "Payment problem", "My payment failed but money was taken from my card")
    wait_for_agent(casey)
    ticket = site.ticket_row(ref)
    assert ticket.assignee_id is None and ticket.team_id is not None
    stella.go(f"/desk/?team={site.ticket_row(ref).team_id}&assignee=unassigned")
    assert stella.page.locator(f"tr[data-reference='{ref}']").count() == 1


def test_staff_tag_bulk_resolve_and_merge_from_the_desk(people, site):
    from tests.e2e.test_desk_queue import _escalated_ticket

    first = _escalated_ticket(site, "Lamp broke")
    second = _escalated_ticket(site, "Lamp broke (again)")
    third = _escalated_ticket(site, "Unrelated question")
    stella = people("staff@example.com")
    stella.go(f"/desk/tickets/{first}")
    stella.page.fill("#team-tags input[name=name]", "Lamp")
    stella.page.click("#team-tags button:has-text('Add tag')")
    stella.page.wait_for_selector("text=Tagged lamp.")
    stella.go(f"/desk/tickets/{second}")
    stella.page.fill("#merge-form input[name=target]", first)
    stella.page.click("#merge-form button[type=submit]")
    stella.page.wait_for_selector(f"text={second} merged into {first}")
    assert second in stella.page.inner_text("#merged-duplicates")
    stella.go("/desk/?tag=lamp")
    assert stella.page.locator("tr[data-reference]").count() == 1
    stella.go("/desk/?status=escalated")
    stella.page.check(f"tr[data-reference='{third}'] input.bulk-pick")
    stella.page.select_option("#bulk-action", "resolve")
    stella.page.click("#bulk-apply")
    stella.page.wait_for_selector("text=1 ticket resolved.")
    assert site.ticket_row(third).status == "resolved" and site.ticket_row(second).status == "resolved"
    stella.go("/desk/?tag=lamp&status=all")
    stella.page.fill("#save-view input[name=name]", "Lamps")
    stella.page.click("#save-view button[type=submit]")
    stella.page.wait_for_selector("text=Saved the view Lamps.")
    stella.go("/desk/")
    stella.page.click("#saved-views a:has-text('Lamps')")
    assert stella.page.locator("tr[data-reference]").count() == 1


@pytest.mark.parametrize(
    ("email", "path", "landmarks"),
    [
        ("staff@example.com", "/desk/", ["#bulk-form", "#saved-views", "#presence"]),
        ("staff@example.com", "/desk/tickets/{ref}", ["#team-tags", "#merge-form"]),
        ("admin@example.com", "/admin/teams", ["#new-team", "#new-rule", "#routing-rules"]),
        ("admin@example.com", "/admin/", ["#desk-metrics", "#desk-range"]),
    ],
)
def test_desk_pages_fit_a_390_px_screen(people, site, email, path, landmarks):
    from tests.e2e.test_desk_queue import _escalated_ticket

    ref = _escalated_ticket(site, "A rather long subject line that would like to push the table wider")
    admin = people("admin@example.com")
    set_up_billing(admin)  # a team, a member and a rule: every part of the pages is drawn
    person = admin if email == "admin@example.com" else people(email)
    person.page.set_viewport_size(PHONE)
    width = scroll_width(person, path.format(ref=ref))
    for landmark in landmarks:
        assert person.page.locator(landmark).count() >= 1, landmark
    if width > PHONE["width"]:
        person.shot(f"narrow-{path.strip('/').replace('/', '-').replace('{ref}', 'ticket')}")
    assert width <= PHONE["width"], f"{path} is {width} px wide at {PHONE['width']} px"
