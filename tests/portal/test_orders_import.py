"""`flask orders import FILE`: CSV and JSON lines, idempotent, one bad order fails alone."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Order, User

HEADER = (
    "number,customer_email,customer_name,status,placed_at,total,currency,payment_method,carrier,"
    "tracking_number,delivery_address,shipped_at,delivered_at,sku,item_name,quantity,unit_price"
)
NORA = "nora@example.com,Nora Ndiaye"
PARIS = '"4 Rue Neuve, 75001 Paris"'
CSV = "\n".join([
    HEADER,
    f"S-100,{NORA},pending,2026-11-20T10:00:00Z,60.00,EUR,card,,,{PARIS},,,MUG-1,Blue mug,2,20.00",
    f"S-100,{NORA},pending,2026-11-20T10:00:00Z,60.00,EUR,card,,,{PARIS},,,PLT-1,Plate,1,20.00",
    f"S-101,{NORA},shipped,2026-11-21T10:00:00Z,15.00,EUR,paypal,DHL,JD0001,{PARIS},2026-11-22T09:00:00Z,,"
    "CUP-1,Cup,1,15.00",
    f"S-102,{NORA},pending,2026-11-21T10:00:00Z,-5,EUR,card,,,,,,CUP-1,Cup,1,15.00",
]) + "\n"  # fmt: skip


def _run(app, tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["orders", "import", str(path)])


def test_csv_import_creates_groups_lines_and_is_idempotent(any_app, tmp_path):
    first = _run(any_app, tmp_path, "orders.csv", CSV)
    assert first.exit_code == 1  # S-102's negative total
    assert "orders: 2 created, 0 updated, 0 unchanged, 1 failed" in first.output
    assert "S-102" in first.output and "total" in first.output
    with any_app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == "S-100"))
        assert order.customer.name == "Nora Ndiaye" and order.currency == "EUR"
        assert sorted((i.sku, i.quantity) for i in order.items) == [("MUG-1", 2), ("PLT-1", 1)]
        shipped = db.session.scalar(select(Order).where(Order.number == "S-101"))
        assert shipped.status == "shipped" and shipped.tracking_number == "JD0001"
        assert db.session.scalar(select(Order).where(Order.number == "S-102")) is None  # nothing half-written
        assert db.session.query(User).filter_by(email="nora@example.com").count() == 1
    again = _run(any_app, tmp_path, "orders.csv", CSV)
    assert "orders: 0 created, 0 updated, 2 unchanged, 1 failed" in again.output


def test_jsonl_updates_status_forward_only_and_reports_bad_lines(any_app, tmp_path):
    lamp = {"sku": "A", "name": "Lamp", "quantity": 1, "unit_price": "30.00"}
    order = {"number": "J-1", "customer_email": "omar@example.com", "customer_name": "Omar Haddad",
             "total": "30.00", "items": [lamp]}  # fmt: skip
    delivered = dict(order, status="delivered", delivered_at="2026-11-25T12:00:00Z")
    lines = [json.dumps(order), "{not json", json.dumps(delivered), json.dumps(dict(order, status="pending"))]
    result = _run(any_app, tmp_path, "orders.jsonl", "\n".join(lines) + "\n")
    assert "orders: 1 created, 1 updated, 0 unchanged, 2 failed" in result.output
    assert "line 2: not JSON" in result.output
    assert "line 4: order J-1: " in result.output and "cannot go from delivered to pending" in result.output
    with any_app.app_context():
        stored = db.session.scalar(select(Order).where(Order.number == "J-1"))
        assert stored.status == "delivered" and stored.delivered_at is not None


def test_an_unknown_customer_without_a_name_is_refused(any_app, tmp_path):
    line = {"number": "J-2", "customer_email": "ghost@example.com", "total": "1.00",
            "items": [{"sku": "A", "name": "Pin", "quantity": 1, "unit_price": "1.00"}]}  # fmt: skip
    result = _run(any_app, tmp_path, "o.jsonl", json.dumps(line) + "\n")
    assert result.exit_code == 1 and "No customer with the email ghost@example.com" in result.output


@pytest.mark.parametrize(
    "bad", ['{"number": "J-3", "customer_email": "x@example.com", "extra": 1}', "[1, 2]"]
)
def test_malformed_orders_fail_alone(any_app, tmp_path, bad):
    result = _run(any_app, tmp_path, "o.jsonl", bad + "\n")
    assert result.exit_code == 1 and "0 created" in result.output
