"""Settings forms. They share one page, so no two of them use the same field name."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from portal.auth.forms import email_field, new_password_field, repeat_field


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
