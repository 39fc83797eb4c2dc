"""CPU and SQL per stage of one ticket's worker path, for `bench agent`.

Wraps the stages `worker.jobs.process_ticket` calls (claim + load, the agent, save) and runs the email
jobs the ticket enqueues (received, answered, ...) in the same process, recording for each stage this
thread's CPU time, wall time and the SQL statements and commits it ran. The Postgres backends' CPU comes
from /proc (utime + stime of the bench database's backends), summed per stage over all tickets: the
kernel counts it in 10 ms ticks, so only the mean over many tickets means anything.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import defaultdict
from pathlib import Path

from bench.cpu import TICK_S

STAGES = ("email:received", "claim+load", "agent", "save", "job other", "email:after agent")
NESTED_IN_JOB = ("claim+load", "agent", "save")
KEYS = ("cpu_ms", "wall_ms", "statements", "commits", "pg_cpu_ms")


class StageMeter:
    """Accumulates per-ticket figures for each stage (thread CPU, wall, statements, commits, Postgres CPU)."""

    def __init__(self, counter, backend_pids: list[int]) -> None:
        self.counter = counter
        self.backend_pids = backend_pids
        self.ticket: dict[str, dict[str, float]] = {}
        self.tickets: list[dict[str, dict[str, float]]] = []

    def _pg_cpu_s(self) -> float:
        total = 0.0
        for pid in self.backend_pids:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) * TICK_S
        return total

    @contextlib.contextmanager
    def stage(self, name: str):
        """Measure the block as (part of) stage `name` of the current ticket."""
        statements, commits = len(self.counter.statements), self.counter.commits
        pg, cpu, wall = self._pg_cpu_s(), time.thread_time(), time.perf_counter()
        try:
            yield
        finally:
            figures = self.ticket.setdefault(name, defaultdict(float))
            figures["cpu_ms"] += (time.thread_time() - cpu) * 1000.0
            figures["wall_ms"] += (time.perf_counter() - wall) * 1000.0
            figures["statements"] += len(self.counter.statements) - statements
            figures["commits"] += self.counter.commits - commits
            figures["pg_cpu_ms"] += (self._pg_cpu_s() - pg) * 1000.0

    def next_ticket(self) -> None:
        if self.ticket:
            self.tickets.append(self.ticket)
        self.ticket = {}


def backend_pids(db) -> list[int]:
    """Process ids of the Postgres backends serving this database (the pool's connections)."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).all()
    return [row[0] for row in rows if os.path.exists(f"/proc/{row[0]}")]


@contextlib.contextmanager
def instrumented(meter: StageMeter):
    """Patch the job's stages so each call is measured (restored afterwards)."""
    import worker.jobs as jobs
    from worker.agent import runs

    originals = {"claim": runs.claim, "save": runs.save, "run_agent": jobs.run_agent}

    def wrap(name, fn):
        def measured(*args, **kwargs):
            with meter.stage(name):
                return fn(*args, **kwargs)

        return measured

    runs.claim = wrap("claim+load", originals["claim"])
    runs.save = wrap("save", originals["save"])
    jobs.run_agent = wrap("agent", originals["run_agent"])
    try:
        yield
    finally:
        runs.claim, runs.save, jobs.run_agent = originals["claim"], originals["save"], originals["run_agent"]


def summarize(tickets: list[dict[str, dict[str, float]]], jobs: list[int]) -> dict:
    """Per stage: median and mean of each figure over the tickets (0 for a ticket that skipped the stage).

    "job" wraps the whole agent job; its part outside claim, agent and save is shown as "job other".
    """
    from bench.stats import summary

    rows: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for t in tickets:
        for key in KEYS:
            job = t.get("job", {}).get(key, 0.0)
            nested = sum(t.get(n, {}).get(key, 0.0) for n in NESTED_IN_JOB)
            values = {n: t.get(n, {}).get(key, 0.0) for n in STAGES}
            values["job other"] = max(0.0, job - nested) if key != "statements" else job - nested
            values["total"] = job + values["email:received"] + values["email:after agent"]
            for name, value in values.items():
                rows[name][key].append(value)
    out = {
        name: {key: {"p50": summary(v, 3)["p50"], "mean": summary(v, 3)["mean"]} for key, v in keys.items()}
        for name, keys in rows.items()
    }
    out["jobs per ticket"] = summary(jobs, 2)
    return out
