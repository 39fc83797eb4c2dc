"""Account forms. There is no role field: sign-up only ever creates customers."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from portal.config import settings


def password_rules(form, field) -> None:
    """The one rule for every new password (sign-up, reset, change): at least PASSWORD_MIN_LENGTH."""
    minimum = settings().auth.password_min_length
    if len(field.data or "") < minimum:
        raise ValidationError(f"Use at least {minimum} characters.")


def new_password_field(label: str = "Password") -> PasswordField:
    return PasswordField(label, validators=[DataRequired(), Length(max=200), password_rules])


def repeat_field(of: str = "password") -> PasswordField:
    return PasswordField("Repeat password", validators=[DataRequired(), EqualTo(of, "Passwords differ.")])


def email_field(label: str = "Email") -> EmailField:
    return EmailField(label, validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in")
    submit = SubmitField("Log in")


class SignupForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = email_field()
    password = new_password_field()
    confirm = repeat_field()
    submit = SubmitField("Create account")


class ForgotPasswordForm(FlaskForm):
    email = email_field()
    submit = SubmitField("Email me a link")


class ResetPasswordForm(FlaskForm):
    password = new_password_field("New password")
    confirm = repeat_field()
    submit = SubmitField("Set new password")


class ResendVerificationForm(FlaskForm):
    submit = SubmitField("Send the link again")
