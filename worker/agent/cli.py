"""`flask --app wsgi agent ...`: triage, redact, eval, index, reap.

stdout carries only the command's output (JSON lines for triage, redact and `eval --json`); logging goes
to stderr.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import IO, Any

import click
from flask import current_app
from flask.cli import AppGroup

from portal.config import settings

agent_cli = AppGroup(
    "agent", help="The support agent: triage, redaction, scenario eval, policy index, stale runs."
)


def _lines(stream: IO[str]):
    """(text or None, error or None) per non-blank JSON line with a `text` field."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = record["text"] if isinstance(record, dict) else None
            if not isinstance(text, str):
                raise KeyError("text")
        except (json.JSONDecodeError, KeyError) as exc:
            yield None, f"line {number}: expected a JSON object with a text field ({exc})"
            continue
        yield text, None


def _emit(data: dict[str, Any]) -> None:
    click.echo(json.dumps(data, ensure_ascii=False))


@agent_cli.command("triage")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def triage_command(file: IO[str]) -> None:
    """Classify each {"text": ...} line of FILE (- for stdin): action, intent, confidence, language."""
    from worker.agent.backends import get_backend
    from worker.agent.redact import redact

    backend = get_backend(settings().agent)
    for text, error in _lines(file):
        if error:
            _emit({"error": error})
            continue
        result = backend.triage(redact(text))
        _emit(
            {
                "action": result.action,
                "intent": result.intent,
                "confidence": result.confidence,
                "language": result.language,
            }
        )


@agent_cli.command("redact")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def redact_command(file: IO[str]) -> None:
    """Redact personal data from each {"text": ...} line of FILE (- for stdin)."""
    from worker.agent.redact import redact

    for text, error in _lines(file):
        _emit({"error": error} if error else {"redacted": redact(text)})


@agent_cli.command("eval")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per scenario on stdout, nothing else.")
@click.option("--stats", is_flag=True, help="Print agent latency figures (median, p95) to stderr.")
def eval_command(files: tuple[str, ...], as_json: bool, stats: bool) -> None:
    """Play scenario FILES through the real agent job on a scratch database; exit 1 on any failure."""
    from evaluation.scenarios import latency_summary, load_scenarios, run_scenarios

    _quiet_logging()
    try:
        scenarios = load_scenarios(files)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    show = _emit_json if as_json else _print_line
    results = []
    for result in run_scenarios(scenarios, current_app.config, current_app.instance_path):
        results.append(result)
        show(result)
    if not as_json:  # --json promises one object per line and nothing else
        _print_totals(results)
    if stats:
        click.echo(json.dumps(latency_summary(results)), err=True)
    # Stretch scenarios report, but only the core ones decide the exit status.
    if any(not r.passed for r in results if not r.stretch):
        sys.exit(1)


def _emit_json(result) -> None:
    _emit(result.as_json())


def _print_totals(results: list) -> None:
    core = [r for r in results if not r.stretch]
    stretch = [r for r in results if r.stretch]
    if stretch:
        stretch_failed = sum(not r.passed for r in stretch)
        click.echo(f"stretch: {len(stretch) - stretch_failed} passed, {stretch_failed} failed")
    failed = sum(not r.passed for r in core)
    click.echo(f"{len(core) - failed} passed, {failed} failed")


def _print_line(result) -> None:
    mark = "PASS" if result.passed else "FAIL"
    label = f"{result.id} (stretch)" if result.stretch else result.id
    detail = f"{result.action}/{result.outcome or '-'}"
    line = f"{mark} {label}: {detail}"
    if result.errors:
        line += " -- " + "; ".join(result.errors)
    click.echo(line)


def _quiet_logging() -> None:
    # Per-ticket INFO lines would drown the report; warnings still reach stderr.
    logging.getLogger().setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        if getattr(handler, "stream", None) is sys.stdout:
            handler.setStream(sys.stderr)


@agent_cli.command("index")
def index_command() -> None:
    """(Re)build the policy index from the policy files."""
    from worker.agent.retrieval import build_index, index_dir

    index = build_index(settings().agent, current_app.instance_path, force=True)
    where = index_dir(current_app.instance_path)
    click.echo(f"policy index: {len(index.chunks)} passages ({index.embedder.name}) in {where}")


@agent_cli.command("reap")
def reap_command() -> None:
    """Run the stale-run check once: requeue stuck tickets, hand hopeless ones to a person."""
    from worker.reaper import requeue_stale_runs

    report = requeue_stale_runs()
    click.echo(f"stale runs: {report.requeued} requeued, {report.escalated} handed to a person")


@agent_cli.command("warm")
def warm_command() -> None:
    """Build (or load) the triage model and its sentence-vector table in the machine cache.

    About a minute of CPU the first time on a machine, milliseconds after; `make test` and
    deploys run it so that no worker pays it on a customer's first ticket.
    """
    from worker.agent.nlu import static_vectors, warm_up

    started = time.perf_counter()
    warm_up()
    click.echo(f"triage model ready in {static_vectors.cache_dir()} ({time.perf_counter() - started:.1f}s)")
