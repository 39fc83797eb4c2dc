"""Admin pages for integrations: REST API keys (created, shown once, revoked) and webhook endpoints with
their deliveries (visible, retryable)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.admin import bp
from portal.admin.forms import ApiKeyForm, ButtonForm, WebhookForm
from portal.admin.routes import log_admin
from portal.api.keys import SCOPE_WORDS, SCOPES, create_key, revoke
from portal.extensions import db
from portal.models import ApiKey, WebhookDelivery, WebhookEndpoint
from portal.webhooks import EVENTS, outbox
from portal.webhooks.signing import new_secret


def _key_form() -> ApiKeyForm:
    form = ApiKeyForm()
    form.scopes.choices = [(scope, f"{scope}: {SCOPE_WORDS[scope]}") for scope in SCOPES]
    return form


@bp.route("/api-keys", methods=["GET", "POST"])
def api_keys():
    form, token = _key_form(), None
    if form.validate_on_submit():
        key, token = create_key(form.name.data, form.scopes.data, current_user)
        db.session.flush()
        log_admin("admin.api_key_create", f"{key.name} ({key.prefix}) {' '.join(key.scopes)}")
        db.session.commit()
        form = _key_form()
        form.name.data = ""
    keys = db.session.scalars(select(ApiKey).order_by(ApiKey.id.desc())).all()
    status = 400 if form.errors else 200
    page = render_template("admin/api_keys.html", form=form, keys=keys, token=token, button=ButtonForm())
    return page, status, {"Cache-Control": "no-store"}  # the new token is on this page once


@bp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
def revoke_api_key(key_id: int):
    key = db.session.get(ApiKey, key_id) or abort(404)
    if ButtonForm().validate_on_submit() and revoke(key):
        log_admin("admin.api_key_revoke", f"{key.name} ({key.prefix})")
        db.session.commit()
        flash(f"Key {key.name} revoked: requests with it now get 401.", "success")
    return redirect(url_for("admin.api_keys"))


def _webhook_form() -> WebhookForm:
    form = WebhookForm()
    form.events.choices = [(event, event) for event in EVENTS]
    return form


@bp.route("/webhooks", methods=["GET", "POST"])
def webhooks():
    form, secret = _webhook_form(), None
    if form.validate_on_submit():
        endpoint = WebhookEndpoint(url=form.url.data, events=list(form.events.data), secret=new_secret())
        db.session.add(endpoint)
        db.session.flush()
        secret = endpoint.secret
        log_admin("admin.webhook_create", f"{endpoint.url} {' '.join(endpoint.events)}")
        db.session.commit()
    endpoints = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    page = render_template(
        "admin/webhooks.html",
        form=form,
        secret=secret,
        endpoints=endpoints,
        deliveries=outbox.recent(),
        counts=outbox.status_counts(),
        button=ButtonForm(),
    )
    return page, 400 if form.errors else 200, {"Cache-Control": "no-store"}


@bp.route("/webhooks/<int:endpoint_id>/disable", methods=["POST"])
def disable_webhook(endpoint_id: int):
    endpoint = db.session.get(WebhookEndpoint, endpoint_id) or abort(404)
    if ButtonForm().validate_on_submit() and endpoint.active:
        endpoint.active = False
        log_admin("admin.webhook_disable", endpoint.url)
        db.session.commit()
        flash("Endpoint disabled: new events are no longer sent to it.", "success")
    return redirect(url_for("admin.webhooks"))


@bp.route("/webhooks/deliveries/<delivery_id>/retry", methods=["POST"])
def retry_webhook_delivery(delivery_id: str):
    if db.session.get(WebhookDelivery, delivery_id[:32]) is None:
        abort(404)
    return _retry([delivery_id[:32]])


@bp.route("/webhooks/retry", methods=["POST"])
def retry_failed_webhooks():
    return _retry(None)


def _retry(ids: list[str] | None):
    if ButtonForm().validate_on_submit():
        again = outbox.retry(ids)
        outbox.enqueue(again)
        flash(f"Queued {len(again)} webhook delivery(ies) again.", "success")
    return redirect(url_for("admin.webhooks"))
