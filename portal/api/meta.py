"""The OpenAPI document, generated from the declared operations (no key needed: it holds no data)."""

from __future__ import annotations

from flask import jsonify

from portal.api import bp
from portal.api.spec import openapi_document

API_VERSION = "1.0.0"


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document(API_VERSION))
