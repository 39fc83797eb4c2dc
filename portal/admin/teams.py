"""Admin views for teams, their members and the routing rules (portal/desk/routing.py applies them)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.admin import bp
from portal.admin.forms import ButtonForm
from portal.admin.routes import log_admin
from portal.admin.team_forms import MemberForm, RuleForm, TeamForm
from portal.config import settings
from portal.desk.queries import staff_members
from portal.extensions import db
from portal.models import RoutingRule, Team, TeamMember, Ticket, User

ID = "int(max=2147483647)"


def _row(model, row_id: int | None):
    """The row with this id from a form, or None (an id past 32 bits cannot exist and would overflow)."""
    return db.session.get(model, row_id) if row_id and 0 < row_id < 2**31 else None


def _team_or_404(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        abort(404)
    return team


@bp.route("/teams", methods=["GET", "POST"])
def teams():
    form = TeamForm()
    if form.validate_on_submit():
        team = Team()
        if _save_team(team, form, "admin.team_create"):
            flash(f"Created the team {team.name}.", "success")
            return redirect(url_for("admin.teams"))
    return _page(create_form=form), 400 if form.is_submitted() else 200


def _page(**forms):
    all_teams = list(db.session.scalars(select(Team).order_by(Team.name)))
    rule_form = forms.get("rule_form") or RuleForm(formdata=None)
    rule_form.team_id.choices = [(t.id, t.name) for t in all_teams]
    member_form = MemberForm(formdata=None)
    member_form.user_id.choices = [(u.id, u.name) for u in staff_members()]
    return render_template(
        "admin/teams.html",
        teams=all_teams,
        rules=list(db.session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id))),
        create_form=forms.get("create_form") or TeamForm(formdata=None),
        rule_form=rule_form,
        member_form=member_form,
        button=ButtonForm(formdata=None),
        known_intents=_known_intents(),
        default_cap=settings().desk.max_open_per_person,  # DESK_MAX_OPEN_PER_PERSON, for teams without one
    )


def _known_intents() -> list[str]:
    query = select(Ticket.intent).where(Ticket.intent.is_not(None)).group_by(Ticket.intent)
    return list(db.session.scalars(query.order_by(func.count().desc()).limit(40)))


def _save_team(team: Team, form: TeamForm, tool: str) -> bool:
    """Name, cap and default flag; False (with the error on the form) when the name is taken."""
    if form.is_default.data:  # one default team: the others give it up in the same transaction
        others = update(Team).where(Team.id != team.id) if team.id else update(Team)
        db.session.execute(others.values(is_default=False))
    team.name = form.name.data.strip()
    team.max_open_per_person = form.max_open_per_person.data
    team.is_default = bool(form.is_default.data)
    db.session.add(team)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        form.name.errors.append("A team with this name exists already.")
        return False
    log_admin(tool, f"{team.name} (cap {team.max_open_per_person or 'default'}, default {team.is_default})")
    db.session.commit()
    return True


@bp.route(f"/teams/<{ID}:team_id>", methods=["POST"])
def edit_team(team_id: int):
    team = _team_or_404(team_id)
    form = TeamForm()
    if form.validate_on_submit() and _save_team(team, form, "admin.team_edit"):
        flash(f"Saved the team {team.name}.", "success")
    else:
        flash(_errors(form) or "Nothing changed.", "danger")
    return redirect(url_for("admin.teams"))


def _errors(form) -> str:
    return " ".join(
        f"{getattr(form, name).label.text}: {errs[0]}" for name, errs in form.errors.items() if errs
    )


@bp.route(f"/teams/<{ID}:team_id>/members", methods=["POST"])
def add_team_member(team_id: int):
    team = _team_or_404(team_id)
    form = MemberForm()
    user = _row(User, form.user_id.data) if form.validate_on_submit() else None
    if user is None or not user.is_staff or not user.active:
        flash("Pick an active staff member.", "danger")
    elif user in team.members:
        flash(f"{user.name} is in {team.name} already.", "info")
    else:
        team.members.append(user)
        log_admin("admin.team_member_add", f"{user.name} to {team.name}")
        db.session.commit()
        flash(f"{user.name} joined {team.name}.", "success")
    return redirect(url_for("admin.teams"))


@bp.route(f"/teams/<{ID}:team_id>/members/<{ID}:user_id>/remove", methods=["POST"])
def remove_team_member(team_id: int, user_id: int):
    team = _team_or_404(team_id)
    membership = db.session.get(TeamMember, (team_id, user_id))
    if membership is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    user = db.session.get(User, user_id)
    db.session.delete(membership)
    log_admin("admin.team_member_remove", f"{user.name} from {team.name}")
    db.session.commit()
    flash(f"{user.name} left {team.name}; their tickets stay theirs.", "success")
    return redirect(url_for("admin.teams"))


@bp.route("/teams/rules", methods=["POST"])
def add_routing_rule():
    form = RuleForm()
    form.team_id.choices = [(t.id, t.name) for t in db.session.scalars(select(Team))]
    team = _row(Team, form.team_id.data) if form.validate_on_submit() else None
    if team is None:
        flash(_errors(form) or "Pick a team.", "danger")
        return redirect(url_for("admin.teams"))
    rule = RoutingRule(
        team_id=team.id,
        intents=form.intent_list(),
        priorities=list(form.priorities.data),
        position=form.position.data if form.position.data is not None else 10,
    )
    db.session.add(rule)
    log_admin(
        "admin.routing_rule_add",
        f"{rule.intents or 'any intent'} / {rule.priorities or 'any'} -> {team.name}",
    )
    db.session.commit()
    flash(f"Rule added: matching tickets go to {team.name}.", "success")
    return redirect(url_for("admin.teams"))


@bp.route(f"/teams/rules/<{ID}:rule_id>/delete", methods=["POST"])
def delete_routing_rule(rule_id: int):
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    log_admin("admin.routing_rule_delete", f"{rule.intents} / {rule.priorities} -> {rule.team.name}")
    db.session.delete(rule)
    db.session.commit()
    flash("Rule deleted.", "success")
    return redirect(url_for("admin.teams"))
