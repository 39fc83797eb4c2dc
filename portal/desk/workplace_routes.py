"""Desk views for tags, bulk changes, merges, saved views and availability (thin: validate, act, redirect).

The desk blueprint's staff-only guard covers these. Every change runs under the ticket's customer's lock.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.auth.routes import safe_next_url
from portal.desk import bp, queries, routing, workplace
from portal.desk.choices import ViewChoice, desk_choices
from portal.desk.forms import ActionForm
from portal.desk.routes import _back, _first_error, _ticket_or_404
from portal.desk.workplace_forms import (
    BULK_ACTIONS,
    BulkForm,
    MergeForm,
    PresenceForm,
    SaveViewForm,
    TagForm,
    TeamMoveForm,
    UntagForm,
)
from portal.extensions import db
from portal.models import SavedView, Team, Ticket, User
from portal.services.transaction import customer_transaction


@bp.context_processor
def workplace_context() -> dict:
    """What the shared desk includes need (_bulk, _views, _team), without touching each view.

    Callables, so a page that does not show a part runs no query for it; the lists come from one
    statement per request (portal.desk.choices).
    """
    return {
        "tag_form": TagForm(formdata=None),
        "untag_form": UntagForm(formdata=None),
        "merge_form": MergeForm(formdata=None),
        "view_form": SaveViewForm(formdata=None),
        "saved_views": lambda: desk_choices().views,
        "merged_duplicates": workplace.merged_duplicates,
        "desk_teams": lambda: desk_choices().teams,
        "desk_tags": lambda: desk_choices().tags,
        "bulk_actions": BULK_ACTIONS,
        "view_url": view_url,
        "action_button": ActionForm(formdata=None),
    }


def _queue_back(next_url: str | None):
    return redirect(safe_next_url(next_url or url_for("desk.queue")))


@bp.route("/presence", methods=["POST"])
def presence():
    form = PresenceForm()
    if form.validate_on_submit():
        routing.set_available(current_user, form.state.data == "available")
        db.session.commit()
        flash(
            "You are available for new tickets."
            if current_user.available
            else "You are away: no new tickets."
        )
    else:
        flash("Choose available or away.", "danger")
    return _queue_back(form.next.data)


@bp.route("/tickets/<reference>/tags", methods=["POST"])
def add_tag(reference: str):
    ticket = _ticket_or_404(reference)
    form = TagForm()
    try:
        name = workplace.tag_name(form.name.data or "") if form.validate_on_submit() else None
    except workplace.DeskError as exc:
        name, form.name.errors = None, [str(exc)]
    if name is None:
        flash(_first_error(form) or workplace.TAG_RULE, "danger")
    elif _locked(ticket, workplace.add_tag, ticket, current_user, name):
        flash(f"Tagged {name}.", "success")
    else:
        flash(f"The ticket already has the tag {name}.", "info")
    return _back(ticket)


@bp.route("/tickets/<reference>/tags/remove", methods=["POST"])
def remove_tag(reference: str):
    ticket = _ticket_or_404(reference)
    form = UntagForm()
    if form.validate_on_submit() and _locked(
        ticket, workplace.remove_tag, ticket, current_user, form.name.data
    ):
        flash(f"Tag {form.name.data} removed.", "success")
    else:
        flash("The ticket does not have that tag.", "info")
    return _back(ticket)


def _locked(ticket: Ticket, action, *args):
    with customer_transaction(ticket.customer_id):
        return action(*args)


@bp.route("/tickets/<reference>/team", methods=["POST"])
def move_team(reference: str):
    ticket = _ticket_or_404(reference)
    form = TeamMoveForm()
    wanted = form.team.data if form.validate_on_submit() else None
    team = db.session.get(Team, wanted) if wanted and 0 < wanted < 2**31 else None
    if wanted is None or (wanted and team is None):
        flash(_first_error(form) or "Pick a team.", "danger")
    elif _locked(ticket, workplace.move_to_team, ticket, current_user, team):
        flash(f"Moved to {team.name}." if team else "Moved out of any team.", "success")
    else:
        flash("The ticket is in that team already.", "info")
    return _back(ticket)


@bp.route("/tickets/<reference>/merge", methods=["POST"])
def merge(reference: str):
    duplicate = _ticket_or_404(reference)
    form = MergeForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "danger")
        return _back(duplicate)
    target_ref = form.target.data.strip().upper()
    target = db.session.scalar(select(Ticket).where(Ticket.reference == target_ref))
    with customer_transaction(duplicate.customer_id):  # both tickets are this customer's, or refused
        refusal = workplace.merge_refusal(duplicate, target)
        if refusal is None:
            workplace.merge(duplicate, target, current_user)
    if refusal:
        flash(f"Not merged: {refusal}", "danger")
        return _back(duplicate)
    flash(f"{duplicate.reference} merged into {target.reference}; the customer was told.", "success")
    return redirect(url_for("desk.ticket", reference=target.reference))


@bp.route("/bulk", methods=["POST"])
def bulk():
    form = BulkForm()
    refusal, assignee, tag = _bulk_parts(form)
    if refusal:
        flash(f"Nothing changed: {refusal}", "danger")
        return _queue_back(form.next.data)
    change = workplace.bulk_change(form.action.data, current_user, assignee, tag)
    result = workplace.bulk_apply(form.ticket.data, change)
    flash(_bulk_words(form.action.data, result), "success" if result.changed else "info")
    return _queue_back(form.next.data)


def _bulk_parts(form: BulkForm) -> tuple[str | None, User | None, str | None]:
    """(why not, the assignee, the tag): what the form asks for, checked before any ticket is touched."""
    if not form.validate_on_submit():
        return _first_error(form), None, None
    if form.action.data == "assign":
        assignee = {u.id: u for u in queries.staff_members()}.get(form.assignee.data)
        return (None if assignee else "Pick an active staff member."), assignee, None
    if form.action.data == "tag":
        try:
            return None, None, workplace.tag_name(form.tag.data or "")
        except workplace.DeskError as exc:
            return str(exc), None, None
    return None, None, None


def _bulk_words(action: str, result: workplace.BulkResult) -> str:
    done = {"assign": "assigned", "tag": "tagged", "resolve": "resolved"}[action]
    words = f"{result.changed} ticket{'' if result.changed == 1 else 's'} {done}"
    if result.unchanged:
        words += f", {result.unchanged} already so"
    if result.missing:
        words += f", {result.missing} not found"
    return words + "."


@bp.route("/views", methods=["POST"])
def save_view():
    form = SaveViewForm()
    if not form.validate_on_submit():
        flash(_first_error(form), "danger")
        return redirect(url_for("desk.queue"))
    filters = queries.QueueFilters.from_args(MultiDict(parse_qsl(form.query.data or ""))).args()
    name = form.name.data.strip()
    try:
        workplace.save_view(current_user, name, filters)
    except workplace.DeskError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("desk.queue", **filters))
    db.session.commit()
    flash(f"Saved the view {name}.", "success")
    return redirect(url_for("desk.queue", **filters))


@bp.route("/views/<int(max=2147483647):view_id>/delete", methods=["POST"])
def delete_view(view_id: int):
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != current_user.id:
        abort(404)  # views are personal: someone else's is not found
    if not ActionForm().validate_on_submit():
        abort(400)
    db.session.delete(view)
    db.session.commit()
    flash(f"Deleted the view {view.name}.", "success")
    return redirect(url_for("desk.queue"))


def view_url(view: ViewChoice) -> str:
    """The queue with the view's filters (only known filter names survive QueueFilters)."""
    return url_for("desk.queue") + ("?" + urlencode(view.filters) if view.filters else "")
