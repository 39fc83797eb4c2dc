"""One-click satisfaction links (no login) and the admins' list of failed emails."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from portal.auth.access import admin_required
from portal.extensions import db
from portal.mailer import bp, outbox
from portal.mailer.feedback import FeedbackLinkError, read_token, record_feedback
from portal.mailer.forms import FeedbackForm
from portal.models import Ticket
from portal.services.transaction import customer_transaction
from portal.support.actions import reopen_not_satisfied, satisfaction_received

VERDICT_WORDS = {"satisfied": "satisfied", "unsatisfied": "not satisfied"}


@bp.route("/feedback/<token>", methods=["GET", "POST"])
def feedback(token: str):
    """Satisfied / Not satisfied from an email link: a GET shows the question, the button's POST records it.

    Works once per resolution. "Not satisfied" reopens the ticket to the desk with the optional comment.
    """
    try:
        payload = read_token(token)
    except FeedbackLinkError as exc:
        return _no_store(render_template("mailer/feedback.html", error=str(exc), expired=exc.expired), 400)
    words = VERDICT_WORDS[payload["v"]]
    form = FeedbackForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        page = render_template("mailer/feedback.html", form=form, verdict=words, unhappy=_unhappy(payload))
        return _no_store(page, status)
    recorded = _record(payload, form.comment.data or "")
    return _no_store(render_template("mailer/feedback.html", recorded=recorded, verdict=words), 200)


def _unhappy(payload: dict) -> bool:
    return payload["v"] == "unsatisfied"


def _record(payload: dict, comment: str) -> bool:
    """Store the vote once; a "not satisfied" one also sends the ticket back to the desk."""
    ticket = db.session.get(Ticket, int(payload["t"]))
    if ticket is None:
        return False
    with customer_transaction(ticket.customer_id):  # one writer per customer, as on the ticket page
        recorded = record_feedback(payload)
        if recorded:
            db.session.refresh(ticket)
            reopened = _unhappy(payload) and reopen_not_satisfied(ticket, comment)
            if not reopened:  # reopening announces the verdict itself
                satisfaction_received(ticket)
    return recorded


def _no_store(body: str, status: int):
    # The token is in the URL: keep it out of caches and Referer headers.
    return body, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.route("/admin/email")
@admin_required
def failed_email():
    """Messages that could not be delivered after every retry, with the reason."""
    return render_template(
        "mailer/admin_failed.html", rows=outbox.failed_rows(), counts=outbox.status_counts()
    )


@bp.route("/admin/email/retry", methods=["POST"])
@admin_required
def retry_failed_email():
    """Send every failed message again (the job still claims each row once)."""
    customer_ids, staff_ids = outbox.retry_failed()
    outbox.enqueue_sends(customer_ids, staff_ids)
    flash(f"Queued {len(customer_ids) + len(staff_ids)} send job(s) again.", "success")
    return redirect(url_for("mailer.failed_email"))
