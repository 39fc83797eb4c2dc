"""Settings forms."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField


class EmailSettingsForm(FlaskForm):
    email_updates = BooleanField("Email me updates about my requests")
    submit = SubmitField("Save")
