"""Small statistics and result helpers shared by the benchmarks."""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import re
import subprocess
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

RESULTS_DIR = Path(__file__).resolve().parent / "results"


class Skipped(Exception):
    """A benchmark cannot run yet (a part it measures is missing); the message says why."""


def percentile(values: Sequence[float], pct: float) -> float | None:
    """The pct-th percentile with linear interpolation (None for no values)."""
    data = sorted(values)
    if not data:
        return None
    if len(data) == 1:
        return float(data[0])
    rank = (len(data) - 1) * pct / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return float(data[low] + (data[high] - data[low]) * (rank - low))


def summary(values: Iterable[float], digits: int = 2) -> dict[str, Any]:
    """count, mean, p50, p95, p99 and max of a list of numbers (milliseconds, usually)."""
    data = [float(v) for v in values]
    if not data:
        return {"count": 0}

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, digits)

    return {
        "count": len(data),
        "mean": r(sum(data) / len(data)),
        "p50": r(percentile(data, 50)),
        "p95": r(percentile(data, 95)),
        "p99": r(percentile(data, 99)),
        "max": r(max(data)),
    }


def verdict(value: float | None, target: float, lower_is_better: bool = True) -> str:
    """'met' / 'not met' for a figure against its target ('n/a' without a figure)."""
    if value is None:
        return "n/a"
    ok = value <= target if lower_is_better else value >= target
    return "met" if ok else "not met"


def write_result(name: str, data: dict[str, Any]) -> Path:
    """Write a benchmark's figures (plus when and where they were taken) to bench/results/<name>.json."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "taken_at": datetime.now(UTC).isoformat(timespec="seconds")}
    payload.update(data)
    payload.setdefault("machine", machine())
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def machine() -> dict[str, Any]:
    """The machine the figures come from: cores, RAM, CPU model, Python and Postgres versions."""
    return {
        "nproc": os.cpu_count(),
        "ram_mb": _ram_mb(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "postgres": _postgres_version(),
        "kernel": platform.release(),
    }


def _ram_mb() -> int | None:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return None
    match = re.search(r"MemTotal:\s+(\d+) kB", text)
    return int(match.group(1)) // 1024 if match else None


def _cpu_model() -> str | None:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or None
    match = re.search(r"model name\s*:\s*(.+)", text)
    return match.group(1).strip() if match else None


def _postgres_version() -> str | None:
    try:
        out = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"
