"""Fill a Postgres database with a realistic volume: customers, orders, tickets, messages and agent runs.

    python -m bench.datagen DATABASE_URL [--customers 10000 --tickets 100000 --messages 1000000]

Rows go in with COPY (psycopg 3), ids assigned here so foreign keys line up without round trips;
sequences are moved past them afterwards and the tables are VACUUM ANALYZEd so the planner sees the
real sizes. Every generated user has the password `BENCH_PASSWORD` (one hash, computed once).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from bench.services import BENCH_PASSWORD
from portal.auth.passwords import hash_password
from portal.models import new_session_token

log = logging.getLogger(__name__)

STAFF_COUNT = 20
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PRODUCTS = [
    ("Espresso machine", "189.00"),
    ("Running shoes", "89.90"),
    ("Wireless headphones", "42.00"),
    ("Desk lamp", "35.00"),
    ("Phone case", "19.99"),
    ("Yoga mat", "29.00"),
    ("Coffee grinder", "64.00"),
    ("Kettle", "39.00"),
    ("Backpack", "55.00"),
    ("Water bottle", "12.50"),
    ("4K television", "899.00"),
    ("Sport socks", "6.50"),
]
SUBJECTS = [
    ("Refund for order {o}", "Order {o} arrived broken, I would like my money back please.", "refund"),
    ("Cancel {o}", "Can you cancel order {o}? I no longer need it.", "cancel"),
    (
        "Wrong size",
        "You sent me size M instead of L for order {o}, please send the right size.",
        "replacement",
    ),
    ("Where is my parcel?", "Any news on order {o}? It has been a while.", "order_status"),
    ("Shipping abroad", "Do you ship to Canada and how long does it take?", "policy_question"),
    ("Password", "I cannot log in to my account, how do I reset my password?", "account"),
    ("Complaint", "This is the third time I write. I want to talk to a person now.", "human"),
]
# (status, weight): most history is resolved or answered; 3% wait for a person (a 3k-ticket backlog),
# 1.5% are with the agent. About 15% were escalated at some point (see _ticket_row).
TICKET_STATUSES = [("resolved", 60), ("answered", 35.5), ("escalated", 3), ("new", 1), ("processing", 0.5)]
ESCALATION_REASONS = [
    "customer asked for a person",
    "refund above approval threshold",
    "refund limit reached",
    "negative sentiment",
    "low confidence",
    "legal threat or chargeback",
    "agent failed",
]
# Teams the desk filters by (a third of escalated tickets have none) and tags on 5% of the tickets.
TEAMS = ("billing", "shipping", "general")
TEAM_COLUMNS = ("id", "name", "is_default", "created_at")
TAGS = ("vip", "carrier-delay", "fraud-check", "follow-up", "damaged", "repeat", "press", "b2b")
ORDER_STATUSES = [("delivered", 60), ("shipped", 15), ("pending", 10), ("cancelled", 8), ("refunded", 7)]


@dataclass
class Volume:
    customers: int = 10_000
    orders_per_customer: int = 3
    tickets: int = 100_000
    messages: int = 1_000_000  # the volume issue 13 sets for the desk: 100k tickets, 1M messages
    seed: int = 7


def pg_conninfo(database_url: str) -> str:
    """A SQLAlchemy URL as a libpq connection string for psycopg."""
    url = make_url(database_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def generate(database_url: str, volume: Volume | None = None) -> dict[str, Any]:
    """Load the volume into an empty schema; returns row counts, seconds and sample ids/logins."""
    volume = volume or Volume()
    rng = random.Random(volume.seed)
    now = datetime.now(UTC)
    started = time.perf_counter()
    counts: dict[str, int] = {}
    with psycopg.connect(pg_conninfo(database_url)) as conn:
        password_hash = hash_password(BENCH_PASSWORD)  # argon2id, as the portal makes them
        counts["users"] = _copy(conn, "users", USER_COLUMNS, _users(volume, password_hash, now))
        orders = _plan_orders(volume, rng, now)
        counts["orders"] = _copy(conn, "orders", ORDER_COLUMNS, (o.row for o in orders))
        counts["order_items"] = _copy(conn, "order_items", ITEM_COLUMNS, _items(orders, rng))
        counts["teams"] = _copy(conn, "teams", TEAM_COLUMNS, _teams(now))
        counts["tags"] = _copy(conn, "tags", ("id", "name"), enumerate(TAGS, start=1))
        tickets = list(_plan_tickets(volume, orders, rng, now))
        counts["tickets"] = _copy(conn, "tickets", TICKET_COLUMNS, (t[0] for t in tickets))
        counts["ticket_tags"] = _copy(conn, "ticket_tags", ("ticket_id", "tag_id"), _ticket_tags(tickets))
        counts["agent_runs"] = _copy(conn, "agent_runs", RUN_COLUMNS, _runs(tickets))
        counts["messages"] = _copy(conn, "messages", MESSAGE_COLUMNS, _messages(volume, tickets, rng))
        _reset_sequences(conn, counts)
        conn.commit()
    load_seconds = time.perf_counter() - started
    _vacuum_analyze(database_url, list(counts))
    return {
        "rows": counts,
        "load_seconds": round(load_seconds, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
        "staff_emails": [staff_email(i) for i in range(1, STAFF_COUNT + 1)],
        "customer_emails": [customer_email(i) for i in range(1, volume.customers + 1)],
    }


def customer_email(number: int) -> str:
    return f"customer{number}@bench.example"


def staff_email(number: int) -> str:
    return f"staff{number}@bench.example"


def _reference(rng: random.Random, prefix: str = "T") -> str:
    return prefix + "-" + "".join(rng.choice(ALPHABET) for _ in range(8))


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


# --- users -------------------------------------------------------------------------------------------------

USER_COLUMNS = (
    "id", "email", "name", "password_hash", "role", "active", "email_updates", "created_at", "session_token"
)  # fmt: skip


def _users(volume: Volume, password_hash: str, now: datetime) -> Iterator[tuple]:
    joined = now - timedelta(days=400)
    for number in range(1, STAFF_COUNT + 1):
        role = "admin" if number == 1 else "staff"
        yield (
            number, staff_email(number), f"Staff {number}", password_hash, role, True, True, joined,
            new_session_token(),
        )  # fmt: skip
    for number in range(1, volume.customers + 1):
        user_id = STAFF_COUNT + number
        yield (
            user_id,
            customer_email(number),
            f"Customer {number}",
            password_hash,
            "customer",
            True,
            True,
            joined,
            new_session_token(),
        )


def customer_id(number: int) -> int:
    """The user id of generated customer `number` (1-based)."""
    return STAFF_COUNT + number


# --- orders ------------------------------------------------------------------------------------------------

ORDER_COLUMNS = (
    "id",
    "number",
    "customer_id",
    "status",
    "placed_at",
    "shipped_at",
    "delivered_at",
    "cancelled_at",
    "total",
    "currency",
    "payment_method",
    "carrier",
    "tracking_number",
)
ITEM_COLUMNS = ("id", "order_id", "sku", "name", "quantity", "unit_price")


@dataclass
class PlannedOrder:
    id: int
    customer_id: int
    number: str
    products: list[tuple[str, str, int]]
    row: tuple = ()


def _plan_orders(volume: Volume, rng: random.Random, now: datetime) -> list[PlannedOrder]:
    orders = []
    for number in range(1, volume.customers + 1):
        for _ in range(rng.randint(1, 2 * volume.orders_per_customer - 1)):
            order_id = len(orders) + 1
            products = [(*rng.choice(PRODUCTS), rng.randint(1, 2)) for _ in range(rng.randint(1, 2))]
            order = PlannedOrder(order_id, customer_id(number), f"B{order_id:07d}", products)
            order.row = _order_row(order, rng, now)
            orders.append(order)
    return orders


def _order_row(order: PlannedOrder, rng: random.Random, now: datetime) -> tuple:
    status = _weighted(rng, ORDER_STATUSES)
    placed = now - timedelta(days=rng.uniform(1, 365))
    shipped = placed + timedelta(days=1) if status in ("shipped", "delivered", "refunded") else None
    delivered = placed + timedelta(days=3) if status in ("delivered", "refunded") else None
    cancelled = placed + timedelta(hours=5) if status == "cancelled" else None
    total = sum(Decimal(price) * qty for _, price, qty in order.products)
    payment = rng.choice(("card", "card", "paypal", "gift_card"))
    tracking = f"TRK{order.id:09d}" if shipped else None
    return (
        order.id,
        order.number,
        order.customer_id,
        status,
        placed,
        shipped,
        delivered,
        cancelled,
        total,
        "USD",
        payment,
        "UPS" if shipped else None,
        tracking,
    )


def _items(orders: list[PlannedOrder], rng: random.Random) -> Iterator[tuple]:
    item_id = 0
    for order in orders:
        for name, price, qty in order.products:
            item_id += 1
            yield (
                item_id,
                order.id,
                f"SKU-{zlib.crc32(name.encode()) % 100000:05d}",
                name,
                qty,
                Decimal(price),
            )


# --- tickets, runs, messages -------------------------------------------------------------------------------

TICKET_COLUMNS = (
    "id",
    "reference",
    "customer_id",
    "order_id",
    "subject",
    "body",
    "status",
    "priority",
    "intent",
    "sentiment",
    "confidence",
    "escalation_reason",
    "assignee_id",
    "customer_turns",
    "created_at",
    "updated_at",
    "first_response_at",
    "escalated_at",
    "resolved_at",
    "sla_due_at",
    "human_involved",
    "team_id",
)
RUN_COLUMNS = (
    "id",
    "ticket_id",
    "status",
    "trigger",
    "backend",
    "attempts",
    "queued_at",
    "started_at",
    "finished_at",
    "duration_ms",
    "model_calls",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "trace",
    "action",
    "outcome",
)
MESSAGE_COLUMNS = (
    "id",
    "ticket_id",
    "author_kind",
    "author_id",
    "agent_run_id",
    "body",
    "citations",
    "internal",
    "created_at",
)


def _plan_tickets(
    volume: Volume, orders: list[PlannedOrder], rng: random.Random, now: datetime
) -> Iterator[tuple]:
    """Yield (row, created_at, customer user id, status) per ticket."""
    by_customer: dict[int, list[PlannedOrder]] = {}
    for order in orders:
        by_customer.setdefault(order.customer_id, []).append(order)
    seen: set[str] = set()
    for ticket_id in range(1, volume.tickets + 1):
        # Customer 1 is a heavy user (one ticket in 500): the N+1 check compares it with a typical one.
        number = 1 if ticket_id % 500 == 0 else rng.randint(1, volume.customers)
        user_id = customer_id(number)
        order = rng.choice(by_customer[user_id]) if rng.random() < 0.7 else None
        reference = _reference(rng)
        while reference in seen:
            reference = _reference(rng)
        seen.add(reference)
        yield _ticket_row(ticket_id, reference, user_id, order, rng, now)


def _ticket_row(
    ticket_id: int,
    reference: str,
    user_id: int,
    order: PlannedOrder | None,
    rng: random.Random,
    now: datetime,
):
    subject, body, intent = rng.choice(SUBJECTS)
    label = order.number if order else "my order"
    status = _weighted(rng, TICKET_STATUSES)
    created = now - timedelta(days=rng.uniform(0, 365), seconds=rng.uniform(0, 86400))
    answered = created + timedelta(seconds=rng.uniform(0.1, 3))
    escalated = status == "escalated" or (status == "resolved" and rng.random() < 0.2)
    reason = rng.choice(ESCALATION_REASONS) if escalated else None
    assignee = rng.randint(1, STAFF_COUNT) if escalated and rng.random() < 0.6 else None
    row = (
        ticket_id,
        reference,
        user_id,
        order.id if order else None,
        subject.format(o=label),
        body.format(o=label),
        status,
        rng.choice(("P1", "P2", "P3", "P3", "P3", "P4")),
        intent,
        round(rng.uniform(-1, 1), 2),
        round(rng.uniform(0.4, 1), 2),
        reason,
        assignee,
        1,
        created,
        answered,
        answered if status not in ("new", "processing") else None,
        answered if escalated else None,
        answered + timedelta(days=1) if status == "resolved" else None,
        created + timedelta(hours=4),
        assignee is not None,
        rng.choice((1, 2, 3, None)) if escalated else None,
    )
    return row, created, user_id, status


def _teams(now: datetime) -> Iterator[tuple]:
    for team_id, name in enumerate(TEAMS, start=1):
        yield (team_id, name, name == "general", now)


def _ticket_tags(tickets: list[tuple]) -> Iterator[tuple]:
    rng = random.Random(11)
    for row, *_rest in tickets:
        if rng.random() < 0.05:
            for tag_id in rng.sample(range(1, len(TAGS) + 1), rng.randint(1, 2)):
                yield (row[0], tag_id)


def _runs(tickets: list[tuple]) -> Iterator[tuple]:
    trace = json.dumps(
        [{"step": s, "ms": 0.5} for s in ("redact", "triage", "retrieve", "tools", "compose", "persist")]
    )
    for row, created, _user, status in tickets:
        done = status not in ("new", "processing")
        finished = created + timedelta(seconds=1) if done else None
        run_status = "done" if done else ("running" if status == "processing" else "queued")
        yield (
            row[0],
            row[0],
            run_status,
            "created",
            "offline",
            1,
            created,
            created if status != "new" else None,
            finished,
            8.0 if done else None,
            0,
            0,
            0,
            Decimal("0"),
            trace if done else "[]",
            "answer" if done else None,
            "done" if done else None,
        )


def _message_counts(volume: Volume, tickets: int) -> list[int]:
    """Per-ticket message counts (the mean ±3, at least 1) that add up to `volume.messages` exactly."""
    base, extra = divmod(volume.messages, tickets)
    counts = [base] * tickets
    for index in range(extra):
        counts[index] += 1
    rng = random.Random(volume.seed + 1)
    for index in range(0, tickets - 1, 2):  # move messages between neighbours: same total, some spread
        shift = rng.randint(-min(counts[index] - 1, 3), min(counts[index + 1] - 1, 3))
        counts[index] += shift
        counts[index + 1] -= shift
    return counts


def _messages(volume: Volume, tickets: list[tuple], rng: random.Random) -> Iterator[tuple]:
    counts = _message_counts(volume, len(tickets))
    citation = json.dumps([{"policy": "refunds", "heading": "Refund window", "text": "Within 30 days."}])
    message_id = 0
    for (row, created, user_id, status), count in zip(tickets, counts, strict=True):
        for position in range(count):
            message_id += 1
            at = created + timedelta(seconds=2 * position)
            if position % 2 == 0:
                yield (message_id, row[0], "customer", user_id, None, row[5], "[]", False, at)
            elif status == "escalated" and position == count - 1:
                yield (
                    message_id,
                    row[0],
                    "staff",
                    row[12],
                    None,
                    "A colleague will take it from here.",
                    "[]",
                    True,
                    at,
                )
            else:
                body = "Thanks for your message. Here is what I found in our policy and your order."
                yield (message_id, row[0], "agent", None, row[0], body, citation, False, at)


# --- loading -----------------------------------------------------------------------------------------------


def _copy(conn: psycopg.Connection, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    started = time.perf_counter()
    count = 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    log.info("copied %d rows into %s in %.1fs", count, table, time.perf_counter() - started)
    return count


def _reset_sequences(conn: psycopg.Connection, counts: dict[str, int]) -> None:
    with conn.cursor() as cur:
        for table in counts.keys() - {"ticket_tags"}:  # keyed by (ticket_id, tag_id): no sequence
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )


def _vacuum_analyze(database_url: str, tables: list[str]) -> None:
    started = time.perf_counter()
    with psycopg.connect(pg_conninfo(database_url), autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM (ANALYZE) {table}")
    log.info("vacuum analyze in %.1fs", time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description="Load benchmark volume into an existing SupportOps schema.")
    parser.add_argument("database_url")
    parser.add_argument("--customers", type=int, default=Volume.customers)
    parser.add_argument("--tickets", type=int, default=Volume.tickets)
    parser.add_argument("--messages", type=int, default=Volume.messages)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    result = generate(args.database_url, Volume(args.customers, 3, args.tickets, args.messages))
    result.pop("customer_emails")
    print(json.dumps(result, indent=2))  # noqa: T201 - a command-line tool


if __name__ == "__main__":
    main()
