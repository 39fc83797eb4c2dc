"""Settings forms. They share one page, so no two of them use the same field name."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.auth.forms import email_field, new_password_field, repeat_field
from tools.change_address import ADDRESS_MAX, ADDRESS_MIN


class EmailSettingsForm(FlaskForm):
    email_updates = BooleanField("Ticket updates")
    newsletter = BooleanField("Newsletter")
    submit = SubmitField("Save")


def current_password_field() -> PasswordField:
    return PasswordField("Current password", validators=[DataRequired(), Length(max=200)])


class NameForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    submit = SubmitField("Save name")


class PasswordChangeForm(FlaskForm):
    current_password = current_password_field()
    new_password = new_password_field("New password")
    repeat_password = repeat_field("new_password")
    submit = SubmitField("Change password")


class EmailChangeForm(FlaskForm):
    new_email = email_field("New email address")
    email_password = current_password_field()
    submit = SubmitField("Send confirmation link")


class LogOutEverywhereForm(FlaskForm):
    sessions_submit = SubmitField("Log out everywhere")


class ExportForm(FlaskForm):
    export_submit = SubmitField("Download my data (JSON)")


class CloseAccountForm(FlaskForm):
    close_password = current_password_field()
    close_confirm = BooleanField(
        "I understand that closing my account removes my name, email address, delivery addresses and "
        "messages, and cannot be undone.",
        validators=[DataRequired("Tick the box to confirm that you want to close your account.")],
    )
    close_submit = SubmitField("Close my account")


class ConfirmForm(FlaskForm):
    submit = SubmitField("Confirm new address")


class AddressForm(FlaskForm):
    """Add or edit an address-book entry (field names unique on the settings page)."""

    label = StringField("Label", validators=[DataRequired(), Length(max=60)], description="e.g. Home, Office")
    address_text = TextAreaField(
        "Address",
        validators=[DataRequired(), Length(min=ADDRESS_MIN, max=ADDRESS_MAX)],
        description="Street and number, postcode and city, country.",
        render_kw={"rows": 2},
    )
    make_default = BooleanField("Use as my default address")
    submit = SubmitField("Save address")


class AddressEditForm(AddressForm):
    """One per saved address on the page, prefixed `a<id>-` so field ids stay unique. The app-wide
    CSRFProtect checks the page's plain `csrf_token` field before the view runs; the form's own
    (prefixed) token would only duplicate it under a name the other forms do not use."""

    class Meta:
        csrf = False


class AddressActionForm(FlaskForm):
    """Delete or make default: no fields, only the CSRF token."""
