"""Routes declared once, with their scope and pydantic models; the OpenAPI document is built from them.

`operation(...)` registers the Flask route, checks the key's scope, parses and validates the JSON body
and query string with pydantic (400 malformed_json, 415, 422 validation_error) and renders the model it
returns. `openapi_document()` turns the same declarations into OpenAPI 3.1 with apispec, taking the
schemas from pydantic (JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import wraps
from typing import Any

from apispec import APISpec
from flask import jsonify, request
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from portal.api import bp
from portal.api.errors import STATUS_CODES, ApiError
from portal.api.keys import SCOPE_WORDS, require_scope

REF_TEMPLATE = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    tag: str
    scope: str | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]


OPERATIONS: list[Operation] = []


def operation(
    rule: str,
    method: str,
    *,
    summary: str,
    tag: str,
    scope: str | None,
    status: int = 200,
    body=None,
    query=None,
    response=None,
    errors: tuple[int, ...] = (),
):
    """Declare an API route: scope checked, `body=` / `query=` models parsed into the view's kwargs."""

    def decorate(view):
        declared = Operation(
            rule, method, view.__name__, summary, tag, scope, body, query, response, status, errors
        )
        OPERATIONS.append(declared)

        @wraps(view)
        def wrapper(**kwargs):
            if scope is not None:
                require_scope(scope)
            if query is not None:
                kwargs["query"] = _validated(query, request.args.to_dict())
            if body is not None:
                kwargs["body"] = _validated(body, read_json())
            return _render(view(**kwargs), status)

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapper, methods=[method])
        return wrapper

    return decorate


def read_json() -> Any:
    """The request's JSON document; 415 for another media type, 400 when it does not parse."""
    if not request.is_json:
        raise ApiError(
            415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."
        )
    raw = request.get_data(cache=True)  # beyond MAX_CONTENT_LENGTH this raises 413
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed_json", f"The body is not valid JSON: {exc}") from exc


def _validated(model: type[BaseModel], data: Any) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise ApiError(422, "validation_error", "The request has invalid fields.", details) from exc


def _render(result, default_status: int):
    model, status = result if isinstance(result, tuple) else (result, default_status)
    response = jsonify(model.model_dump(mode="json"))
    response.status_code = status
    return response


# --- the OpenAPI document --------------------------------------------------------------------------------


def openapi_document(version: str) -> dict[str, Any]:
    """OpenAPI 3.1 for every declared operation (served at /api/v1/openapi.json)."""
    spec = APISpec(
        title="SupportOps API",
        version=version,
        openapi_version="3.1.0",
        info={"description": "Customers, orders, tickets and their audit trail. See docs/api.md."},
    )
    spec.components.security_scheme("apiKey", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", _ERROR_SCHEMA)
    _add_model_schemas(spec)
    paths: dict[str, dict[str, Any]] = {}
    for declared in OPERATIONS:
        paths.setdefault(_openapi_path(declared.rule), {})[declared.method.lower()] = _operation_doc(declared)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "examples": ["not_found"]},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
            },
        }
    },
}


def _add_model_schemas(spec: APISpec) -> None:
    models = {(m, "validation") for o in OPERATIONS for m in (o.body,) if m is not None}
    models |= {(m, "serialization") for o in OPERATIONS for m in (o.response,) if m is not None}
    _, definitions = models_json_schema(
        sorted(models, key=lambda pair: pair[0].__name__), ref_template=REF_TEMPLATE
    )
    for name, schema in sorted(definitions.get("$defs", {}).items()):
        spec.components.schema(name, schema)


def _openapi_path(rule: str) -> str:
    """Flask's /tickets/<reference> as OpenAPI's /api/v1/tickets/{reference}."""
    return bp.url_prefix + re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _operation_doc(declared: Operation) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": declared.endpoint,
        "summary": declared.summary,
        "tags": [declared.tag],
        "parameters": _path_parameters(declared.rule) + _query_parameters(declared.query),
        "responses": _responses(declared),
    }
    if declared.scope is None:
        doc["security"] = []
    else:
        doc["security"] = [{"apiKey": []}]
        doc["description"] = f"Needs the `{declared.scope}` scope ({SCOPE_WORDS[declared.scope]})."
    if declared.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": REF_TEMPLATE.format(model=declared.body.__name__)}}
            },
        }
    return doc


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    names = re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule)
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in names]


def _query_parameters(model: type[BaseModel] | None) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": field_schema}
        for name, field_schema in schema.get("properties", {}).items()
    ]


def _responses(declared: Operation) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "OK" if declared.status == 200 else "Created"}
    if declared.response is not None:
        ref = REF_TEMPLATE.format(model=declared.response.__name__)
        success["content"] = {"application/json": {"schema": {"$ref": ref}}}
    responses = {str(declared.status): success}
    if declared.status == 201:  # upserts: 201 when created, 200 when it existed
        responses["200"] = {**success, "description": "Updated (or unchanged)"}
    codes = set(declared.errors) | {429, 500}
    if declared.scope is not None:
        codes |= {401, 403}
    if declared.body is not None:
        codes |= {400, 413, 415, 422}
    if declared.query is not None:
        codes.add(422)
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for code in sorted(codes):
        responses[str(code)] = {"description": STATUS_CODES.get(code, "Error"), "content": error}
    return responses
