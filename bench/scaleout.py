"""Scale-out: the end-to-end run with 1, 2 and 4 RQ worker processes, at a rate above one worker's capacity.

Same stack as `e2e` (gunicorn 2x4, private Redis, Postgres); workers are added to it (1, then 2, then 4);
two series:

- offline backend: CPU-bound jobs. Offered 1.5x one worker process's measured capacity (from the `agent`
  benchmark). On this 2-core machine gunicorn, Postgres, Redis, the load generator and the workers share
  two cores, so CPU caps the gain early: this series shows where a single machine tops out.
- Mistral backend against the fake server (0.3 s per model call, ~2 calls per ticket): jobs wait on the
  model like in production, so throughput should grow with the number of worker processes; this is the
  series that sizes a deployment (docs/deploy.md).

Answer throughput = answers stored per second, from the first ticket's creation to the last answer.
"""

from __future__ import annotations

import contextlib
import json
import logging

from bench import services
from bench.e2e import cpu_line
from bench.loadgen import load_step, ticket_stack
from bench.stats import RESULTS_DIR, Skipped

NAME = "scaleout"
DESCRIPTION = "throughput with 1, 2 and 4 RQ workers: offline (CPU-bound) and Mistral fake (model-bound)"
log = logging.getLogger(__name__)

WORKER_COUNTS = (1, 2, 4)
DEFAULT_RATE = 30.0
MODEL_DELAY_S = 0.3
MODEL_RATE = 6.0  # above 4 workers' capacity at ~0.65 s per ticket


def offered_rate() -> float:
    """1.5x one worker process's sequential capacity from the agent benchmark, within [20, 60]/s."""
    try:
        agent = json.loads((RESULTS_DIR / "agent.json").read_text())
        per_process = float(agent["tickets_per_second_per_process"])
    except (OSError, KeyError, ValueError, TypeError):
        return DEFAULT_RATE
    return float(min(60, max(20, round(1.5 * per_process))))


def run(args) -> dict:
    """Both series, a fresh stack per worker count."""
    quick = args.quick
    result = {"offline": series(offered_rate(), 6.0 if quick else 15.0)}
    try:
        result["mistral_fake"] = model_bound_series(4.0 if quick else 10.0)
    except Skipped as exc:
        result["mistral_fake"] = {"skipped": str(exc)}
    return result


def series(rate: float, seconds: float, **env_extra) -> dict:
    """The same load on 1, then 2, then 4 workers (added to one stack); throughput and speed-up."""
    runs = {}
    with ticket_stack(workers=0, customers=40, **env_extra) as stack, contextlib.ExitStack() as workers:
        running = 0
        for count in WORKER_COUNTS:
            workers.enter_context(services.rq_workers(stack.env, count - running))
            running = count
            services.wait_for_workers(stack.redis_url, count)
            load_step(stack, 3.0, 2.0, drain_timeout=30.0, seed=count * 10)  # warm up the new workers
            runs[str(count)] = load_step(stack, rate, seconds, drain_timeout=120.0, seed=count)
    base = runs["1"]["answer_throughput"] or 0
    speedup = {
        n: (round(r["answer_throughput"] / base, 2) if base and r["answer_throughput"] else None)
        for n, r in runs.items()
    }
    return {"offered_rate": rate, "seconds": seconds, "runs": runs, "speedup": speedup}


def model_bound_series(seconds: float) -> dict:
    """The series with the Mistral backend pointed at the fake server (started here, in this process)."""
    try:
        from tests.fakes.mistral_server import FakeMistral, rule_based_reply
    except ImportError as exc:
        raise Skipped(f"tests/fakes/mistral_server.py is missing ({exc})") from exc
    with contextlib.ExitStack() as stack:
        fake = stack.enter_context(FakeMistral(responder=rule_based_reply, delay=MODEL_DELAY_S))
        env = {
            "MISTRAL_API_KEY": "bench-fake-key",
            "MISTRAL_BASE_URL": fake.url,
            "RETRIEVAL_EMBEDDER": "offline",  # the prebuilt index; only chat calls go to the fake
        }
        figures = series(MODEL_RATE, seconds, **env)
    figures["delay_per_call_s"] = MODEL_DELAY_S
    return figures


def report(result: dict) -> list[str]:
    lines = []
    for name, label in (("offline", "offline backend"), ("mistral_fake", "Mistral backend, fake server")):
        figures = result.get(name, {})
        if "skipped" in figures or not figures:
            lines.append(f"{label}: skipped: {figures.get('skipped', 'not run')}")
            continue
        lines.append(
            f"{label}: offered {figures['offered_rate']:.0f} tickets/s for {figures['seconds']:.0f} s"
        )
        for count, r in figures["runs"].items():
            a = r["answer_ms"]
            lines.append(
                f"  {count} worker(s): throughput {r['answer_throughput']}/s (x{figures['speedup'][count]}; "
                f"arrivals {r['achieved_submit_rate']}/s), answer p50 {a.get('p50')} ms, "
                f"p95 {a.get('p95')} ms, backlog at end {r['backlog_at_end']}, lost {r['lost']}"
            )
            lines.append(f"     CPU ms per ticket: {cpu_line(r.get('cpu_ms_per_ticket', {}))}")
    return lines
