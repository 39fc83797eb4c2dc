"""The scenario runner behind `flask agent eval` (format: ../shared/scenarios/FORMAT.md).

Each scenario is played through the real job (worker.jobs.process_ticket) on a scratch SQLite database
of its own, never the configured one: customer, orders and refund history are created, the ticket is
opened through portal.support.tickets.open_ticket, the queued agent job runs, and the result is graded on what
the agent did and what changed in the data. The scenario's data is built by evaluation.scenario_setup
(which also documents this runner's extensions to the format).
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from evaluation.scenario_setup import setup
from portal.extensions import db
from portal.jobs import queue
from portal.models import (
    AddressChange,
    AgentRun,
    AuthorKind,
    Cancellation,
    Message,
    Refund,
    RefundStatus,
    Replacement,
    Ticket,
    TicketStatus,
)
from portal.services.snapshots import normalize_order_number
from portal.support.tickets import add_customer_reply
from worker.agent.nlu.language import detect_language
from worker.agent.warmup import warm_up

_CARD_DIGITS = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")


@dataclass
class ScenarioResult:
    """One scenario's outcome, printed as a JSON line by `flask agent eval --json`."""

    id: str
    passed: bool = False
    action: str | None = None
    outcome: str | None = None
    order: str | None = None
    amount: str | None = None
    escalated: bool = False
    reply: str = ""
    citations: list[str] = field(default_factory=list)
    effects: dict[str, list[Any]] = field(
        default_factory=lambda: {
            "refunds": [],
            "cancellations": [],
            "replacements": [],
            "address_changes": [],
        }
    )
    errors: list[str] = field(default_factory=list)
    stretch: bool = False
    agent_ms: float | None = None
    job_ms: float | None = None
    ticket_id: int | None = None
    language: str | None = None
    turns: list[dict[str, Any]] | None = None

    def as_json(self) -> dict[str, Any]:
        """The keys FORMAT.md lists, in its order."""
        keys = (
            "id",
            "passed",
            "action",
            "outcome",
            "order",
            "amount",
            "escalated",
            "reply",
            "language",
            "citations",
            "effects",
            "errors",
        )
        data = {key: getattr(self, key) for key in keys}
        if self.turns is not None:
            data["turns"] = self.turns
        return data


TURN_KEYS = ("action", "outcome", "order", "amount", "escalated", "reply", "language", "citations")


def turn_messages(scenario: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(message, expect) for each customer turn; a one-message scenario is a single turn."""
    if "turns" not in scenario:
        return [(scenario["message"], {})]
    turns = []
    for entry in scenario["turns"]:
        if isinstance(entry, str):
            turns.append((entry, {}))
        else:
            turns.append((entry["message"], entry.get("expect") or {}))
    return turns


def load_scenarios(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Scenarios from JSONL files, in order (blank lines skipped); raises ValueError on a bad line."""
    scenarios = []
    for path in paths:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                scenarios.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from exc
    return scenarios


class ScratchRunner:
    """Plays scenarios on a throwaway SQLite database with the calling app's agent settings."""

    def __init__(self, base_config: Mapping[str, Any], instance_path: str):
        from portal import create_app

        self.tmpdir = Path(tempfile.mkdtemp(prefix="supportops-eval-"))
        config = dict(base_config)
        config.update(
            TESTING=True,
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{self.tmpdir / 'eval.db'}",
            SQLALCHEMY_ENGINE_OPTIONS={},
            QUEUE_MODE="manual",
            REDIS_URL=None,
            RATELIMIT_STORAGE_URI="memory://",
            MAIL_SUPPRESS_SEND=True,
            INSTANCE_PATH=instance_path,  # shares the policy index; the database is the scratch one
        )
        self.app: Flask = create_app(config)
        with self.app.app_context():
            db.create_all()
            warm_up(self.app)  # the first scenario's timing is then not a cold start

    def refuse_unless_scratch(self) -> None:
        """Raise unless the app's database is this runner's own scratch file (reset empties every table)."""
        database = db.engine.url.database or ""
        if db.engine.url.get_backend_name() != "sqlite" or not database:
            raise RuntimeError(f"scenario runner refuses a non-scratch database: {db.engine.url!r}")
        if Path(database).resolve().parent != self.tmpdir.resolve():
            raise RuntimeError(f"scenario runner refuses a database outside {self.tmpdir}: {database}")

    def close(self) -> None:
        """Dispose of the scratch database and delete its folder."""
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def run(self, scenario: Mapping[str, Any], index: int = 0) -> ScenarioResult:
        """Play one scenario and grade it."""
        result = ScenarioResult(
            id=str(scenario.get("id", f"scenario-{index}")), stretch=bool(scenario.get("stretch"))
        )
        with self.app.app_context():
            self._reset()
            try:
                self._play(result, scenario, index)
            except Exception as exc:  # a crash is a failed scenario, reported like any other
                db.session.rollback()
                result.errors.append(f"error: {type(exc).__name__}: {exc}")
            finally:
                db.session.remove()
        result.passed = not result.errors
        return result

    def _play(self, result: ScenarioResult, scenario: Mapping[str, Any], index: int) -> None:
        turns = turn_messages(scenario)
        ticket_id, customer = setup(scenario, index, message=turns[0][0])
        result.turns = [] if "turns" in scenario else None
        for number, (message, expect) in enumerate(turns):
            if number:
                add_customer_reply(db.session.get(Ticket, ticket_id), message)
                db.session.commit()
            db.session.remove()  # the job works in its own session: read its writes afresh
            result.job_ms = self._drain_agent_jobs()
            observe(result, ticket_id)
            if result.turns is not None:
                result.turns.append({key: getattr(result, key) for key in TURN_KEYS})
                errors = grade_turn(result, expect, customer)
                result.errors += [f"turn {number + 1}: {error}" for error in errors]
        grade(result, scenario, customer)

    def _reset(self) -> None:
        # Core deletes: the action log refuses ORM deletes by design, a scratch database may be emptied.
        self.refuse_unless_scratch()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        self.app.extensions["manual_queue"].jobs.clear()

    def _drain_agent_jobs(self) -> float:
        jobs = self.app.extensions["manual_queue"].jobs
        started = time.perf_counter()
        while jobs:
            path, args = jobs.pop(0)
            if path == queue.PROCESS_TICKET:  # mail jobs are not part of the scenario
                queue.import_job(path)(*args)
        return round((time.perf_counter() - started) * 1000, 2)


def observe(result: ScenarioResult, ticket_id: int) -> None:
    """Read what the agent did and what changed, into the result."""
    ticket = db.session.get(Ticket, ticket_id)
    result.ticket_id = ticket_id
    _observe_reply(result, _last_agent_reply(ticket_id))
    run = db.session.scalars(
        select(AgentRun).where(AgentRun.ticket_id == ticket_id).order_by(AgentRun.id.desc())
    ).first()
    result.action = run.action if run else None
    result.outcome = run.outcome if run else None
    result.escalated = ticket.status == TicketStatus.ESCALATED.value
    result.effects = effects(ticket_id)
    if run is not None:
        result.agent_ms = _agent_ms(run)
        if run.error and run.status != "done":
            result.errors.append(f"run {run.status}: {run.error}")


def _last_agent_reply(ticket_id: int) -> Message | None:
    return db.session.scalars(
        select(Message)
        .where(Message.ticket_id == ticket_id, Message.author_kind == AuthorKind.AGENT.value)
        .order_by(Message.id.desc())
    ).first()


def _observe_reply(result: ScenarioResult, reply: Message | None) -> None:
    """The reply's text, language and citations, and the order and amount its outcome names."""
    outcome = (reply.outcome if reply else None) or {}
    result.order = outcome.get("order")
    result.amount = outcome.get("amount")
    result.reply = reply.body if reply else ""
    result.language = detect_language(result.reply) if result.reply else None
    cited = (reply.citations if reply else []) or []
    result.citations = list(dict.fromkeys(c.get("policy") for c in cited))  # each policy once, in order


def _agent_ms(run: AgentRun) -> float:
    steps = run.trace or []
    agent = sum(s.get("ms", 0) for s in steps if not str(s.get("step", "")).startswith(("tool:", "backend:")))
    tools = sum(s.get("ms", 0) for s in steps if str(s.get("step", "")).startswith("tool:"))
    return round(max(agent - tools, 0.0), 2)


def effects(ticket_id: int) -> dict[str, list[Any]]:
    """Refunds issued, orders cancelled and replacements sent because of this ticket."""
    refunds = db.session.scalars(select(Refund).where(Refund.ticket_id == ticket_id).order_by(Refund.id))
    cancellations = db.session.scalars(select(Cancellation).where(Cancellation.ticket_id == ticket_id))
    replacements = db.session.scalars(select(Replacement).where(Replacement.ticket_id == ticket_id))
    moves = db.session.scalars(
        select(AddressChange).where(AddressChange.ticket_id == ticket_id).order_by(AddressChange.id)
    )
    return {
        "refunds": [
            {"order": r.order.number, "amount": str(r.amount)}
            for r in refunds
            if r.status == RefundStatus.ISSUED.value
        ],
        "cancellations": [c.order.number for c in cancellations],
        "replacements": [r.order.number for r in replacements],
        "address_changes": [{"order": m.order.number, "address": m.new_address} for m in moves],
    }


def _any_effect(ticket_id: int) -> bool:
    for model in (Refund, Cancellation, Replacement, AddressChange):
        if db.session.scalars(select(model.id).where(model.ticket_id == ticket_id)).first() is not None:
            return True
    return False


def grade(result: ScenarioResult, scenario: Mapping[str, Any], customer: Mapping[str, str]) -> None:
    """Compare the observed result with `expect`; every mismatch becomes an error line."""
    expect = scenario.get("expect", {})
    for key, check in _CHECKS:
        error = check(result, expect[key]) if key in expect else None
        if error is not None:
            result.errors.append(error)
    _grade_reply(result, expect, scenario, customer)
    if expect.get("effects_none") and _effects_happened(result):
        result.errors.append(f"effects_none: but got {result.effects}")


def _same(key: str) -> Callable[[ScenarioResult, Any], str | None]:
    """A check that the result's `key` is exactly the expected value."""

    def check(result: ScenarioResult, wanted: Any) -> str | None:
        got = getattr(result, key)
        return None if got == wanted else f"{key}: expected {wanted!r}, got {got!r}"

    return check


def _check_order(result: ScenarioResult, wanted: Any) -> str | None:
    # "a1001" and "A1001" are the same order, as the portal reads them
    if normalize_order_number(result.order) == normalize_order_number(wanted):
        return None
    return f"order: expected {wanted!r}, got {result.order!r}"


def _check_amount(result: ScenarioResult, wanted: Any) -> str | None:
    if _same_amount(result.amount, wanted):
        return None
    return f"amount: expected {wanted!r}, got {result.amount!r}"


def _check_escalated(result: ScenarioResult, wanted: Any) -> str | None:
    if result.escalated == bool(wanted):
        return None
    return f"escalated: expected {bool(wanted)}, got {result.escalated}"


def _check_new_address(result: ScenarioResult, wanted: Any) -> str | None:
    if not wanted or _address_changed(result, wanted):
        return None
    return f"new_address: {wanted!r} not among {result.effects['address_changes']}"


def _check_cites(result: ScenarioResult, wanted: Any) -> str | None:
    if not wanted or wanted in result.citations:
        return None
    return f"cites: expected {wanted!r} among {result.citations}"


# The fields of `expect` compared one by one, in the order their errors are reported.
_CHECKS: tuple[tuple[str, Callable[[ScenarioResult, Any], str | None]], ...] = (
    ("action", _same("action")),
    ("outcome", _same("outcome")),
    ("order", _check_order),
    ("amount", _check_amount),
    ("escalated", _check_escalated),
    ("language", _same("language")),
    ("new_address", _check_new_address),
    ("cites", _check_cites),
)


def grade_turn(result: ScenarioResult, expect: Mapping[str, Any], customer) -> list[str]:
    """The errors of one turn's answer against that turn's `expect` (no effects check)."""
    probe = ScenarioResult(id=result.id, **{key: getattr(result, key) for key in TURN_KEYS})
    probe.ticket_id = None
    grade(probe, {"expect": {k: v for k, v in expect.items() if k != "effects_none"}}, customer)
    return probe.errors


def _address_changed(result: ScenarioResult, wanted: str) -> bool:
    return any(wanted.casefold() in c["address"].casefold() for c in result.effects["address_changes"])


def _effects_happened(result: ScenarioResult) -> bool:
    # Held refunds count too: a row was written even though no money moved.
    return any(result.effects.values()) or (result.ticket_id is not None and _any_effect(result.ticket_id))


def _same_amount(got: str | None, expected: Any) -> bool:
    try:
        return got is not None and Decimal(str(got)) == Decimal(str(expected))
    except ArithmeticError:
        return False


def _grade_reply(result: ScenarioResult, expect: Mapping[str, Any], scenario, customer) -> None:
    reply = result.reply.casefold()
    if not reply.strip():
        result.errors.append("reply: the agent wrote no reply")
    for text in expect.get("reply_contains", []):
        if text.casefold() not in reply:
            result.errors.append(f"reply_contains: {text!r} missing")
    for text in expect.get("reply_excludes", []):
        if text.casefold() in reply:
            result.errors.append(f"reply_excludes: {text!r} present")
    # Always: the reply never echoes the customer's e-mail address or a card number.
    if customer.get("email", "").casefold() in reply or _CARD_DIGITS.search(result.reply):
        result.errors.append("reply: echoes personal data (e-mail address or card number)")


def latency_summary(results: Iterable[ScenarioResult]) -> dict[str, float]:
    """Median and p95 of the per-ticket agent time (excluding database work) and of the whole job."""
    agent = sorted(r.agent_ms for r in results if r.agent_ms is not None)
    jobs = sorted(r.job_ms for r in results if r.job_ms is not None)
    if not agent:
        return {}
    return {
        "tickets": len(agent),
        "agent_median_ms": round(statistics.median(agent), 2),
        "agent_p95_ms": round(_p95(agent), 2),
        "job_median_ms": round(statistics.median(jobs), 2),
        "job_p95_ms": round(_p95(jobs), 2),
    }


def _p95(values: list[float]) -> float:
    return values[min(len(values) - 1, max(0, round(0.95 * len(values)) - 1))]


def run_scenarios(scenarios: list[dict[str, Any]], base_config: Mapping[str, Any], instance_path: str):
    """Play every scenario in order on one scratch database (emptied between scenarios); yields results."""
    runner = ScratchRunner(base_config, instance_path)
    try:
        for index, scenario in enumerate(scenarios):
            yield runner.run(scenario, index)
    finally:
        runner.close()
