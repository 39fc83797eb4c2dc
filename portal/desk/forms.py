"""Desk forms. Every POST carries a CSRF token, including the one-button actions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.support.forms import _ticket_text
from portal.tickets import BODY_MAX


class ActionForm(FlaskForm):
    """Claim, resolve, reopen, re-run: nothing to fill in but the CSRF token."""

    submit = SubmitField("Go")


class StaffReplyForm(FlaskForm):
    body = TextAreaField("Reply to the customer", validators=[_ticket_text("reply", BODY_MAX)])
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
