"""Customer ticket pages: thin Post/Redirect/Get views over portal.support.tickets and portal.support.actions.

Every change runs in `customer_transaction`: writers for one customer are serialized and read the ticket
after the lock, so a double click or two tabs take effect once (and SQLite never sees a stale write).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, update

from portal.auth.access import own_order_or_404, own_ticket_or_404
from portal.config import settings
from portal.extensions import db, limiter
from portal.jobs import deferred, queue
from portal.models import AgentRun, AuthorKind, Message, Order, Ticket, TicketStatus, utcnow
from portal.services import help_center
from portal.services.help_center import HELP_VISIT_KEY
from portal.services.transaction import customer_transaction
from portal.support import actions, bp
from portal.support.forms import (
    EscalateForm,
    NewTicketForm,
    NotSatisfiedForm,
    ReplyForm,
    SatisfiedForm,
)
from portal.support.listing import SEARCH_MAX, customer_tickets
from portal.support.outcomes import describe_outcome, effect_references
from portal.support.tickets import TicketError, add_customer_reply, open_ticket

WORKING = (TicketStatus.NEW.value, TicketStatus.PROCESSING.value)
STATUS_WORDS = {
    "new": "Your message is in the queue; our assistant will pick it up in a moment.",
    "processing": "Our assistant is reading your message and checking our policies…",
    "answered": "Answered.",
    "escalated": "A member of our support team is looking at this.",
    "resolved": "Resolved.",
}
# While Redis is down the ticket is stored but its job waits (portal.jobs.deferred): say so, not
# "in a moment".
WAITS = "Our assistant is briefly unavailable and will answer as soon as it is back; no need to send again."
WAITING_WORDS = f"Your message is saved. {WAITS}"


def _agent_waits(ticket: Ticket) -> bool:
    return ticket.status == TicketStatus.NEW.value and deferred.is_waiting(queue.PROCESS_TICKET, ticket.id)


def _status_words(ticket: Ticket) -> str:
    return WAITING_WORDS if _agent_waits(ticket) else STATUS_WORDS.get(ticket.status, "")


def _user_key() -> str:
    """Rate limits count per signed-in customer, not per shared office IP."""
    return f"user:{current_user.id}" if current_user.is_authenticated else request.remote_addr or "-"


def _ticket_limit() -> str:
    return settings().rate_limits.ticket


def _reply_limit() -> str:
    return settings().rate_limits.reply


@bp.before_request
@login_required
def customers_only():
    """Staff work tickets from the desk; these pages are the customer's own."""
    if current_user.is_staff:
        abort(404)


@bp.route("/")
def index():
    search = request.args.get("q", "").strip()[:SEARCH_MAX]
    rows = customer_tickets(current_user.id, search)
    return render_template("tickets/index.html", rows=rows, search=search)


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(_ticket_limit, methods=["POST"], key_func=_user_key)
def new():
    orders = db.session.scalars(
        select(Order).where(Order.customer_id == current_user.id).order_by(Order.placed_at.desc())
    ).all()
    form = NewTicketForm()
    form.set_orders(orders)
    if request.method == "GET" and request.args.get("order"):
        form.order.data = own_order_or_404(request.args["order"]).number
    if form.validate_on_submit():
        order = own_order_or_404(form.order.data) if form.order.data else None
        try:
            with customer_transaction(current_user.id):  # a double click waits here, then finds the first
                ticket, opened = _open_once(form, order)
                reference = ticket.reference  # read now: after the commit it would be loaded again
                if opened:  # the suggested articles this visit opened did not answer the question
                    help_center.ticket_followed(session.pop(HELP_VISIT_KEY, None), ticket.id)
        except TicketError as exc:
            flash(str(exc), "danger")
            return render_template("tickets/new.html", form=form), 400
        if opened and deferred.deferred_in_request() and _agent_waits(ticket):
            flash(f"Thanks! Your ticket {reference} is saved. {WAITS}", "info")
        elif opened:
            flash(f"Thanks! Your ticket {reference} is open; our assistant is on it.", "success")
        else:
            flash(f"You already sent this; it is ticket {reference}.", "info")
        return redirect(url_for("tickets.view", reference=reference))
    status = 400 if form.is_submitted() else 200
    return render_template("tickets/new.html", form=form), status


def _open_once(form: NewTicketForm, order: Order | None) -> tuple[Ticket, bool]:
    subject, body, token = form.subject.data, form.message.data, form.form_token.data or None
    earlier = actions.earlier_ticket(current_user, token, subject, body, order, form.shown_at_time())
    if earlier is not None:
        return earlier, False
    return open_ticket(current_user, subject, body, order=order, form_token=token), True


@bp.route("/<reference>")
def view(reference: str):
    ticket = own_ticket_or_404(reference)
    page = render_template("tickets/view.html", **_page_context(ticket))
    _mark_seen(ticket)
    return page


def _mark_seen(ticket: Ticket) -> None:
    # One UPDATE after rendering: the list's "new reply" marker clears once the customer has seen the page.
    db.session.commit()
    db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(customer_seen_at=utcnow()))
    db.session.commit()


def _page_context(ticket: Ticket, **forms) -> dict:
    messages = db.session.scalars(
        select(Message)
        .where(Message.ticket_id == ticket.id, Message.internal.is_(False))
        .order_by(Message.id)
    ).all()
    refs = effect_references(ticket.id)
    return {
        "ticket": ticket,
        "messages": messages,
        "outcomes": {m.id: describe_outcome(m.outcome, refs) for m in messages if m.outcome},
        "working": ticket.status in WORKING,
        "idle_poll_ms": settings().desk.ticket_idle_poll_ms,
        "status_words": _status_words(ticket),
        "can_rate": actions.can_mark_satisfied(ticket),
        "can_escalate": actions.can_escalate(ticket),
        "reply_form": forms.get("reply_form") or ReplyForm(formdata=None),
        "escalate_form": forms.get("escalate_form") or EscalateForm(formdata=None),
        "satisfied_form": SatisfiedForm(formdata=None),
        "not_satisfied_form": forms.get("not_satisfied_form") or NotSatisfiedForm(formdata=None),
    }


@bp.route("/<reference>/status.json")
def status(reference: str):
    """What the page polls while the agent works: small, and only the ticket owner's."""
    ticket = own_ticket_or_404(reference)
    run = db.session.scalars(
        select(AgentRun).where(AgentRun.ticket_id == ticket.id).order_by(AgentRun.id.desc()).limit(1)
    ).first()
    last_id = db.session.scalar(
        select(Message.id)
        .where(Message.ticket_id == ticket.id, Message.internal.is_(False))
        .order_by(Message.id.desc())
        .limit(1)
    )
    body = {
        "reference": ticket.reference,
        "status": ticket.status,
        "working": ticket.status in WORKING,
        "words": _status_words(ticket),
        "last_message_id": last_id,
        "run": None
        if run is None
        else {"status": run.status, "steps": [s.get("step") for s in run.trace or []]},
    }
    return body, 200, {"Cache-Control": "no-store"}


@bp.route("/<reference>/reply", methods=["POST"])
@limiter.limit(_reply_limit, key_func=_user_key)
def reply(reference: str):
    ticket = own_ticket_or_404(reference)
    form = ReplyForm()
    if not form.validate_on_submit():
        return render_template("tickets/view.html", **_page_context(ticket, reply_form=form)), 400
    try:
        with customer_transaction(ticket.customer_id):  # one writer per customer: no lost updates
            _reply_once(ticket, form.body.data)
    except TicketError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("tickets.view", reference=reference))
    if deferred.deferred_in_request() and _agent_waits(ticket):
        flash(f"Your reply is saved. {WAITS}", "info")
    else:
        flash("Your reply is sent.", "success")
    return redirect(url_for("tickets.view", reference=reference, _anchor="latest"))


def _reply_once(ticket: Ticket, body: str) -> None:
    """Add the reply unless it is the same text sent moments ago (a double click)."""
    if not actions.is_repeat_message(ticket, AuthorKind.CUSTOMER.value, ticket.customer_id, body):
        add_customer_reply(ticket, body)


@bp.route("/<reference>/satisfied", methods=["POST"])
def satisfied(reference: str):
    ticket = own_ticket_or_404(reference)
    done = False
    if SatisfiedForm().validate_on_submit():
        with customer_transaction(ticket.customer_id):  # a second click sees the first one's change
            done = actions.mark_satisfied(ticket)
    if done:
        flash(
            "Thank you! We're glad we could help. The ticket is closed; reply any time to reopen it.",
            "success",
        )
    else:
        flash("This ticket has nothing to rate right now.", "info")
    return redirect(url_for("tickets.view", reference=reference))


@bp.route("/<reference>/not-satisfied", methods=["POST"])
@limiter.limit(_reply_limit, key_func=_user_key)
def not_satisfied(reference: str):
    ticket = own_ticket_or_404(reference)
    form = NotSatisfiedForm()
    if not form.validate_on_submit():
        context = _page_context(ticket, not_satisfied_form=form)
        return render_template("tickets/view.html", **context), 400
    with customer_transaction(ticket.customer_id):  # a second click sees the first one's change
        reopened = actions.reopen_not_satisfied(ticket, form.feedback_comment.data or "")
    if reopened:
        flash("Sorry it is not solved yet. The ticket is open again and our team will reply.", "success")
    else:
        flash("This ticket is already with our team.", "info")
    return redirect(url_for("tickets.view", reference=reference))


@bp.route("/<reference>/escalate", methods=["POST"])
@limiter.limit(_reply_limit, key_func=_user_key)
def escalate(reference: str):
    ticket = own_ticket_or_404(reference)
    form = EscalateForm()
    if not form.validate_on_submit():
        return render_template("tickets/view.html", **_page_context(ticket, escalate_form=form)), 400
    with customer_transaction(ticket.customer_id):  # a second click sees the first one's change
        escalated = actions.escalate_to_person(ticket, form.comment.data or "")
    if escalated:
        flash("A member of our team will take it from here. We'll email you when they reply.", "success")
    else:
        flash("This ticket is already with our team.", "info")
    return redirect(url_for("tickets.view", reference=reference))
