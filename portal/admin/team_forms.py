"""Admin forms for teams and routing rules."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.models import Priority

INTENT = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class TeamForm(FlaskForm):
    name = StringField("Team name", validators=[DataRequired("Name the team."), Length(max=60)])
    max_open_per_person = IntegerField(
        "Open tickets per person (empty: the default)",
        validators=[Optional(), NumberRange(min=1, max=1000)],
    )
    is_default = BooleanField("Default team (tickets no rule matches)")
    submit = SubmitField("Save team")


class MemberForm(FlaskForm):
    user_id = SelectField("Staff member", coerce=int, choices=[], validate_choice=False)
    submit = SubmitField("Add member")


class RuleForm(FlaskForm):
    team_id = SelectField("Team", coerce=int, choices=[], validate_choice=False)
    intents = StringField("Intents (comma-separated; empty: any)", validators=[Length(max=400)])
    priorities = SelectMultipleField(
        "Priorities (none ticked: any)", choices=[(p.value, p.value) for p in Priority]
    )
    position = IntegerField("Order (lowest first)", default=10, validators=[Optional(), NumberRange(0, 1000)])
    submit = SubmitField("Add rule")

    def intent_list(self) -> list[str]:
        return [part.strip() for part in (self.intents.data or "").split(",") if part.strip()]

    def validate_intents(self, field) -> None:
        bad = [name for name in self.intent_list() if not INTENT.match(name)]
        if bad:
            raise ValidationError(f"Not an intent name: {bad[0][:40]} (lower-case letters, digits, _).")

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.intent_list() and not self.priorities.data:
            self.intents.errors.append("Name intents or tick priorities (the default team catches the rest).")
            return False
        return True
