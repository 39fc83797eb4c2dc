"""Desk actions beyond one ticket's workbench: tags, bulk changes, merging duplicates, saved views.

Like portal.desk.actions, each adds to the session and logs with the staff member's name; callers commit
(one ticket at a time under its customer's lock, so a bulk change is many small, independent changes).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from portal.desk import actions, routing
from portal.desk.actions import _log
from portal.extensions import db
from portal.mailer.notifications import notify
from portal.models import AuthorKind, Message, SavedView, Tag, Team, Ticket, TicketStatus, User, utcnow
from portal.services.transaction import customer_transaction

TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
TAG_RULE = "A tag is 1 to 40 lower-case letters, digits, dashes or underscores."
MAX_VIEWS = 20  # per person: the list sits in the desk's header


class DeskError(ValueError):
    """A refused desk change, with a message for the staff member."""


def tag_name(raw: str) -> str:
    """'Carrier delay ' -> 'carrier-delay'; refused when nothing sensible is left."""
    name = re.sub(r"\s+", "-", (raw or "").strip().lower())
    if not TAG_PATTERN.match(name):
        raise DeskError(TAG_RULE)
    return name


def _tag(name: str) -> Tag:
    tag = db.session.scalar(select(Tag).where(Tag.name == name))
    if tag is None:
        tag = Tag(name=name)
        db.session.add(tag)
        db.session.flush()
    return tag


def add_tag(ticket: Ticket, staff: User, name: str) -> bool:
    """Put the tag on the ticket; False when it already had it."""
    tag = _tag(name)
    if tag in ticket.tags:
        return False
    ticket.tags.append(tag)
    _log(ticket, staff, "desk.tag", f"+{name}")
    return True


def remove_tag(ticket: Ticket, staff: User, name: str) -> bool:
    tag = next((t for t in ticket.tags if t.name == name), None)
    if tag is None:
        return False
    ticket.tags.remove(tag)
    _log(ticket, staff, "desk.untag", f"-{name}")
    return True


def move_to_team(ticket: Ticket, staff: User, team: Team | None) -> bool:
    """Put the ticket in another team's queue (or none); an unowned ticket then goes to a free member."""
    if ticket.team_id == (team.id if team else None):
        return False
    ticket.team_id = team.id if team else None
    _log(ticket, staff, "desk.team", f"moved to {team.name}" if team else "moved out of any team")
    if team is not None:
        routing.route(ticket)
    return True


# --- bulk ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkResult:
    changed: int
    unchanged: int
    missing: int


def bulk_apply(ticket_ids: list[int], change: Callable[[Ticket], bool]) -> BulkResult:
    """Apply `change` to each ticket in its own customer-locked transaction (one ticket, one commit).

    A ticket that vanished or did not need the change is counted, never an error: the others still change.
    """
    changed = unchanged = missing = 0
    for ticket_id in dict.fromkeys(ticket_ids):  # a repeated id counts once
        customer_id = db.session.scalar(select(Ticket.customer_id).where(Ticket.id == ticket_id))
        if customer_id is None:
            missing += 1
            continue
        with customer_transaction(customer_id):
            ticket = db.session.get(Ticket, ticket_id, populate_existing=True)
            if change(ticket):
                changed += 1
            else:
                unchanged += 1
    return BulkResult(changed, unchanged, missing)


def bulk_change(action: str, staff: User, assignee: User | None, tag: str | None) -> Callable[[Ticket], bool]:
    """The per-ticket change a bulk form asks for (the same functions as the single-ticket buttons)."""
    if action == "assign":
        return lambda ticket: actions.assign(ticket, assignee, staff)
    if action == "tag":
        return lambda ticket: add_tag(ticket, staff, tag)
    return lambda ticket: actions.resolve(ticket, staff)


# --- merge --------------------------------------------------------------------------------------------------


def merge_refusal(duplicate: Ticket, target: Ticket | None) -> str | None:
    """Why the duplicate cannot be merged into the target, or None when it can."""
    if target is None:
        return "No ticket has that reference."
    if target.id == duplicate.id:
        return "A ticket cannot be merged into itself."
    if target.customer_id != duplicate.customer_id:
        return "Only tickets of the same customer can be merged."
    if duplicate.merged_into_id is not None:
        return "This ticket was already merged."
    if target.merged_into_id is not None:
        return f"{target.reference} was itself merged into another ticket; merge into that one."
    return None


def merge(duplicate: Ticket, target: Ticket, staff: User) -> Message:
    """Close the duplicate with a pointer to the target; the customer is told by a reply on the duplicate.

    The duplicate's messages stay where they are (its record is unchanged) and the target's page links
    them, so nothing the customer wrote is copied or lost.
    """
    text = (
        f"We merged this request into ticket {target.reference} ({target.subject}) so that everything is "
        f"answered in one place. Please reply on {target.reference}."
    )
    message = Message(author_kind=AuthorKind.STAFF.value, author_id=staff.id, body=text)
    duplicate.messages.append(message)
    duplicate.merged_into_id = target.id
    duplicate.human_involved = True
    duplicate.status, duplicate.resolved_at = TicketStatus.RESOLVED.value, utcnow()
    db.session.flush()  # the message id makes the email's dedupe key
    notify("staff_replied", duplicate, message=message)
    _log(duplicate, staff, "desk.merge", f"merged into {target.reference}")
    _log(target, staff, "desk.merge", f"{duplicate.reference} merged into this ticket")
    return message


def merged_duplicates(ticket_id: int) -> list[Ticket]:
    return list(
        db.session.scalars(select(Ticket).where(Ticket.merged_into_id == ticket_id).order_by(Ticket.id))
    )


# --- saved views --------------------------------------------------------------------------------------------


def save_view(user: User, name: str, filters: dict[str, str]) -> SavedView:
    """Save (or overwrite, by name) the person's view of the queue; at most MAX_VIEWS each."""
    view = db.session.scalar(select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name))
    if view is None:
        count = db.session.scalar(select(func.count()).where(SavedView.user_id == user.id))
        if count >= MAX_VIEWS:
            raise DeskError(f"You have {MAX_VIEWS} saved views already; delete one first.")
        view = SavedView(user_id=user.id, name=name)
        db.session.add(view)
    view.filters = filters
    return view
