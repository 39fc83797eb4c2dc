"""Canned-reply pages: staff manage their own on the desk, admins the shared ones (portal.admin.routes
reuses the views below), and the reply box's picker asks for them filled in for one ticket."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.desk import bp, canned
from portal.desk.forms import ActionForm, CannedReplyForm
from portal.extensions import db
from portal.models import Ticket


@dataclass(frozen=True)
class Scope:
    """Whose replies a page manages, and the endpoints of its list, edit and delete views."""

    owner_id: int | None  # None: the shared replies
    heading: str
    list_endpoint: str
    edit_endpoint: str
    delete_endpoint: str


def personal_scope() -> Scope:
    return Scope(
        current_user.id, "My canned replies", "desk.canned_replies", "desk.edit_canned", "desk.delete_canned"
    )


def shared_scope() -> Scope:
    return Scope(None, "Shared canned replies", "admin.canned", "admin.edit_canned", "admin.delete_canned")


def list_view(scope: Scope):
    """The scope's replies and a form for a new one (POST creates it)."""
    form = CannedReplyForm()
    if request.method == "POST":
        if form.validate_on_submit():
            reply = canned.save(None, form.title.data, form.body.data, scope.owner_id)
            db.session.commit()
            flash(f"Saved \u201c{reply.title}\u201d.", "success")
            return redirect(url_for(scope.list_endpoint))
        return _page(scope, form), 400
    return _page(scope, CannedReplyForm(formdata=None))


def _page(scope: Scope, form: CannedReplyForm, editing=None):
    shared = canned.owned_by(None) if scope.owner_id is not None else []
    return render_template(
        "desk/canned.html",
        scope=scope,
        replies=canned.owned_by(scope.owner_id),
        shared=shared,
        form=form,
        editing=editing,
        action_form=ActionForm(formdata=None),
        placeholders=canned.PLACEHOLDERS,
    )


def edit_view(scope: Scope, reply_id: int):
    reply = canned.get_owned(reply_id, scope.owner_id) or abort(404)
    form = CannedReplyForm(obj=reply) if request.method == "GET" else CannedReplyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _page(scope, form, editing=reply), 400
        canned.save(reply, form.title.data, form.body.data, scope.owner_id)
        db.session.commit()
        flash(f"Saved \u201c{reply.title}\u201d.", "success")
        return redirect(url_for(scope.list_endpoint))
    return _page(scope, form, editing=reply)


def delete_view(scope: Scope, reply_id: int):
    reply = canned.get_owned(reply_id, scope.owner_id) or abort(404)
    if ActionForm().validate_on_submit():
        db.session.delete(reply)
        db.session.commit()
        flash(f"Deleted \u201c{reply.title}\u201d.", "success")
    return redirect(url_for(scope.list_endpoint))


@bp.route("/canned", methods=["GET", "POST"])
def canned_replies():
    return list_view(personal_scope())


@bp.route("/canned/<int(max=2147483647):reply_id>/edit", methods=["GET", "POST"])
def edit_canned(reply_id: int):
    return edit_view(personal_scope(), reply_id)


@bp.route("/canned/<int(max=2147483647):reply_id>/delete", methods=["POST"])
def delete_canned(reply_id: int):
    return delete_view(personal_scope(), reply_id)


@bp.route("/tickets/<reference>/canned")
def canned_for_ticket(reference: str):
    """The picker's list: own and shared replies matching ?q=, filled in for this ticket (plain text)."""
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference)) or abort(404)
    values = canned.values_for(ticket, current_user)
    replies = canned.visible_to(current_user, request.args.get("q", ""), limit=canned.PICKER_LIMIT)
    return jsonify(
        replies=[
            {"id": r.id, "title": r.title, "shared": r.shared, "text": canned.render(r.body, values)}
            for r in replies
        ]
    )
