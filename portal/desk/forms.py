"""Desk forms. Every POST carries a CSRF token, including the one-button actions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from portal.desk import canned
from portal.support.forms import _ticket_text
from portal.tickets import BODY_MAX


class ActionForm(FlaskForm):
    """Claim, resolve, reopen, re-run: nothing to fill in but the CSRF token."""

    submit = SubmitField("Go")


class StaffReplyForm(FlaskForm):
    body = TextAreaField("Reply to the customer", validators=[_ticket_text("reply", BODY_MAX)])
    # Set when the text started as the agent's draft: sending records whether it was edited.
    draft_id = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,9}$", message="Not a draft.")])
    submit = SubmitField("Send reply")


class NoteForm(FlaskForm):
    body = TextAreaField(
        "Internal note (never shown to the customer)", validators=[_ticket_text("note", BODY_MAX)]
    )
    submit = SubmitField("Add note")


class AssignForm(FlaskForm):
    assignee = SelectField("Assign to", coerce=int, choices=[])
    submit = SubmitField("Assign")


class RefundDecisionForm(FlaskForm):
    note = TextAreaField(
        "Note for the record (optional; not shown to the customer)", validators=[Length(max=1000)]
    )
    approve = SubmitField("Approve")
    reject = SubmitField("Reject")


class CustomerExportForm(FlaskForm):
    export_submit = SubmitField("Export data")


class CustomerCloseForm(FlaskForm):
    """Closing a customer's account on their request: an explicit tick, like the customer's own form."""

    close_confirm = BooleanField(
        "The customer asked for this; anonymise the account",
        validators=[DataRequired("Tick the box to confirm the customer asked to close the account.")],
    )
    next = HiddenField()
    close_submit = SubmitField("Close account")


def _known_placeholders(_form, field) -> None:
    try:
        canned.check_body(field.data or "")
    except canned.CannedError as exc:
        raise ValidationError(str(exc)) from exc


class CannedReplyForm(FlaskForm):
    title = StringField("Title", validators=[_ticket_text("title", canned.TITLE_MAX)])
    body = TextAreaField(
        "Text (placeholders in braces are filled in)",
        validators=[_ticket_text("text", canned.BODY_MAX), _known_placeholders],
    )
    submit = SubmitField("Save")
