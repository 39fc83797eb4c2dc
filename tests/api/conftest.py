"""API test helpers: keys with chosen scopes, and a client that sends them."""

from __future__ import annotations

import pytest

from portal.api.keys import create_key
from portal.extensions import db

ORDER = {
    "customer_email": "pat@shop.example",
    "status": "shipped",
    "placed_at": "2026-11-20T10:00:00+00:00",
    "total": "59.90",
    "currency": "EUR",
    "payment_method": "card",
    "carrier": "DHL",
    "tracking_number": "JD0001",
    "items": [{"sku": "MUG-1", "name": "Blue mug", "quantity": 2, "unit_price": "29.95"}],
}


def make_key(app, *scopes: str, name: str = "shop") -> str:
    with app.app_context():
        _key, token = create_key(name, list(scopes), None)
        db.session.commit()
    return token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def full_key(app):
    return make_key(app, "read", "write", "orders")
