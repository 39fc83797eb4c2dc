"""`flask agent ...` output formats (run through the app's CLI runner)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Ticket
from worker.agent.cli import agent_cli

ACTIONS = {"refund", "cancel", "replacement", "order_status", "answer", "clarify", "escalate"}


@pytest.fixture
def cli(sqlite_app, tmp_path_factory, monkeypatch):
    import worker.agent.retrieval as retrieval

    folder = tmp_path_factory.getbasetemp() / "shared-policy-index"
    monkeypatch.setattr(retrieval, "index_dir", lambda instance_path: folder)
    runner = (
        sqlite_app.test_cli_runner(mix_stderr=False)
        if _mix_stderr_supported()
        else sqlite_app.test_cli_runner()
    )
    return lambda *args, **kw: runner.invoke(agent_cli, list(args), **kw)


def _mix_stderr_supported() -> bool:
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_triage_prints_one_json_line_per_input_in_order(cli):
    texts = ["Please cancel order Z200.", "Do you ship internationally?", "Put me through to a human please."]
    result = cli("triage", "-", input="\n".join(json.dumps({"text": t}) for t in texts) + "\n")
    assert result.exit_code == 0, result.output
    rows = _lines(result.stdout)
    assert len(rows) == 3 and all(set(r) == {"action", "intent", "confidence", "language"} for r in rows)
    assert [r["action"] for r in rows] == ["cancel", "answer", "escalate"]
    assert all(r["action"] in ACTIONS and 0 <= r["confidence"] <= 1 for r in rows)


def test_redact_prints_redacted_text(cli, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"text": "Mail me at jo@example.com, card 4111 1111 1111 1111, order A1001"}) + "\n"
    )
    result = cli("redact", str(source))
    assert result.exit_code == 0, result.output
    [row] = _lines(result.stdout)
    assert set(row) == {"redacted"}
    assert "jo@example.com" not in row["redacted"] and "4111 1111 1111 1111" not in row["redacted"]
    assert "A1001" in row["redacted"]


SCENARIOS = [
    {
        "id": "ok-cancel",
        "message": "Can you cancel Z200? I no longer need it.",
        "orders": [{"number": "Z200", "status": "pending", "total": "60.00", "placed_days_ago": 1}],
        "expect": {"action": "cancel", "outcome": "done", "order": "Z200"},
    },
    {
        "id": "wrong-expectation",
        "message": "Do you ship internationally?",
        "orders": [],
        "expect": {"action": "refund"},
    },
    {
        "id": "stretch-one",
        "message": "Do you ship internationally?",
        "orders": [],
        "stretch": True,
        "expect": {"action": "cancel"},
    },
]


def test_eval_json_lines_and_exit_code(cli, sqlite_app, tmp_path):
    source = tmp_path / "s.jsonl"
    source.write_text("\n".join(json.dumps(s) for s in SCENARIOS) + "\n")
    result = cli("eval", str(source), "--json")
    assert result.exit_code == 1
    rows = _lines(result.stdout)  # stdout holds nothing but the JSON lines
    assert [r["id"] for r in rows] == ["ok-cancel", "wrong-expectation", "stretch-one"]
    keys = {
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
    }
    assert all(set(r) == keys for r in rows)
    ok = rows[0]
    assert ok["passed"] and ok["effects"] == {
        "refunds": [],
        "cancellations": ["Z200"],
        "replacements": [],
        "address_changes": [],
    }
    assert ok["citations"] == ["cancellations"] and ok["amount"] == "60.00"
    assert not rows[1]["passed"] and rows[1]["errors"] == ["action: expected 'refund', got 'answer'"]
    with sqlite_app.app_context():  # the scratch database, never the configured one
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_eval_text_report_counts_stretch_apart(cli, tmp_path):
    source = tmp_path / "s.jsonl"
    source.write_text(json.dumps(SCENARIOS[0]) + "\n" + json.dumps(SCENARIOS[2]) + "\n")
    result = cli("eval", str(source))
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("PASS ok-cancel") and lines[1].startswith("FAIL stretch-one (stretch)")
    assert lines[-2:] == ["stretch: 0 passed, 1 failed", "1 passed, 0 failed"]


def test_reap_and_index_commands(cli):
    result = cli("reap")
    assert result.exit_code == 0 and result.stdout.strip() == "stale runs: 0 requeued, 0 handed to a person"
    result = cli("index")
    assert result.exit_code == 0 and result.stdout.startswith("policy index: ")
