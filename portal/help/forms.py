"""The help center's one form: "was this helpful?" with an optional comment."""

from flask_wtf import FlaskForm
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from portal.services.help_center import COMMENT_MAX


class VoteForm(FlaskForm):
    comment = TextAreaField(
        "Anything we should add? (optional)", validators=[Optional(), Length(max=COMMENT_MAX)]
    )
    yes = SubmitField("Yes")
    no = SubmitField("No")
