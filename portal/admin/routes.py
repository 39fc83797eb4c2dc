"""Admin views: metrics with server-rendered charts, staff accounts, read-only policies and their index."""

from __future__ import annotations

from pathlib import Path

import mistune
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from portal.admin import bp, charts, desk_metrics, metrics
from portal.admin.forms import ButtonForm, StaffUserForm
from portal.auth.accounts import AccountError, create_user, new_account_transaction
from portal.auth.accounts import set_active as set_user_active
from portal.config import settings
from portal.desk import canned_routes, drafts, sla
from portal.extensions import db
from portal.help.policy_text import render_policy
from portal.jobs import queue
from portal.mailer.account_mail import send_password_reset
from portal.models import ActionDecision, Role, User, utcnow
from portal.services import content
from portal.services.audit import Actor, log_action
from portal.services.help_center import help_metrics

# escape=True: any raw HTML inside a policy file is shown as text, never run.
_markdown = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])


@bp.before_request
@login_required
def admins_only():
    """Staff and customers get a 404."""
    if not current_user.is_admin:
        abort(404)


@bp.route("/", endpoint="metrics")
def metrics_page():
    days = min(max(request.args.get("days", 30, type=int), 1), 90)
    data = metrics.dashboard(days)
    return render_template(
        "admin/metrics.html",
        data=data,
        help=help_metrics(data.since),
        days=days,
        chart=charts.stacked_by_day(data.by_day),
        breaches=sla.breaches(data.since, utcnow()),
        drafts=drafts.stats(data.since),
        desk=desk_metrics.desk_for(request.args, data.since),
    )


@bp.route("/users", methods=["GET", "POST"])
def users():
    form = StaffUserForm()
    if form.validate_on_submit():
        try:
            with new_account_transaction():
                user = create_user(form.email.data, form.name.data, form.password.data, Role(form.role.data))
                db.session.flush()
                log_admin("admin.user_create", f"{user.role} {user.email}")
        except AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            flash(f"Created {user.role} account for {user.email}.", "success")
            return redirect(url_for("admin.users"))
    rows = db.session.scalars(select(User).order_by(User.role.desc(), User.name)).all()
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/users.html", users=rows, form=form, button=ButtonForm(formdata=None)
    ), status


# max: a larger id is simply not found (the database column is a 32-bit integer).
@bp.route("/users/<int(max=2147483647):user_id>/<any(deactivate, activate):change>", methods=["POST"])
def set_active(user_id: int, change: str):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account.", "danger")
        return redirect(url_for("admin.users"))
    if user.closed_at is not None:
        flash("A closed account stays closed.", "danger")
        return redirect(url_for("admin.users"))
    set_user_active(user, change == "activate")  # ends every session either way: no old cookie revives
    log_admin(f"admin.user_{change}", user.email)
    db.session.commit()
    flash(f"{user.email} is {'active' if user.active else 'deactivated'}.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int(max=2147483647):user_id>/send-reset", methods=["POST"])
def send_reset_link(user_id: int):
    """Queue the same reset email as "Forgot password?" for a customer who cannot ask for it themselves."""
    user = db.session.get(User, user_id)
    if user is None or user.role != Role.CUSTOMER.value:
        abort(404)  # staff accounts get a new password from an admin, not a link
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not user.active or user.closed_at is not None:
        flash("No reset link for a deactivated or closed account: the link would not work.", "danger")
        return redirect(url_for("admin.users"))
    send_password_reset(user)  # an outbox row: sent by the email job after this commit
    log_admin("admin.password_reset_sent", f"reset link sent by {current_user.name}", customer_id=user.id)
    db.session.commit()
    flash(f"A password-reset link is on its way to {user.email} (valid for 1 hour).", "success")
    return redirect(url_for("admin.users"))


def log_admin(tool: str, detail: str, **fields) -> None:
    log_action(
        Actor.staff(current_user.id, current_user.name),
        tool,
        ActionDecision.NOTE.value,
        detail=detail,
        **fields,
    )


def _policy_files() -> dict[str, Path]:
    folder = Path(settings().agent.policies_dir)
    return {path.stem: path for path in sorted(folder.glob("*.md"))}


@bp.route("/policies")
def policies():
    titles = {stem: _title(stem) for stem in policy_stems()}
    return render_template("admin/policies.html", titles=titles, button=ButtonForm(formdata=None))


@bp.route("/policies/<stem>")
def policy(stem: str):
    source = policy_markdown(stem)
    if source is None:
        abort(404)
    return render_template("admin/policy.html", stem=stem, title=_title(stem), html=render_markdown(source))


def policy_stems() -> list[str]:
    """The policies' names (file stems), sorted; also read by the help center."""
    return list(_policy_files())


def policy_markdown(stem: str) -> str | None:
    """The markdown these pages (and the help center) show for one policy; None when there is none."""
    source = policy_template(stem)
    # The text the customer and the agent read: the template rendered with the configured limits.
    return None if source is None else render_policy(source, settings().policy)


def policy_template(stem: str) -> str | None:
    """A policy's template text: its latest revision, else its file; None for an unknown name."""
    path = _policy_files().get(stem)  # only names listed from the folder: no path traversal
    if path is None:
        return None
    edited = content.latest_text(content.POLICY, stem)
    return edited if edited is not None else path.read_text(encoding="utf-8")


def render_markdown(source: str) -> Markup:
    """Policy or help markdown as HTML; raw HTML inside it is shown as text."""
    return Markup(_markdown(source))  # noqa: S704 - mistune escaped raw HTML


def _title(stem: str) -> str:
    return markdown_title(policy_markdown(stem) or "", stem.capitalize())


def markdown_title(source: str, default: str) -> str:
    """The first `# ` heading of a markdown document, or `default`."""
    for line in source.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return default


@bp.route("/policies/rebuild", methods=["POST"])
def rebuild_index():
    if not ButtonForm().validate_on_submit():
        abort(400)
    queue.enqueue(queue.REBUILD_POLICY_INDEX, queue=queue.AGENT_QUEUE)
    log_admin("admin.rebuild_policy_index", "queued")
    db.session.commit()
    flash(
        "Rebuilding the policy index in the background; the agent uses the new one when it is ready.",
        "success",
    )
    return redirect(url_for("admin.policies"))


@bp.route("/canned", methods=["GET", "POST"])
def canned():
    return canned_routes.list_view(canned_routes.shared_scope())


@bp.route("/canned/<int(max=2147483647):reply_id>/edit", methods=["GET", "POST"])
def edit_canned(reply_id: int):
    return canned_routes.edit_view(canned_routes.shared_scope(), reply_id)


@bp.route("/canned/<int(max=2147483647):reply_id>/delete", methods=["POST"])
def delete_canned(reply_id: int):
    return canned_routes.delete_view(canned_routes.shared_scope(), reply_id)
