"""The order page's address form: a saved address from the address book, or a new one typed in."""

from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from tools.change_address import ADDRESS_MAX

NEW_ADDRESS = ""  # the select's "type a new address" choice


class AddressChangeForm(FlaskForm):
    saved_address = SelectField("Saved address", choices=[], default=NEW_ADDRESS)
    new_address = TextAreaField(
        "Or type a new address (used instead of the saved one)",
        validators=[Optional(), Length(max=ADDRESS_MAX)],
        render_kw={"rows": 2},
    )
    submit = SubmitField("Change delivery address")

    def offer(self, addresses) -> "AddressChangeForm":
        """Fill the select with the customer's address book (the default first chosen)."""
        if not addresses:
            self.new_address.label.text = "New delivery address"
        self.saved_address.choices = [(NEW_ADDRESS, "A new address (type it below)")] + [
            (str(row.id), f"{row.label}: {row.address}") for row in addresses
        ]
        return self

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.saved_address.data == NEW_ADDRESS and not (self.new_address.data or "").strip():
            self.new_address.errors.append("Choose a saved address or type the new one.")
            return False
        return True
