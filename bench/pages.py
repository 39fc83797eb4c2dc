"""Web pages under load on a realistic volume: 10k customers, 100k tickets, 1M messages.

1. `bench.datagen` fills a private Postgres database (COPY; about 15 s).
2. Queries per page: each page runs in-process under the Flask test client with a statement counter on
   the engine, for a typical customer/ticket and for a heavy one (customer 1 has ~200 tickets; a long
   ticket has 9 messages): equal counts mean no N+1. The slowest statement of each page is kept, and
   the slowest of all is EXPLAINed, so a slow page comes with its reason.
3. Load: 50 simulated users (35 customers, 15 staff) browse for 60 s against gunicorn (2 x 4 threads),
   each a requests session logged in through the real form, with 0.5-1.5 s think time between pages.
   p50/p95 per page. Target p95 ≤ 100 ms.

Why not locust: a thread pool of requests sessions (already a dev dependency) drives 50 users with
think time easily on one core, needs no gevent monkey-patching next to psycopg, and keeps the numbers in
the same JSON as the other benchmarks.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import cpu, datagen, services
from bench.e2e import cpu_line
from bench.sqlcount import StatementCounter
from bench.stats import Skipped, summary, verdict
from bench.webclient import Browser

NAME = "pages"
DESCRIPTION = "customer and staff pages on 10k customers / 100k tickets / 1M messages: p50/p95, queries"
log = logging.getLogger(__name__)

TARGET_P95_MS = 100.0
USERS = 50
STAFF_USERS = 15
THINK_S = (0.5, 1.5)
HEAVY_CUSTOMER = 1  # datagen gives customer 1 one ticket in 500


def run(args) -> dict:
    """Generate the volume, count queries per page, then load the pages with 50 users."""
    try:
        from portal.desk import bp  # noqa: F401
        from portal.support import bp as tickets_bp  # noqa: F401
    except ImportError as exc:
        raise Skipped(f"the customer ticket pages or the staff desk are missing ({exc})") from exc
    volume = pages_volume(args)
    seconds = 15.0 if args.quick else 60.0
    with services.postgres_database() as url:
        started = time.perf_counter()
        generated = datagen.generate(url, volume)
        generated["seconds"] = round(time.perf_counter() - started, 1)
        samples = pick_samples(url, generated)
        queries = count_queries(url, samples)
        explain = explain_slowest(url, queries)
        with services.gunicorn(services.app_env(url, None)) as base_url:
            load = browse(base_url, samples, seconds, make_url(url).database)
    worst = max((p["p95"] for p in load["pages"].values() if p.get("p95") is not None), default=None)
    return {
        "volume": {k: generated[k] for k in ("rows", "load_seconds", "total_seconds")},
        "users": USERS,
        "seconds": seconds,
        "think_s": THINK_S,
        "queries_per_page": queries,
        "slowest_statement_plan": explain,
        "load": load,
        "targets": {
            "page_p95_ms_worst": {
                "target": TARGET_P95_MS,
                "value": worst,
                "verdict": verdict(worst, TARGET_P95_MS),
            }
        },
    }


def pages_volume(args) -> datagen.Volume:
    """The issue's check runs at 100k tickets / 1M messages; --tickets / --messages change it."""
    if args.quick:
        default = datagen.Volume(customers=2_000, tickets=20_000, messages=100_000)
    else:
        default = datagen.Volume()  # 10k customers, 100k tickets, 1M messages
    return datagen.Volume(
        customers=default.customers,
        tickets=getattr(args, "tickets", None) or default.tickets,
        messages=getattr(args, "messages", None) or default.messages,
    )


# --- samples -----------------------------------------------------------------------------------------------


def pick_samples(url: str, generated: dict) -> dict:
    """Customers, their tickets and orders, and desk tickets to visit (typical and heavy)."""
    engine = create_engine(url)
    rng = random.Random(5)
    with engine.connect() as conn:
        customers = conn.execute(
            text(
                "SELECT u.id, u.email FROM users u WHERE u.role = 'customer' AND u.id > :skip "
                "ORDER BY random() LIMIT 200"
            ),
            {"skip": datagen.customer_id(HEAVY_CUSTOMER)},
        ).all()
        tickets = defaultdict(list)
        for customer_id, reference in conn.execute(
            # tickets about an order first: the query count compares like with like (the order is one query)
            text(
                "SELECT customer_id, reference FROM tickets WHERE customer_id = ANY(:ids) "
                "ORDER BY order_id IS NULL"
            ),
            {"ids": [c.id for c in customers] + [datagen.customer_id(HEAVY_CUSTOMER)]},
        ):
            tickets[customer_id].append(reference)
        orders = defaultdict(list)
        for customer_id, number in conn.execute(
            text("SELECT customer_id, number FROM orders WHERE customer_id = ANY(:ids)"),
            {"ids": [c.id for c in customers] + [datagen.customer_id(HEAVY_CUSTOMER)]},
        ):
            orders[customer_id].append(number)
        desk_tickets = [
            r
            for (r,) in conn.execute(
                text("SELECT reference FROM tickets WHERE status = 'escalated' ORDER BY random() LIMIT 300")
            )
        ]
        reasons = [
            r
            for (r,) in conn.execute(
                text(
                    "SELECT DISTINCT escalation_reason FROM tickets "
                    "WHERE escalation_reason IS NOT NULL LIMIT 5"
                )
            )
        ]
        long_ticket = conn.execute(
            text(
                "SELECT t.reference FROM tickets t JOIN messages m ON m.ticket_id = t.id "
                "GROUP BY t.id ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar_one()
        short_ticket = conn.execute(
            text(
                "SELECT t.reference FROM tickets t JOIN messages m ON m.ticket_id = t.id "
                "GROUP BY t.id ORDER BY count(*) ASC LIMIT 1"
            )
        ).scalar_one()
    engine.dispose()
    typical = [c for c in customers if tickets[c.id] and orders[c.id]]
    heavy_id = datagen.customer_id(HEAVY_CUSTOMER)
    return {
        "customers": [(c.email, tickets[c.id], orders[c.id]) for c in typical],
        "heavy": (datagen.customer_email(HEAVY_CUSTOMER), tickets[heavy_id], orders[heavy_id]),
        "staff": generated["staff_emails"],
        "desk_tickets": desk_tickets,
        "reasons": reasons,
        "long_ticket": long_ticket,
        "short_ticket": short_ticket,
        "rng": rng,
    }


def customer_pages(tickets: list[str], orders: list[str], rng: random.Random) -> list[tuple[str, str]]:
    """(label, path) of one customer's visit, in browsing order."""
    ticket = rng.choice(tickets)
    return [
        ("customer home", "/"),
        ("customer orders", "/orders"),
        ("customer order", f"/orders/{rng.choice(orders)}"),
        ("customer tickets", "/tickets/"),
        ("customer ticket", f"/tickets/{ticket}"),
        ("customer ticket status.json", f"/tickets/{ticket}/status.json"),
    ]


def staff_pages(samples: dict, rng: random.Random) -> list[tuple[str, str]]:
    """(label, path) of one staff visit: the queue with various filters, then a ticket."""
    reason = rng.choice(samples["reasons"]) if samples["reasons"] else ""
    return [
        ("desk queue (default)", "/desk/"),
        ("desk queue open P1 by SLA", "/desk/?status=open&priority=P1"),
        ("desk queue unassigned newest", "/desk/?status=escalated&assignee=unassigned&sort=created"),
        ("desk queue all, page 50", "/desk/?status=all&sort=oldest&page=50"),
        ("desk queue by reason", f"/desk/?reason={reason}"),
        ("desk queue mine", "/desk/?assignee=mine"),
        ("desk queue team", f"/desk/?team={rng.randint(1, len(datagen.TEAMS))}"),
        ("desk queue tag, open", f"/desk/?status=open&tag={rng.choice(datagen.TAGS)}"),
        ("desk queue escalated, page 50", "/desk/?page=50&sort=created"),
        ("desk ticket", f"/desk/tickets/{rng.choice(samples['desk_tickets'])}"),
        *desk_searches(samples, rng),
    ]


def desk_searches(samples: dict, rng: random.Random) -> list[tuple[str, str]]:
    """The desk search: exact identifiers, a phrase, and a word in half the messages (the worst case)."""
    email, _tickets, orders = rng.choice(samples["customers"])
    return [
        ("desk search order number", f"/desk/search?q={quote(rng.choice(orders))}"),
        ("desk search email", f"/desk/search?q={quote(email)}"),
        ("desk search words", "/desk/search?q=arrived+broken"),
        ("desk search common word", "/desk/search?q=policy"),  # in every agent message
    ]


# --- queries per page --------------------------------------------------------------------------------------


def count_queries(url: str, samples: dict) -> dict:
    """SQL statements per page for a typical and a heavy case (second visit of each, caches warm)."""
    from portal.extensions import db

    app = services.make_app(url, RATELIMIT_ENABLED=False)
    results = {}
    with app.app_context():
        counter = StatementCounter(db.engine)
    rng = random.Random(9)
    email, tickets, orders = samples["customers"][0]
    heavy_email, heavy_tickets, heavy_orders = samples["heavy"]
    typical = dict(customer_pages(tickets[:1], orders, rng))
    heavy = dict(customer_pages(heavy_tickets[:1], heavy_orders, rng))
    _measure_pages(app, counter, email, typical, heavy_email, heavy, results)
    staff = dict(staff_pages(samples, rng))
    staff_heavy = {**staff, "desk ticket": f"/desk/tickets/{samples['long_ticket']}"}
    staff["desk ticket"] = f"/desk/tickets/{samples['short_ticket']}"
    _measure_pages(app, counter, samples["staff"][0], staff, samples["staff"][0], staff_heavy, results)
    with app.app_context():
        db.engine.dispose()
    return results


def _measure_pages(app, counter, email, pages, heavy_email, heavy_pages, results) -> None:
    for label in pages:
        typical = _page_statements(app, counter, email, pages[label])
        heavy = _page_statements(app, counter, heavy_email, heavy_pages[label])
        slowest = max(typical["statements"], key=lambda s: s[2], default=None)
        results[label] = {
            "path": pages[label],
            "status": typical["status"],
            "queries": len(typical["statements"]),
            "queries_heavy": len(heavy["statements"]),
            # no N+1: the heavy case (more tickets, orders or messages) needs no more statements
            "constant": len(heavy["statements"]) <= len(typical["statements"]),
            "sql_ms": round(sum(s[2] for s in typical["statements"]), 2),
            "render_ms": round(typical["ms"], 2),
            "slowest_sql_ms": round(slowest[2], 2) if slowest else None,
            "slowest_sql": " ".join(slowest[0].split())[:600] if slowest else None,
            "top_statements": [
                {"ms": round(ms, 2), "sql": " ".join(sql.split())[:300]}
                for sql, _params, ms in sorted(typical["statements"], key=lambda st: -st[2])[:4]
            ],
            "_slowest": slowest,
        }


def _page_statements(app, counter, email: str, path: str) -> dict:
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": services.BENCH_PASSWORD})
    if response.status_code not in (302, 303):
        raise RuntimeError(f"in-process login of {email} failed: {response.status_code}")
    client.get(path)  # warm: templates compiled, statement cache filled
    with counter.counting():
        started = time.perf_counter()
        response = client.get(path)
        ms = (time.perf_counter() - started) * 1000.0
    return {"status": response.status_code, "statements": list(counter.statements), "ms": ms}


def explain_slowest(url: str, queries: dict) -> dict | None:
    """EXPLAIN ANALYZE of the slowest statement seen on any page (the first place to look)."""
    label, entry = max(
        ((k, v) for k, v in queries.items() if v.get("_slowest")),
        key=lambda kv: kv[1]["_slowest"][2],
        default=(None, None),
    )
    slowest = entry["_slowest"] if entry else None
    for value in queries.values():
        value.pop("_slowest", None)
    if slowest is None:
        return None
    statement, parameters, _ms = slowest
    import psycopg

    with psycopg.connect(datagen.pg_conninfo(url)) as conn:
        rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters).fetchall()
    return {
        "page": label,
        "ms": entry["slowest_sql_ms"],
        "sql": entry["slowest_sql"],
        "plan": [r[0] for r in rows],
    }


# --- load ---------------------------------------------------------------------------------------------------


def browse(base_url: str, samples: dict, seconds: float, database: str) -> dict:
    """USERS logged-in users browse for `seconds`; p50/p95 per page label."""
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()

    def log_in(number: int) -> Browser:
        browser = Browser(base_url)
        if number < STAFF_USERS:
            browser.login(samples["staff"][number % len(samples["staff"])], services.BENCH_PASSWORD)
        else:
            browser.login(
                samples["customers"][number % len(samples["customers"])][0], services.BENCH_PASSWORD
            )
        return browser

    def user(number: int, browser: Browser, stop_at: float) -> None:
        rng = random.Random(number)
        time.sleep(rng.uniform(*THINK_S))  # users arrive spread out, not all at the same instant
        _email, tickets, orders = samples["customers"][number % len(samples["customers"])]
        while time.monotonic() < stop_at:
            pages = (
                staff_pages(samples, rng) if number < STAFF_USERS else customer_pages(tickets, orders, rng)
            )
            label, path = rng.choice(pages)
            started = time.perf_counter()
            try:
                response, ms = browser.get(path)
                problem = None if response.status_code == 200 else f"HTTP {response.status_code}"
            except Exception as exc:  # a reset or timeout is a figure too, not the end of the run
                ms, problem = (time.perf_counter() - started) * 1000.0, type(exc).__name__
            with lock:
                timings[label].append(ms)
                if problem:
                    errors[f"{label}: {problem}"] += 1
            time.sleep(rng.uniform(*THINK_S))

    with ThreadPoolExecutor(max_workers=8) as pool:  # logins first: scrypt is slow on purpose
        browsers = list(pool.map(log_in, range(USERS)))
    started = time.monotonic()
    cpu_before = cpu.snapshot(services.child_groups(), database)
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        futures = [pool.submit(user, n, b, started + seconds) for n, b in enumerate(browsers)]
        for future in futures:
            future.result()
    elapsed = time.monotonic() - started
    total = sum(len(v) for v in timings.values())
    return {
        "cpu_ms_per_request": cpu.per_item_ms(
            cpu_before, cpu.snapshot(services.child_groups(), database), total
        ),
        "requests": total,
        "requests_per_s": round(total / elapsed, 1),
        "errors": dict(errors),
        "pages": {label: summary(values, 1) for label, values in sorted(timings.items())} | _pooled(timings),
    }


def _pooled(timings: dict[str, list[float]]) -> dict:
    """The nine queue views together: one view gets ~50 requests a run, so its p95 is its 3rd slowest
    request and moves with chance; the pooled one rests on ~450."""
    queue = [ms for label, values in timings.items() if label.startswith("desk queue") for ms in values]
    return {"desk queue, all views": summary(queue, 1)} if queue else {}


def report(result: dict) -> list[str]:
    v = result["volume"]
    lines = [
        f"volume {v['rows']} generated in {v['total_seconds']} s",
        f"{result['users']} users for {result['seconds']:.0f} s: {result['load']['requests']} requests, "
        f"{result['load']['requests_per_s']}/s, errors {result['load']['errors'] or 'none'}",
        f"CPU ms per request by process: {cpu_line(result['load'].get('cpu_ms_per_request', {}))}",
        f"{'page':36} {'p50':>8} {'p95':>8} {'queries':>8} {'heavy':>6}  slowest SQL",
    ]
    for label, s in result["load"]["pages"].items():
        q = result["queries_per_page"].get(label, {})
        lines.append(
            f"{label:36} {s['p50']:>6.1f}ms {s['p95']:>6.1f}ms {q.get('queries', '-'):>8} "
            f"{q.get('queries_heavy', '-'):>6}  {q.get('slowest_sql_ms', '-')} ms"
        )
    plan = result.get("slowest_statement_plan")
    if plan:
        lines.append(f"slowest statement ({plan['page']}, {plan['ms']} ms): {plan['sql'][:160]}...")
        lines += [f"  {row}" for row in plan["plan"][:8]]
    t = result["targets"]["page_p95_ms_worst"]
    lines.append(f"target every page p95 <= {t['target']:.0f} ms: {t['verdict']} (worst {t['value']} ms)")
    return lines
