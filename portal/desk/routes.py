"""Staff desk views: the queue and the ticket workbench (thin: validate, call portal.desk.actions, commit).

Changes run in `customer_transaction` (the ticket's customer's lock, then a fresh read of the ticket): two
staff members clicking at once, or one clicking twice, take effect once.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.config import settings
from portal.desk import actions, bp, drafts, queries, search, staff_actions
from portal.desk.choices import desk_choices
from portal.desk.forms import ActionForm, AssignForm, NoteForm, RefundDecisionForm, StaffReplyForm
from portal.desk.queue_page import queue_page
from portal.desk.staff_words import action_flash, approval_flash
from portal.extensions import db
from portal.models import (
    ActionLog,
    AgentRun,
    AuthorKind,
    Draft,
    Message,
    Order,
    Refund,
    Ticket,
    User,
    utcnow,
)
from portal.services.transaction import customer_transaction
from portal.support.actions import is_repeat_message
from portal.support.outcomes import describe_outcome, effect_references


@bp.before_request
@login_required
def staff_only():
    """Customers get a 404: desk URLs reveal nothing."""
    if not current_user.is_staff:
        abort(404)


def _ticket_or_404(reference: str) -> Ticket:
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
    if ticket is None:
        abort(404)
    return ticket


def _back(ticket: Ticket):
    return redirect(url_for("desk.ticket", reference=ticket.reference))


@bp.route("/")
def queue():
    filters = queries.QueueFilters.from_args(request.args)
    page = queue_page(filters, current_user.id, queries.page_number(request.args))
    now = utcnow()
    counts, reasons = queries.waiting_summary(current_user.id, now)
    return render_template(
        "desk/queue.html",
        page=page,
        filters=filters,
        now=now,
        refresh_ms=int(settings().desk.refresh_seconds * 1000),
        counts=counts,
        reasons=reasons,
        staff=desk_choices().staff,
        statuses=queries.STATUS_CHOICES,
        sorts=queries.SORTS,
        overdue=queries.overdue,
    )


@bp.route("/search")
def search_page():
    query = search.clean_query(request.args.get("q"))
    hits = search.find(query)
    page = search.page_number(request.args)
    return render_template(
        "desk/search.html",
        query=query,
        total=len(hits),
        capped=len(hits) >= search.MAX_RESULTS,
        page=page,
        pages=max(1, -(-len(hits) // search.PER_PAGE)),
        results=search.page_of(hits, page, query),
        labels=search.MATCH_LABELS,
    )


@bp.route("/tickets/<reference>")
def ticket(reference: str):
    return render_template("desk/ticket.html", **_workbench(_ticket_or_404(reference)))


def _workbench(ticket: Ticket, **forms) -> dict:
    messages = db.session.scalars(
        select(Message)
        .where(Message.ticket_id == ticket.id)
        .options(selectinload(Message.author))
        .order_by(Message.id)
    ).all()
    refs = effect_references(ticket.id)
    assign_form = forms.get("assign_form") or AssignForm(formdata=None)
    staff = queries.staff_members()
    assign_form.assignee.choices = [(u.id, u.name) for u in staff]
    if assign_form.assignee.data is None:
        assign_form.assignee.data = ticket.assignee_id or current_user.id
    draft = drafts.pending_for(ticket.id)
    return {
        "draft": draft,
        "reply_form": forms.get("reply_form") or _reply_form(draft),
        "ticket": ticket,
        "now": utcnow(),
        "messages": messages,
        "outcomes": {m.id: describe_outcome(m.outcome, refs) for m in messages if m.outcome},
        "runs": db.session.scalars(
            select(AgentRun).where(AgentRun.ticket_id == ticket.id).order_by(AgentRun.id)
        ).all(),
        "log": db.session.scalars(
            select(ActionLog).where(ActionLog.ticket_id == ticket.id).order_by(ActionLog.id)
        ).all(),
        "refunds": db.session.scalars(
            select(Refund).where(Refund.ticket_id == ticket.id).order_by(Refund.id)
        ).all(),
        "orders": db.session.scalars(
            select(Order)
            .where(Order.customer_id == ticket.customer_id)
            .order_by(Order.placed_at.desc())
            .limit(10)
        ).all(),
        "agent_busy": actions.agent_busy(ticket),
        "action_form": ActionForm(formdata=None),
        "note_form": forms.get("note_form") or NoteForm(formdata=None),
        "assign_form": assign_form,
        "decision_form": RefundDecisionForm(formdata=None),
        "open_action": forms.get("open_action"),
        **staff_actions.all_forms(ticket, forms.get("posted_action") or {}),
    }


def _reply_form(draft) -> StaffReplyForm:
    """The reply box, holding the agent's pending draft (if any) ready to edit and send."""
    form = StaffReplyForm(formdata=None)
    if draft is not None:
        form.body.data, form.draft_id.data = draft.body, str(draft.id)
    return form


@bp.route("/tickets/<reference>/claim", methods=["POST"])
def claim(reference: str):
    ticket = _ticket_or_404(reference)
    if not ActionForm().validate_on_submit():
        flash("Nothing changed.", "info")
        return _back(ticket)
    result = _locked(ticket, actions.claim, ticket, current_user)
    flash(*_claim_flash(ticket.reference, result))
    return _back(ticket)


def _claim_flash(reference: str, result: actions.ClaimResult) -> tuple[str, str]:
    if result.taken:
        return f"You own {reference} now.", "success"
    if result.owner_is_claimant:
        return "Nothing changed: the ticket is already yours.", "info"
    owner = result.owner_name or "another staff member"
    return f"Not claimed: {owner} already owns {reference}. Use Assign to take it over.", "warning"


@bp.route("/tickets/<reference>/assign", methods=["POST"])
def assign(reference: str):
    ticket = _ticket_or_404(reference)
    form = AssignForm()
    form.assignee.choices = [(u.id, u.name) for u in queries.staff_members()]
    if not form.validate_on_submit():
        flash("Pick an active staff member.", "danger")
        return _back(ticket)
    assignee = db.session.get(User, form.assignee.data)
    if _locked(ticket, actions.assign, ticket, assignee, current_user):
        flash(f"Assigned to {assignee.name}.", "success")
    else:
        flash(f"{assignee.name} already owns this ticket.", "info")
    return _back(ticket)


@bp.route("/tickets/<reference>/reply", methods=["POST"])
def reply(reference: str):
    ticket = _ticket_or_404(reference)
    form = StaffReplyForm()
    if not form.validate_on_submit():
        return render_template("desk/ticket.html", **_workbench(ticket, reply_form=form)), 400
    draft_id = int(form.draft_id.data) if form.draft_id.data else None
    _locked(ticket, _reply_once, ticket, form.body.data, draft_id)
    flash("Reply sent to the customer.", "success")
    return _back(ticket)


@bp.route("/tickets/<reference>/note", methods=["POST"])
def note(reference: str):
    ticket = _ticket_or_404(reference)
    form = NoteForm()
    if not form.validate_on_submit():
        return render_template("desk/ticket.html", **_workbench(ticket, note_form=form)), 400
    _locked(ticket, actions.add_note, ticket, current_user, form.body.data)
    flash("Internal note added (the customer does not see it).", "success")
    return _back(ticket)


def _locked(ticket: Ticket, action, *args):
    """Run the action under the customer's lock (the ticket is re-read inside) and commit; its result."""
    with customer_transaction(ticket.customer_id):
        return action(*args)


def _reply_once(ticket: Ticket, body: str, draft_id: int | None = None) -> None:
    """Send the reply unless the same text went out from this person moments ago (a double click);
    a reply that started as the agent's draft records whether it was sent as written or edited."""
    if is_repeat_message(ticket, AuthorKind.STAFF.value, current_user.id, body):
        return
    message = actions.reply(ticket, current_user, body)
    draft = drafts.pending_by_id(ticket.id, draft_id)
    if draft is not None:
        db.session.flush()  # the message's id
        drafts.mark_sent(draft, current_user, message)


@bp.route("/tickets/<reference>/drafts/<int(max=2147483647):draft_id>/discard", methods=["POST"])
def discard_draft(reference: str, draft_id: int):
    ticket = _ticket_or_404(reference)
    draft = db.session.get(Draft, draft_id)
    if draft is None or draft.ticket_id != ticket.id:
        abort(404)
    if ActionForm().validate_on_submit() and _locked(ticket, _discard, ticket.id, draft_id):
        flash("Draft discarded.", "success")
    else:
        flash("Nothing changed.", "info")
    return _back(ticket)


def _discard(ticket_id: int, draft_id: int) -> bool:
    draft = drafts.pending_by_id(ticket_id, draft_id)  # re-read under the lock: sent or discarded meanwhile
    if draft is None:
        return False
    drafts.discard(draft, current_user)
    return True


@bp.route("/tickets/<reference>/resolve", methods=["POST"])
def resolve(reference: str):
    return _simple_action(reference, actions.resolve, "Ticket resolved.", "The ticket is already resolved.")


@bp.route("/tickets/<reference>/reopen", methods=["POST"])
def reopen(reference: str):
    return _simple_action(
        reference, actions.reopen, "Ticket reopened.", "Only a resolved ticket can be reopened."
    )


@bp.route("/tickets/<reference>/rerun", methods=["POST"])
def rerun(reference: str):
    return _simple_action(
        reference,
        actions.rerun_agent,
        "The agent will look at the ticket again.",
        "The agent is already working on this ticket.",
    )


def _simple_action(reference: str, action, done: str, unchanged: str):
    ticket = _ticket_or_404(reference)
    if ActionForm().validate_on_submit() and _locked(ticket, action, ticket, current_user):
        flash(done, "success")
    else:
        flash(unchanged, "info")
    return _back(ticket)


# max: a larger id is simply not found (the database column is a 32-bit integer).
@bp.route("/tickets/<reference>/refunds/<int(max=2147483647):refund_id>", methods=["POST"])
def decide_refund(reference: str, refund_id: int):
    ticket = _ticket_or_404(reference)
    refund = db.session.get(Refund, refund_id)
    if refund is None or refund.ticket_id != ticket.id:
        abort(404)
    form = RefundDecisionForm()
    if not form.validate_on_submit() or not (form.approve.data or form.reject.data):
        flash(_first_error(form) or "Choose Approve or Reject.", "danger")
        return _back(ticket)
    result = actions.decide_refund(
        ticket,
        refund,
        current_user,
        approve=bool(form.approve.data),
        note=form.note.data or "",
        reason=form.reason.data or None,
        customer_note=form.customer_note.data or "",
    )
    flash(*_decision_flash(result, approve=bool(form.approve.data)))
    return redirect(url_for("desk.ticket", reference=reference))


def _first_error(form) -> str | None:
    for name, errors in form.errors.items():
        if errors:
            return f"{getattr(form, name).label.text}: {errors[0]}"
    return None


def _decision_flash(result, approve: bool) -> tuple[str, str]:
    if result.replayed:
        return f"Already decided earlier: {result.message}", "info"
    if approve and result.outcome != "done":
        return approval_flash(result)
    return (f"Refund {'approved' if approve else 'rejected'}: {result.message}", "success")


@bp.route(
    "/tickets/<reference>/act/<any(refund, replacement, cancel, change_address):tool>", methods=["POST"]
)
def staff_action(reference: str, tool: str):
    """A refund, replacement, cancellation or address change for the ticket's customer (same rules as
    the agent; an admin may override a limit with a reason)."""
    ticket = _ticket_or_404(reference)
    orders = staff_actions.customer_orders(ticket)
    form = staff_actions.build_form(tool, ticket, orders)
    args = staff_actions.tool_args(tool, form, orders) if form.validate_on_submit() else None
    if not isinstance(args, dict):
        if isinstance(args, str):
            form.lines.errors = [args]
        page = _workbench(ticket, posted_action={tool: form}, open_action=tool)
        return render_template("desk/ticket.html", **page), 400
    result = staff_actions.act(
        ticket,
        current_user,
        tool,
        args,
        override=form.override_given(),
        request_key=form.request_key.data,
    )
    flash(*action_flash(result))
    return _back(ticket)
