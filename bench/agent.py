"""The agent pipeline with the offline backend, in one process on Postgres: tickets/s and time per step.

A few hundred varied tickets are opened through `portal.support.tickets.open_ticket` (as the web does), then
`worker.jobs.process_ticket(ticket_id)` runs for each, one after another, exactly as one RQ worker
process would run them (claim, load, redact, triage, retrieve, decide + tools, compose, persist).
The per-step times come from the stored AgentRun.trace; the job time from the wall clock around each
call. Target: agent overhead (everything but a model call; the offline backend makes none) ≤ 15 ms.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict

from bench import services, stages
from bench.sqlcount import StatementCounter
from bench.stats import Skipped, summary, verdict
from bench.workload import create_customers, ticket_text

NAME = "agent"
DESCRIPTION = "agent pipeline (offline backend): tickets/s per worker process, ms per step"
log = logging.getLogger(__name__)

TARGET_MS = 15.0
NESTED = ("tools", "backend")
WARMUP_TICKETS = 10
PROCESS_TICKET = "worker.jobs.process_ticket"


def run(args) -> dict:
    """Open tickets, run the job for each in this process, and read the traces back."""
    try:
        from worker.jobs import process_ticket
    except ImportError as exc:
        raise Skipped(f"worker.jobs.process_ticket is not importable yet ({exc})") from exc
    count = 60 if args.quick else 400
    with services.postgres_database() as url:
        app = services.make_app(url)
        with app.app_context():
            services.build_policy_index(url)
            ticket_ids, received = open_tickets(app, count + WARMUP_TICKETS)
            from portal.extensions import db

            counter = StatementCounter(db.engine)
            meter = stages.StageMeter(counter, stages.backend_pids(db))
            with stages.instrumented(meter):
                job_ms, sql, jobs = run_jobs(app, process_ticket, ticket_ids, received, counter, meter)
            figures = collect(ticket_ids[WARMUP_TICKETS:], job_ms[WARMUP_TICKETS:])
            figures["sql_per_ticket"] = {
                key: summary([s[key] for s in sql[WARMUP_TICKETS:]], 2) for key in sql[0]
            }
            figures["stages"] = stages.summarize(meter.tickets[WARMUP_TICKETS:], jobs[WARMUP_TICKETS:])

            db.session.remove()
            db.engine.dispose()
    return figures


def open_tickets(app, count: int) -> tuple[list[int], dict[int, list]]:
    """Open `count` tickets for 50 customers (committed); the email jobs each ticket's opening queued."""
    from portal.extensions import db
    from portal.models import Order, User
    from portal.support.tickets import open_ticket

    rng = random.Random(3)
    customers = create_customers(50)
    ids, received = [], {}
    jobs = app.extensions["manual_queue"].jobs
    for number in range(count):
        customer = customers[number % len(customers)]
        subject, body, picked = ticket_text(rng, customer.orders)
        user = db.session.get(User, customer.id)
        order = db.session.query(Order).filter_by(number=picked).one() if picked else None
        ids.append(open_ticket(user, subject, body, order=order).id)
        db.session.commit()
        # this benchmark runs the agent job itself; the email jobs run beside it, as the email worker would
        received[ids[-1]] = [job for job in jobs if job[0] != PROCESS_TICKET]
        jobs.clear()
    return ids, received


def run_jobs(
    app, process_ticket, ticket_ids: list[int], received: dict[int, list], counter, meter
) -> tuple[list[float], list[dict], list[int]]:
    """Run every ticket's jobs, sequentially: its received email, the agent job, the jobs that one queued.

    Returns the agent job's milliseconds and SQL (statements, commits) and the number of jobs per ticket.
    """
    from portal.jobs.queue import DRAFT_REPLY

    queued = app.extensions["manual_queue"].jobs
    timings, sql, jobs = [], [], []
    for ticket_id in ticket_ids:
        meter.next_ticket()
        with counter.counting():
            with meter.stage("email:received"):
                run_queued(app, received[ticket_id])
            first, commits = len(counter.statements), counter.commits
            with meter.stage("job"):
                started = time.perf_counter()
                process_ticket(ticket_id)
                timings.append((time.perf_counter() - started) * 1000.0)
            statements = counter.statements[first:]
            sql.append(
                {
                    "statements": len(statements),
                    "commits": counter.commits - commits,
                    "ms": sum(ms for _sql, _params, ms in statements),
                }
            )
            after = [job for job in queued if job[0] != DRAFT_REPLY]  # drafting is measured elsewhere
            jobs.append(len(received[ticket_id]) + 1 + len(after))
            queued.clear()
            with meter.stage("email:after agent"):
                run_queued(app, after)
    meter.next_ticket()
    return timings, sql, jobs


def run_queued(app, jobs: list) -> None:
    """Run queued jobs in this process, as an RQ worker would (each in its own app context)."""
    from portal.jobs.queue import import_job

    for path, args in jobs:
        with app.app_context():
            import_job(path)(*args)


def collect(ticket_ids: list[int], job_ms: list[float]) -> dict:
    """Per-step times from the runs' traces, plus job wall time and throughput."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import AgentRun

    runs = db.session.scalars(select(AgentRun).where(AgentRun.ticket_id.in_(ticket_ids))).all()
    wall = dict(zip(ticket_ids, job_ms, strict=True))
    steps: dict[str, list[float]] = defaultdict(list)
    agent_ms, actions, failed = [], defaultdict(int), 0
    for run in runs:
        failed += run.status != "done"
        actions[run.action or "none"] += 1
        per_run = step_times(run.trace or [])
        for name, ms in per_run.items():
            steps[name].append(ms)
        # tool and backend steps run inside "decide": counted there, shown apart
        traced = sum(ms for name, ms in per_run.items() if name not in NESTED)
        agent_ms.append(traced)
        steps["claim+load+persist (untraced)"].append(max(0.0, wall[run.ticket_id] - traced))
    total_s = sum(job_ms) / 1000.0
    job = summary(job_ms)
    return {
        "tickets": len(ticket_ids),
        "runs_failed": failed,
        "actions": dict(sorted(actions.items())),
        "tickets_per_second_per_process": round(len(job_ms) / total_s, 1),
        "job_ms": job,
        "trace_total_ms": summary(agent_ms),
        "steps_ms": {name: summary(values, 3) for name, values in steps.items()},
        "targets": {
            "job_ms_p50": {
                "target": TARGET_MS,
                "value": job["p50"],
                "verdict": verdict(job["p50"], TARGET_MS),
            },
            "agent_steps_ms_p50": {
                "target": TARGET_MS,
                "value": summary(agent_ms)["p50"],
                "verdict": verdict(summary(agent_ms)["p50"], TARGET_MS),
            },
        },
    }


def step_times(trace: list[dict]) -> dict[str, float]:
    """One run's trace as {step: ms}, tool calls summed under "tools" and backend steps under "backend"."""
    out: dict[str, float] = defaultdict(float)
    for entry in trace:
        name = str(entry.get("step", "?"))
        if name.startswith("tool:"):
            name = "tools"
        elif name.startswith("backend:"):
            name = "backend"
        out[name] += float(entry.get("ms") or 0.0)
    return dict(out)


def report(result: dict) -> list[str]:
    job, steps, traced = result["job_ms"], result["steps_ms"], result["trace_total_ms"]
    lines = [
        f"{result['tickets']} tickets, {result['runs_failed']} failed runs; actions {result['actions']}",
        f"throughput {result['tickets_per_second_per_process']} tickets/s per worker process (sequential)",
        f"job wall time per ticket: p50 {job['p50']} ms, p95 {job['p95']} ms (claim + agent + persist)",
        f"agent steps (trace) total: p50 {traced['p50']} ms, p95 {traced['p95']} ms",
    ]
    sql = result.get("sql_per_ticket")
    if sql:
        lines.append(
            f"SQL per ticket: {sql['statements']['p50']:.0f} statements, "
            f"{sql['commits']['p50']:.0f} commits, {sql['ms']['p50']} ms executing (p50; commits not timed)"
        )
    for name, s in sorted(steps.items(), key=lambda kv: -(kv[1].get("p50") or 0)):
        label = f"({name}, in decide)" if name in NESTED else name
        lines.append(f"  {label:30} p50 {s['p50']:8.3f} ms  p95 {s['p95']:8.3f} ms  (n={s['count']})")
    lines += stage_lines(result.get("stages"))
    for key, words in (("job_ms_p50", "whole job"), ("agent_steps_ms_p50", "agent steps")):
        t = result["targets"][key]
        lines.append(
            f"target median {words} <= {t['target']} ms per ticket: {t['verdict']} ({t['value']} ms)"
        )
    return lines


def stage_lines(table: dict | None) -> list[str]:
    """The per-stage table: this process's CPU, Postgres CPU, statements and commits per ticket."""
    if not table:
        return []
    jobs = table.get("jobs per ticket", {})
    lines = [
        f"jobs per ticket: mean {jobs.get('mean')} (agent job + email jobs)",
        "stage                 CPU p50 (mean) ms  Postgres CPU mean ms  statements p50 (mean)  commits p50",
    ]
    for name in (*stages.STAGES, "total"):
        row = table.get(name)
        if not row:
            continue
        lines.append(
            f"  {name:20} {row['cpu_ms']['p50']:7.2f} ({row['cpu_ms']['mean']:6.2f})"
            f"   {row['pg_cpu_ms']['mean']:8.2f}"
            f"   {row['statements']['p50']:10.0f} ({row['statements']['mean']:5.1f})"
            f"   {row['commits']['p50']:6.0f}"
        )
    return lines
