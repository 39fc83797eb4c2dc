"""The shared example scenarios and the project's own scenario file pass through the real agent job."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation.scenarios import latency_summary, load_scenarios, run_scenarios

ROOT = Path(__file__).parents[2]
SHARED_EXAMPLES = ROOT.parent / "shared/scenarios/examples.jsonl"
PROJECT_SCENARIOS = ROOT / "tests/scenarios/supportops.jsonl"


@pytest.fixture
def play(sqlite_app, tmp_path_factory, monkeypatch):
    import worker.agent.retrieval as retrieval

    folder = tmp_path_factory.getbasetemp() / "shared-policy-index"
    monkeypatch.setattr(retrieval, "index_dir", lambda instance_path: folder)

    def run(path: Path):
        with sqlite_app.app_context():
            return list(run_scenarios(load_scenarios([path]), sqlite_app.config, sqlite_app.instance_path))

    return run


def _failures(results):
    return [f"{r.id}: {'; '.join(r.errors)}" for r in results if not r.stretch and not r.passed]


def test_shared_examples_pass(play):
    if not SHARED_EXAMPLES.exists():
        pytest.skip(f"{SHARED_EXAMPLES} not present")
    results = play(SHARED_EXAMPLES)
    assert results and _failures(results) == []


def test_project_scenarios_pass(play):
    scenarios = load_scenarios([PROJECT_SCENARIOS])
    assert sum(not s.get("stretch") for s in scenarios) >= 60
    results = play(PROJECT_SCENARIOS)
    assert _failures(results) == []
    figures = latency_summary(results)
    assert figures["tickets"] == len(scenarios) and figures["agent_p95_ms"] < 1000


CONVERSATIONS = ROOT / "tests/scenarios/conversations.jsonl"


def test_conversations_pass(play):
    scenarios = load_scenarios([CONVERSATIONS])
    assert len(scenarios) >= 30 and all(s.get("turns") for s in scenarios)
    assert _failures(play(CONVERSATIONS)) == []


def test_the_runner_refuses_to_empty_a_database_that_is_not_its_scratch_file(sqlite_app, tmp_path):
    from evaluation.scenarios import ScratchRunner
    from portal.extensions import db
    from portal.models import User

    runner = ScratchRunner(sqlite_app.config, sqlite_app.instance_path)
    scratch = runner.tmpdir
    try:
        with runner.app.app_context():
            runner.refuse_unless_scratch()  # its own scratch file: allowed
            db.session.add(User(email="kept@example.com", name="Kept", password_hash="x"))
            db.session.commit()
        runner.tmpdir = tmp_path  # as if the app pointed at any other database
        with runner.app.app_context(), pytest.raises(RuntimeError, match="refuses"):
            runner._reset()
        with runner.app.app_context():
            assert db.session.query(User).filter_by(email="kept@example.com").count() == 1
    finally:
        runner.tmpdir = scratch
        runner.close()


def test_the_runner_never_touches_the_configured_database(sqlite_app):
    from evaluation.scenarios import ScratchRunner
    from portal.extensions import db

    runner = ScratchRunner(sqlite_app.config, sqlite_app.instance_path)
    try:
        with runner.app.app_context():
            assert str(db.engine.url) != sqlite_app.config["SQLALCHEMY_DATABASE_URI"]
            assert runner.tmpdir.name.startswith("supportops-eval-")
    finally:
        runner.close()
