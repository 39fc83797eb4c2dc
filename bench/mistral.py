"""The Mistral path against the fake server in its realistic mode: model calls and tokens per ticket.

The scenario file ../shared/scenarios/examples.jsonl is played by the eval runner
(`evaluation.scenarios`, what `flask --app wsgi agent eval` uses) with MISTRAL_API_KEY set and
MISTRAL_BASE_URL pointing at tests/fakes/mistral_server.py (rule-based replies, a fixed delay per call to
stand in for the network and the model). Calls are counted twice: by the fake (HTTP requests received)
and by the agent (AgentRun.model_calls, tokens, cost). Target: median ≤ 2 model calls per ticket.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
from pathlib import Path

from bench import services
from bench.stats import Skipped, summary, verdict

NAME = "mistral"
DESCRIPTION = "Mistral backend vs the fake server (realistic mode): model calls and tokens per ticket"
log = logging.getLogger(__name__)

SCENARIOS = services.ROOT.parent / "shared" / "scenarios" / "examples.jsonl"  # shared/ beside the clone
LOCAL_SCENARIOS = services.ROOT / "tests" / "scenarios" / "examples.jsonl"
DELAY_S = 0.3  # per model call: a fast hosted model's time to first full answer
TARGET_MEDIAN_CALLS = 2


def run(args) -> dict:
    """Play the scenarios through the eval runner against the fake; read calls and tokens per ticket."""
    try:
        from evaluation.scenarios import ScratchRunner, load_scenarios
        from tests.fakes.mistral_server import FakeMistral, rule_based_reply
    except ImportError as exc:
        raise Skipped(f"the fake Mistral server or the eval runner is missing ({exc})") from exc
    path = SCENARIOS if SCENARIOS.exists() else LOCAL_SCENARIOS
    if not path.exists():
        raise Skipped(f"no scenario file at {SCENARIOS}")
    scenarios = load_scenarios([path])
    with FakeMistral(responder=rule_based_reply, delay=DELAY_S) as fake:
        rows = play(ScratchRunner, scenarios, fake)
    calls = [r["model_calls"] for r in rows]
    median_calls = statistics.median(calls) if calls else None
    return {
        "scenario_file": str(path),
        "delay_per_call_s": DELAY_S,
        "scenarios": len(rows),
        "passed": sum(r["passed"] for r in rows),
        "model_calls": summary(calls),
        "median_model_calls": median_calls,
        "calls_seen_by_fake": sum(r["fake_chat_requests"] for r in rows),
        "embedding_requests": sum(r["fake_embedding_requests"] for r in rows),
        "prompt_tokens": summary([r["prompt_tokens"] for r in rows], 0),
        "completion_tokens": summary([r["completion_tokens"] for r in rows], 0),
        "cost_per_ticket": summary([r["cost"] for r in rows], 6),
        "job_ms": summary([r["job_ms"] for r in rows if r["job_ms"] is not None], 0),
        "per_scenario": rows,
        "targets": {
            "median_model_calls": {
                "target": TARGET_MEDIAN_CALLS,
                "value": median_calls,
                "verdict": verdict(median_calls, TARGET_MEDIAN_CALLS),
            }
        },
    }


def play(runner_cls, scenarios: list[dict], fake) -> list[dict]:
    """Run each scenario with the eval runner; pair it with its AgentRun figures and the fake's count."""
    instance = Path(tempfile.mkdtemp(prefix="supportops-bench-mistral-"))
    app = services.make_app(
        f"sqlite:///{instance / 'unused.db'}",
        MISTRAL_API_KEY="bench-fake-key",
        MISTRAL_BASE_URL=fake.url,
        MISTRAL_MAX_RETRIES=0,
        INSTANCE_PATH=str(instance),
    )
    runner = runner_cls(app.config, str(instance))
    rows = []
    try:
        for index, scenario in enumerate(scenarios):
            chat_before, embed_before = _counts(fake)
            result = runner.run(scenario, index)
            chat_after, embed_after = _counts(fake)
            rows.append(
                {
                    "id": result.id,
                    "passed": result.passed,
                    "action": result.action,
                    "outcome": result.outcome,
                    "job_ms": result.job_ms,
                    "errors": result.errors[:3],
                    "fake_chat_requests": chat_after - chat_before,
                    "fake_embedding_requests": embed_after - embed_before,
                    **_run_figures(runner.app, result.ticket_id),
                }
            )
    finally:
        runner.close()
    return rows


def _counts(fake) -> tuple[int, int]:
    paths = [r["path"] for r in list(fake.requests)]
    return sum(p.endswith("/chat/completions") for p in paths), sum(p.endswith("/embeddings") for p in paths)


def _run_figures(app, ticket_id: int | None) -> dict:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import AgentRun

    empty = {"model_calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost": 0.0, "backend": None}
    if ticket_id is None:
        return empty
    with app.app_context():
        runs = db.session.scalars(select(AgentRun).where(AgentRun.ticket_id == ticket_id)).all()
        if not runs:
            return empty
        return {
            "model_calls": sum(r.model_calls or 0 for r in runs),
            "prompt_tokens": sum(r.prompt_tokens or 0 for r in runs),
            "completion_tokens": sum(r.completion_tokens or 0 for r in runs),
            "cost": float(sum(r.cost or 0 for r in runs)),
            "backend": runs[-1].backend,
        }


def report(result: dict) -> list[str]:
    calls, job = result["model_calls"], result["job_ms"]
    lines = [
        f"{result['scenarios']} scenarios from {result['scenario_file']} ({result['passed']} passed), "
        f"fake delay {result['delay_per_call_s']} s per call",
        f"model calls per ticket: median {result['median_model_calls']}, p95 {calls.get('p95')}, "
        f"max {calls.get('max')} (fake saw {result['calls_seen_by_fake']} chat requests, "
        f"{result['embedding_requests']} embedding requests)",
        f"tokens per ticket: prompt median {result['prompt_tokens'].get('p50')}, completion median "
        f"{result['completion_tokens'].get('p50')}; cost median {result['cost_per_ticket'].get('p50')} USD",
        f"ticket time with the model: p50 {job.get('p50')} ms, p95 {job.get('p95')} ms",
    ]
    for row in result["per_scenario"]:
        lines.append(
            f"  {row['id']:28} {row['action']}/{row['outcome'] or '-':8} calls {row['model_calls']} "
            f"tokens {row['prompt_tokens']}+{row['completion_tokens']} {'PASS' if row['passed'] else 'FAIL'}"
        )
    t = result["targets"]["median_model_calls"]
    lines.append(f"target median calls <= {t['target']}: {t['verdict']} ({t['value']})")
    return lines
