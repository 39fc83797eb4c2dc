"""The customer ticket list: last update, unread staff replies, search; the page keeps polling (issue 11)."""

from __future__ import annotations

from datetime import timedelta

from portal.models import utcnow


def listing(client, query: str = "") -> str:
    return client.get("/tickets/" + (f"?q={query}" if query else "")).get_data(as_text=True)


def test_list_shows_the_last_update_and_sorts_by_it(customer, make_ticket):
    old = make_ticket(subject="Old question", created_at=utcnow() - timedelta(days=3))
    new = make_ticket(subject="New question", created_at=utcnow() - timedelta(days=1))
    when = utcnow() + timedelta(minutes=5)
    make_ticket.add_message(old, author_kind="staff", body="We are on it.", created_at=when)
    page = listing(customer)
    assert page.index(old) < page.index(new)  # the staff reply makes the old ticket the latest
    assert f'<time datetime="{when.isoformat()}">{when.strftime("%d %b %Y %H:%M UTC")}</time>' in page


def test_unread_staff_reply_is_marked_until_the_ticket_is_opened(customer, make_ticket):
    ref = make_ticket(subject="Broken kettle")
    quiet = make_ticket(subject="Agent only")
    make_ticket.add_message(quiet, author_kind="agent", body="Here is the answer.")
    make_ticket.add_message(ref, author_kind="staff", body="A person replies.")
    make_ticket.add_message(ref, author_kind="staff", body="Internal.", internal=True)
    page = listing(customer)
    assert page.count("New reply") == 1 and f'data-reference="{ref}" data-unread="true"' in page
    customer.get(f"/tickets/{ref}")
    assert "New reply" not in listing(customer)
    make_ticket.add_message(
        ref, author_kind="staff", body="And another thing.", created_at=utcnow() + timedelta(seconds=2)
    )
    assert "New reply" in listing(customer)


def test_internal_notes_never_mark_a_ticket_unread(customer, make_ticket):
    ref = make_ticket()
    make_ticket.add_message(ref, author_kind="staff", body="Only for staff.", internal=True)
    assert "New reply" not in listing(customer)


def test_search_by_subject_reference_and_text(customer, make_ticket):
    lamp = make_ticket(subject="Lamp flickers", body="The bulb buzzes.")
    parcel = make_ticket(subject="Where is my parcel", body="Tracking says nothing.")
    make_ticket.add_message(parcel, author_kind="staff", body="It left the depot today.")
    make_ticket.add_message(parcel, author_kind="staff", body="zebra note", internal=True)
    other = make_ticket(email="second@example.com", subject="Lamp too", body="Someone else's lamp")

    def found(query):
        page = listing(customer, query)
        return {ref for ref in (lamp, parcel, other) if ref in page}

    assert found("lamp") == {lamp}  # never another customer's ticket
    assert found(parcel.lower()) == {parcel}
    assert found("buzzes") == {lamp}
    assert found("DEPOT") == {parcel}
    assert found("zebra") == set()  # internal notes are not searched
    assert found("100%25") == set() and "No ticket matches" in listing(customer, "100%25")  # % is literal
    assert 'name="q"' in listing(customer) and 'value="lamp"' in listing(customer, "lamp")


def test_the_page_keeps_polling_after_the_answer(customer, make_ticket):
    ref = make_ticket(status="answered")
    page = customer.get(f"/tickets/{ref}").get_data(as_text=True)
    assert 'data-status="answered"' in page and 'data-idle-poll-ms="10000"' in page
    assert 'data-last-message-id="' in page
    script = customer.get("/static/ticket.js").get_data(as_text=True)
    assert "slow" in script and "last_message_id" in script
