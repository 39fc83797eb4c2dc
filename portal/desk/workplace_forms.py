"""Forms for tags, bulk changes, merging, saved views and availability (every POST carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

MAX_BULK = 100  # one queue page is 20; a forged form cannot make one request lock thousands of tickets
BULK_ACTIONS = [("assign", "Assign to"), ("tag", "Add tag"), ("resolve", "Resolve")]


class TagForm(FlaskForm):
    name = StringField("Tag", validators=[DataRequired("Write a tag."), Length(max=60)])
    submit = SubmitField("Add tag")


class UntagForm(FlaskForm):
    name = HiddenField(validators=[DataRequired(), Length(max=60)])


class TeamMoveForm(FlaskForm):
    team = SelectField("Team", coerce=int, choices=[], validate_choice=False)  # 0: no team
    submit = SubmitField("Move")


class MergeForm(FlaskForm):
    target = StringField(
        "Merge into ticket (reference)", validators=[DataRequired("Give the reference."), Length(max=16)]
    )
    submit = SubmitField("Merge")


class BulkForm(FlaskForm):
    ticket = SelectMultipleField("Tickets", coerce=int, validate_choice=False)
    action = SelectField("Action", choices=BULK_ACTIONS)
    assignee = SelectField(
        "Staff member", coerce=int, choices=[], validate_choice=False, validators=[Optional()]
    )
    tag = StringField("Tag", validators=[Length(max=60)])
    next = HiddenField()
    submit = SubmitField("Apply to selected")

    def validate_ticket(self, field) -> None:
        if not field.data:
            raise ValidationError("Select at least one ticket.")
        if len(field.data) > MAX_BULK:
            raise ValidationError(f"At most {MAX_BULK} tickets at once.")
        if any(not 0 < ticket_id < 2**31 for ticket_id in field.data):
            raise ValidationError("Not a ticket.")


class SaveViewForm(FlaskForm):
    name = StringField("Name of this view", validators=[DataRequired("Name the view."), Length(max=60)])
    query = HiddenField(validators=[Length(max=2000)])
    submit = SubmitField("Save view")


class PresenceForm(FlaskForm):
    state = SelectField(choices=[("available", "Available"), ("away", "Away")])
    next = HiddenField()
