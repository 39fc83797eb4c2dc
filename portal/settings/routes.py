"""Email preferences: customers can turn off update emails; action confirmations always go."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal.extensions import db
from portal.settings import bp
from portal.settings.forms import EmailSettingsForm


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    # An unticked box sends nothing: pass the posted form explicitly so "nothing" means off.
    formdata = request.form if request.method == "POST" else None
    form = EmailSettingsForm(formdata=formdata, data={"email_updates": current_user.email_updates})
    if form.validate_on_submit():
        current_user.email_updates = form.email_updates.data
        db.session.commit()
        flash("Your email settings are saved.", "success")
        return redirect(url_for("settings.index"))
    return render_template("settings/index.html", form=form), 400 if form.is_submitted() else 200
