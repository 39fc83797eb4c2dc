"""Where the CPU goes during a load step: our children by role, this process, our Postgres backends, the rest.

Read from /proc (Linux): utime + stime of every process in the process groups the harness started
(gunicorn, RQ workers, redis-server), of this process (the load generator), and of the Postgres backends
serving the benchmark's database (their process title names it). "Machine busy" is all CPU time the
kernel counted as not idle; what is left after ours is other work on the machine.
"""

from __future__ import annotations

import os
from pathlib import Path

TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")


def _proc_times(pid: str) -> tuple[int, float] | None:
    """(process group, CPU seconds) of one process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[2]), (int(fields[11]) + int(fields[12])) * TICK_S


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def machine_busy_s() -> float:
    """CPU seconds the machine spent not idle since boot (all cores)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) * TICK_S


def snapshot(groups: dict[str, list[int]], database: str | None) -> dict[str, float]:
    """CPU seconds so far per role: each role's process groups, 'postgres' backends of `database`, 'bench'."""
    by_group = {pgid: role for role, pgids in groups.items() for pgid in pgids}
    totals = dict.fromkeys([*groups, "postgres", "bench"], 0.0)
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        times = _proc_times(pid)
        if times is None:
            continue
        pgid, seconds = times
        if pgid in by_group:
            totals[by_group[pgid]] += seconds
        elif database and database in _cmdline(pid) and "postgres" in _cmdline(pid):
            totals["postgres"] += seconds
    own = os.times()
    totals["bench"] = own.user + own.system
    totals["machine"] = machine_busy_s()
    return totals


def per_item_ms(before: dict[str, float], after: dict[str, float], items: int) -> dict[str, float]:
    """CPU milliseconds per item (ticket, request) for each role, plus 'other' (the rest of the machine)."""
    if items <= 0:
        return {}
    delta = {key: after[key] - before.get(key, 0.0) for key in after}
    ours = sum(value for key, value in delta.items() if key != "machine")
    delta["other"] = max(0.0, delta["machine"] - ours)
    return {key: round(value * 1000.0 / items, 1) for key, value in delta.items()}
