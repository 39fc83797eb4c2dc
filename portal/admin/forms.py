"""Admin forms: staff accounts (sign-up never creates staff) and one-button actions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
    widgets,
)
from wtforms.validators import URL, DataRequired, Email, Length, ValidationError

from portal.config import settings
from portal.models import Role

MAX_CONTENT_CHARS = 100_000  # far above the longest policy; keeps a pasted blob out of the table


class StaffUserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        "Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    password = PasswordField("Initial password", validators=[DataRequired(), Length(max=200)])
    role = SelectField("Role", choices=[(Role.STAFF.value, "Staff"), (Role.ADMIN.value, "Admin")])
    submit = SubmitField("Create account")

    def validate_password(self, field) -> None:
        minimum = settings().auth.password_min_length
        if len(field.data or "") < minimum:
            raise ValidationError(f"Use at least {minimum} characters.")


class ButtonForm(FlaskForm):
    submit = SubmitField("Go")


class ContentEditForm(FlaskForm):
    """A policy template or help article's markdown; Preview renders it, Save adds a revision."""

    markdown = TextAreaField("Markdown", validators=[DataRequired(), Length(max=MAX_CONTENT_CHARS)])
    preview = SubmitField("Preview")
    save = SubmitField("Save")


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ApiKeyForm(FlaskForm):
    """A new REST API key: a name to recognise it by and its scopes (docs/api.md)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    scopes = _Checkboxes("Scopes", validators=[DataRequired(message="Choose at least one scope.")])
    submit = SubmitField("Create key")


class WebhookForm(FlaskForm):
    """A webhook endpoint: the receiver's URL and the events it wants."""

    url = URLField("URL", validators=[DataRequired(), URL(require_tld=False), Length(max=500)])
    events = _Checkboxes("Events", validators=[DataRequired(message="Choose at least one event.")])
    submit = SubmitField("Add endpoint")
