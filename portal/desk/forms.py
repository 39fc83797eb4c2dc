"""Desk forms. Every POST carries a CSRF token, including the one-button actions."""

from __future__ import annotations

from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from portal.desk import canned
from portal.services.overrides import LIMITS, REASON_MAX, REASON_MIN, Override
from portal.support.forms import _ticket_text
from portal.support.tickets import BODY_MAX
from tools.messages import REJECTION_REASONS
from tools.replacement import PROBLEMS


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (no JavaScript needed to pick several)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


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


REJECTION_CHOICES = [("", "Reason for a rejection (the customer reads it)…")] + [
    (code, text) for code, text in REJECTION_REASONS.items()
]


class RefundDecisionForm(FlaskForm):
    note = TextAreaField(
        "Note for the record (optional; not shown to the customer)", validators=[Length(max=1000)]
    )
    reason = SelectField("Reason the customer reads", choices=REJECTION_CHOICES, default="")
    customer_note = TextAreaField(
        "Words for the customer (optional)", validators=[Length(max=500), Optional()]
    )
    approve = SubmitField("Approve")
    reject = SubmitField("Reject")

    def validate_reason(self, field) -> None:
        if self.reject.data and not field.data:
            raise ValidationError("Choose the reason the customer reads.")


class _StaffActionForm(FlaskForm):
    """One staff action on one of the ticket customer's orders (choices set by the view), with the
    admin-only override. `request_key` is minted per rendered form: sending it twice is one request."""

    order = SelectField("Order", choices=[])
    request_key = HiddenField(  # minted by the view for each fresh form (a missing one is refused)
        validators=[DataRequired("Reload the page and try again."), Regexp(r"^[A-Za-z0-9_-]{16,40}$")],
    )
    override = MultiCheckboxField("Override (admins only)", choices=list(LIMITS.items()))
    override_reason = TextAreaField(
        "Why you override it (logged and shown on the ticket)", validators=[Length(max=REASON_MAX)]
    )

    def validate_override(self, field) -> None:
        if field.data and not (current_user.is_authenticated and current_user.is_admin):
            raise ValidationError("Only an admin can override a policy limit.")

    def validate_override_reason(self, field) -> None:
        if self.override.data and len((field.data or "").strip()) < REASON_MIN:
            raise ValidationError(f"Write why you override the limit (at least {REASON_MIN} characters).")

    def override_given(self) -> Override | None:
        return (
            Override(frozenset(self.override.data), self.override_reason.data) if self.override.data else None
        )


class StaffRefundForm(_StaffActionForm):
    lines = MultiCheckboxField("Only these items (none ticked: the whole order)", choices=[], coerce=int)
    reason = StringField("Reason (optional)", validators=[Length(max=200)])
    submit = SubmitField("Issue refund")


class StaffReplacementForm(_StaffActionForm):
    problem = SelectField("Problem", choices=[(p, p.replace("_", " ")) for p in PROBLEMS])
    lines = MultiCheckboxField("Only these items (none ticked: all)", choices=[], coerce=int)
    description = StringField("What is wrong (optional)", validators=[Length(max=200)])
    submit = SubmitField("Send replacement")


class StaffCancelForm(_StaffActionForm):
    reason = StringField("Reason (optional)", validators=[Length(max=200)])
    submit = SubmitField("Cancel order")


class StaffAddressForm(_StaffActionForm):
    address = TextAreaField(
        "New delivery address", validators=[DataRequired("Write the new address."), Length(max=300)]
    )
    submit = SubmitField("Change address")


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
