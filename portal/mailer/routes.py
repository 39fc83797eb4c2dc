"""One-click satisfaction links (no login) and the admins' list of failed emails."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from portal.access import admin_required
from portal.extensions import db
from portal.mailer import bp, outbox
from portal.mailer.feedback import FeedbackLinkError, read_token, record_feedback

VERDICT_WORDS = {"satisfied": "satisfied", "unsatisfied": "not satisfied"}


@bp.route("/feedback/<token>")
def feedback(token: str):
    """Record Satisfied / Not satisfied from an email link; works once per resolution."""
    try:
        payload = read_token(token)
    except FeedbackLinkError as exc:
        return _no_store(render_template("mailer/feedback.html", error=str(exc), expired=exc.expired), 400)
    recorded = record_feedback(payload)
    db.session.commit()
    words = VERDICT_WORDS[payload["v"]]
    return _no_store(render_template("mailer/feedback.html", recorded=recorded, verdict=words), 200)


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
