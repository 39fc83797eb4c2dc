"""The confirmation form behind an email feedback link (a GET only shows it: mail scanners fetch links)."""

from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from portal.support.tickets import BODY_MAX


class FeedbackForm(FlaskForm):
    comment = TextAreaField("What is still wrong? (optional)", validators=[Length(max=BODY_MAX)])
    submit = SubmitField("Send")
