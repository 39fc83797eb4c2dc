"""Customer ticket forms; text rules come from portal.support.tickets so the pages and the CLI agree."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, ValidationError

from portal.support.tickets import BODY_MAX, SUBJECT_MAX, TicketError, clean_text


def _ticket_text(name: str, maximum: int):
    """A validator that reports portal.support.tickets' own message (empty, too long)."""

    def validate(_form, field) -> None:
        try:
            clean_text(field.data, field=name, maximum=maximum)
        except TicketError as exc:
            raise ValidationError(str(exc)) from exc

    return validate


class NewTicketForm(FlaskForm):
    subject = StringField("Subject", validators=[_ticket_text("subject", SUBJECT_MAX)])
    message = TextAreaField("How can we help?", validators=[_ticket_text("message", BODY_MAX)])
    order = SelectField("Which order is it about?", choices=[("", "No particular order")], default="")
    # When the form was shown: the same ticket opened since then is this form sent twice (a double click).
    shown_at = HiddenField(default=lambda: f"{time.time():.3f}")
    # One-time token: the form opens one ticket; sending it again (Back, then Send) finds that ticket.
    form_token = HiddenField(default=lambda: secrets.token_urlsafe(24), validators=[Length(max=64)])
    submit = SubmitField("Send")

    def shown_at_time(self) -> datetime | None:
        """The posted `shown_at` as a UTC time; None when it is missing or not a sane number."""
        try:
            return datetime.fromtimestamp(float(self.shown_at.data or ""), UTC)
        except (ValueError, OverflowError, OSError):  # garbage, nan, inf, beyond the platform's range
            return None

    def set_orders(self, orders) -> None:
        """Offer only the customer's own orders (anything else fails WTForms' choice check)."""
        self.order.choices = [("", "No particular order")] + [
            (o.number, f"{o.number} · {o.placed_at.strftime('%d %b %Y')} · {o.status}") for o in orders
        ]


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", validators=[_ticket_text("reply", BODY_MAX)])
    submit = SubmitField("Send reply")


class EscalateForm(FlaskForm):
    comment = TextAreaField("Anything to add? (optional)", validators=[Length(max=BODY_MAX)])
    submit = SubmitField("Escalate to a person")


class NotSatisfiedForm(FlaskForm):
    # Its own field name: the escalate form's `comment` is on the same page.
    feedback_comment = TextAreaField("What is still wrong? (optional)", validators=[Length(max=BODY_MAX)])
    submit = SubmitField("Not satisfied")


class SatisfiedForm(FlaskForm):
    submit = SubmitField("Satisfied")
