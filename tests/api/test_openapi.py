"""The OpenAPI document is valid OpenAPI 3 and lists every /api/v1 route with its methods."""

from __future__ import annotations

from openapi_spec_validator import validate


def _api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi":
            path = rule.rule.replace("<", "{").replace(">", "}")
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_openapi_document_is_valid_and_complete(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)  # raises on an invalid OpenAPI document
    assert document["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert _api_routes(app) <= documented
    assert len(documented) >= 13


def test_operations_name_their_scope_and_bodies(client):
    document = client.get("/api/v1/openapi.json").get_json()
    put_order = document["paths"]["/api/v1/orders/{number}"]["put"]
    assert put_order["security"] == [{"apiKey": []}] and "`orders` scope" in put_order["description"]
    body_ref = put_order["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert {"customer_email", "total", "items"} <= set(schema["required"])
    assert "422" in put_order["responses"] and "413" in put_order["responses"]
    listing = document["paths"]["/api/v1/tickets"]["get"]
    assert {"limit", "cursor", "status"} <= {p["name"] for p in listing["parameters"]}
