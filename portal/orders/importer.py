"""`flask orders import FILE`: orders from a shop without an API integration, CSV or JSON lines.

The same validation and upserts as the REST API (portal.api.schemas.OrderUpsert, portal.services.shop):
importing a file twice changes nothing the second time, an order's status only moves forward, and each
order is written in its own transaction under its customer's lock, so a bad line fails alone.

JSON lines: one order per line, the API's PUT /orders/<number> body plus `number` and, for customers
SupportOps does not know yet, `customer_name`. CSV: one row per order line, with the columns
number, customer_email, customer_name, status, placed_at, total, currency, payment_method, carrier,
tracking_number, delivery_address, shipped_at, delivered_at, sku, item_name, quantity, unit_price;
rows with the same number are one order (its order-level columns are read from its first row).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from portal.api.schemas import OrderUpsert, order_out
from portal.database.sqlite import write_transaction
from portal.extensions import db
from portal.services import shop
from portal.services.transaction import customer_transaction

ORDER_COLUMNS = ("status", "placed_at", "total", "currency", "payment_method", "carrier", "tracking_number",
                 "delivery_address", "shipped_at", "delivered_at")  # fmt: skip
NUMBER_MAX = 32


@dataclass
class ImportReport:
    """What an import did, order by order."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OrderRecord:
    where: str  # "line 3" / "rows 2-4", for error messages
    number: str
    customer_name: str | None
    data: dict[str, Any]


def import_file(path: str | Path) -> ImportReport:
    """Upsert every order of the file (format from its extension: .csv, else JSON lines)."""
    path = Path(path)
    records = _csv_records(path) if path.suffix.lower() == ".csv" else _jsonl_records(path)
    report = ImportReport()
    for record in records:
        if isinstance(record, str):
            report.errors.append(record)
        else:
            _import_one(record, report)
    return report


def _import_one(record: OrderRecord, report: ImportReport) -> None:
    try:
        body = OrderUpsert.model_validate(record.data)
        _upsert(record, body, report)
    except ValidationError as exc:
        db.session.rollback()
        report.errors.append(f"{record.where}: order {record.number}: {_first_error(exc)}")
    except shop.ShopDataError as exc:
        db.session.rollback()
        report.errors.append(f"{record.where}: order {record.number}: {exc}")
    except IntegrityError:
        db.session.rollback()
        report.errors.append(f"{record.where}: order {record.number}: written concurrently, import it again")


def _upsert(record: OrderRecord, body: OrderUpsert, report: ImportReport) -> None:
    if not record.number or len(record.number) > NUMBER_MAX:
        raise shop.ShopDataError("validation_error", f"an order number has 1 to {NUMBER_MAX} characters")
    customer = _customer(body.customer_email, record.customer_name)
    fields = body.model_dump(exclude={"customer_email", "items"})
    items = [shop.ItemData(**item.model_dump()) for item in body.items]
    with customer_transaction(customer.id):
        existing = shop.find_order(record.number)
        before = order_out(existing).model_dump() if existing is not None else None
        order, created = shop.upsert_order(record.number, customer, fields, items)
        after = order_out(order).model_dump()
    if created:
        report.created += 1
    elif after == before:
        report.unchanged += 1
    else:
        report.updated += 1


def _customer(email: str, name: str | None):
    """The customer by email; created (or renamed) when the file names them."""
    if not name:
        return shop.find_customer(email)
    with write_transaction():
        customer, _created = shop.upsert_customer(email, name)
    return customer


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error.get("loc", ())) or "order"
    return f"{where}: {error.get('msg', 'invalid')}"


def _jsonl_records(path: Path) -> Iterator[OrderRecord | str]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield f"line {number}: not JSON ({exc.msg})"
                continue
            if not isinstance(data, dict):
                yield f"line {number}: an order must be a JSON object"
                continue
            order_number = str(data.pop("number", "") or "")
            name = data.pop("customer_name", None)
            yield OrderRecord(f"line {number}", order_number, name if isinstance(name, str) else None, data)


def _csv_records(path: Path) -> Iterator[OrderRecord | str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
        for row_number, row in enumerate(reader, 2):
            groups.setdefault((row.get("number") or "").strip(), []).append((row_number, row))
    for number, rows in groups.items():
        yield _csv_order(number, rows)


def _csv_order(number: str, rows: list[tuple[int, dict[str, str]]]) -> OrderRecord:
    first = rows[0][1]
    where = f"row {rows[0][0]}" if len(rows) == 1 else f"rows {rows[0][0]}-{rows[-1][0]}"
    data: dict[str, Any] = {"customer_email": (first.get("customer_email") or "").strip()}
    data.update({name: first[name].strip() for name in ORDER_COLUMNS if (first.get(name) or "").strip()})
    data["items"] = [_csv_item(row) for _, row in rows]
    return OrderRecord(where, number, (first.get("customer_name") or "").strip() or None, data)


def _csv_item(row: dict[str, str]) -> dict[str, str]:
    return {
        "sku": (row.get("sku") or "").strip(),
        "name": (row.get("item_name") or "").strip(),
        "quantity": (row.get("quantity") or "").strip(),
        "unit_price": (row.get("unit_price") or "").strip(),
    }
