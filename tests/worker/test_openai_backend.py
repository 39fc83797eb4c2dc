"""The OpenAI-compatible backend against the fake OpenAI server over real HTTP (ChatOpenAI over the
openai SDK), acting through the real toolbox and service layer on a real database: the same demo
customers and orders as tests/worker/test_mistral_backend.py, and the same loop (chat_loop.py).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from evaluation.scenarios import load_scenarios, run_scenarios
from portal import create_app
from portal.config import get_settings
from portal.config_agent import ChatSettings
from portal.extensions import db
from portal.models import Cancellation, Message, Refund, utcnow
from tests.conftest import ROOT, base_config
from tests.fakes.mistral_server import rule_based_reply
from tests.fakes.openai_server import FakeOpenAI, protocol_problem
from tests.overrides import override_settings, settings_from
from tests.worker.test_mistral_backend import (
    EXAMPLES,
    PASSAGES,
    SCRIPTED_ACTIONS,
    count,
    latest_run,
    open_demo_ticket,
    prepare,
    process_new_ticket,
    tool_messages,
    triage_for,
)
from worker.agent.backends import backend_name, get_backend
from worker.agent.backends.base import BackendError
from worker.agent.backends.openai_compatible import NO_KEY, OpenAIBackend
from worker.agent.context import build_context, load_ticket, redactor, triage_text
from worker.agent.toolbox import ServiceToolbox

MODEL = "llama3.1:8b"  # what an Ollama user would configure


@pytest.fixture
def fake():
    with FakeOpenAI() as server:
        yield server


def prepare_openai(app, fake):
    """The Mistral tests' demo data, and the OpenAI backend pointed at the fake with short waits."""
    prepare(app, fake)
    override_settings(
        app,
        MISTRAL_API_KEY=None,  # retrieval stays offline; nothing may go to a Mistral endpoint
        AGENT_BACKEND="openai",
        OPENAI_BASE_URL=fake.url,
        OPENAI_MODEL=MODEL,
        OPENAI_API_KEY="test-key",
        OPENAI_TIMEOUT=0.5,
        OPENAI_MAX_RETRIES=2,
        OPENAI_BACKOFF_SECONDS=0.01,
        OPENAI_BACKOFF_MAX_SECONDS=0.05,
        OPENAI_INPUT_COST_PER_MTOK=Decimal("0.15"),
        OPENAI_OUTPUT_COST_PER_MTOK=Decimal("0.60"),
    )
    return app


@pytest.fixture
def app(sqlite_app, fake):
    return prepare_openai(sqlite_app, fake)


def run_backend(app, body, *, action="refund", **ticket):
    """Open a ticket and run the OpenAI backend on it the way the pipeline does."""
    ticket_id = open_demo_ticket(app, body, **ticket)
    with app.app_context():
        snapshot = load_ticket(ticket_id)
        clean = redactor(snapshot)
        text = clean(triage_text(snapshot))
        limits = get_settings(app).policy
        ctx = build_context(snapshot, text=text, clean=clean, triage=triage_for(text, action),
                            passages=PASSAGES, limits=limits, now=utcnow())  # fmt: skip
        db.session.close()
        toolbox = ServiceToolbox(ticket_id=ticket_id, customer_id=snapshot.customer_id, run_id=None,
                                 limits=limits, vault=clean.vault)  # fmt: skip
        return OpenAIBackend(get_settings(app).agent.openai).run(ctx, toolbox), toolbox


def agent_reply(app, ticket_id) -> str:
    with app.app_context():
        replies = select(Message.body).filter_by(ticket_id=ticket_id, author_kind="agent")
        return db.session.scalars(replies).one()


# --- selection and settings ------------------------------------------------------------------------


def test_the_backend_is_chosen_by_agent_backend_only(tmp_path):
    def chosen(**keys) -> str:
        return backend_name(settings_from(tmp_path, **keys).agent)

    assert chosen(AGENT_BACKEND="openai") == "openai"
    # A key in the environment for some other tool must not send tickets to OpenAI.
    assert chosen(AGENT_BACKEND="auto", MISTRAL_API_KEY=None, OPENAI_API_KEY="sk-x") == "offline"
    assert chosen(AGENT_BACKEND="auto", MISTRAL_API_KEY="k", OPENAI_API_KEY="sk") == "mistral"


def test_settings_come_from_the_config_module_and_the_key_is_optional(tmp_path, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "AGENT_JOB_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    settings = settings_from(tmp_path).agent.openai
    assert (settings.base_url, settings.model) == ("https://api.openai.com/v1", "gpt-4o-mini")
    assert settings.api_key is None
    assert settings.timeout == 60.0 and settings.budget == 96.0 and settings.cost(10**6, 10**6) == 0
    with pytest.raises(ValueError, match="needs OPENAI_"):  # no second set of defaults here
        ChatSettings.from_prefix({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}, "OPENAI")


# --- the happy path --------------------------------------------------------------------------------


def test_tool_call_then_final_answer_refunds_in_two_calls(app, fake):
    fake.queue_tool_call("refund", {"order_number": "A1003", "reason": "arrived broken"})
    fake.queue_answer("Sorry about that! Your refund of 42.00 USD for order A1003 is on its way [1].")

    result, toolbox = run_backend(app, "My headphones from A1003 arrived broken, refund please.")

    assert result.action == "refund" and result.order_number == "A1003"
    assert result.reply == "Sorry about that! Your refund of 42.00 USD for order A1003 is on its way."
    assert result.cited_policies == ["refunds"] and [o.outcome for o in toolbox.outcomes] == ["done"]
    assert count(app, Refund, amount=Decimal("42.00")) == 1
    assert result.usage.model_calls == 2 == len(fake.chat_requests)
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    expected = (result.usage.prompt_tokens * Decimal("0.15")
                + result.usage.completion_tokens * Decimal("0.60")) / Decimal(1_000_000)  # fmt: skip
    assert abs(result.usage.cost - expected) < Decimal("0.000002") and result.usage.cost > 0
    assert result.model == MODEL and [s["step"] for s in result.steps] == ["model_call", "model_call"]
    first, second = fake.chat_requests
    assert first["model"] == MODEL and first["temperature"] == 0.0 and "tool_choice" not in first
    assert fake.requests[0]["headers"]["authorization"] == "Bearer test-key"
    assert fake.requests[0]["headers"]["x-stainless-retry-count"] == "0"
    [call] = second["messages"][-2]["tool_calls"]  # the assistant's call, then the tool's answer
    assert call["id"].startswith("call_") and second["messages"][-1]["tool_call_id"] == call["id"]
    assert json.loads(second["messages"][-1]["content"])["outcome"] == "done"


def test_a_local_server_needs_no_key(app, fake):
    override_settings(app, OPENAI_API_KEY=None)
    fake.queue_answer("We ship to the EU and the UK [2].")

    result, _ = run_backend(app, "Do you ship to Norway?", action="answer")

    assert result.action == "answer" and result.cited_policies == ["shipping"]
    assert fake.requests[0]["headers"]["authorization"] == f"Bearer {NO_KEY}"


def test_only_the_redacted_ticket_and_own_orders_reach_the_server(app, fake):
    fake.queue_tool_call("refund", {"order_number": "A1003"})
    fake.queue_answer("Your refund of 42.00 USD for order A1003 has been issued.")

    run_backend(app, "Refund A1003. I paid with 4111 1111 1111 1111; write to jane.doe@mail.example.")

    sent = fake.sent_text()
    for secret in ("4111", "jane.doe@mail.example", "customer@example.com", "Jane Doe", "B2001"):
        assert secret not in sent
    assert {t["function"]["name"] for t in fake.chat_requests[0]["tools"]} >= {"refund", "cancel", "escalate"}


# --- what the model gets wrong ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, args",
    [
        ("refund", {"order_number": {"nested": "A1003"}}),  # wrong type
        ("refund", {"reason": "broken"}),  # no order number
        ("refund_everything", {"order_number": "A1003"}),  # no such tool
        ("refund", '{"order_number": "A1003"'),  # not JSON at all
    ],
)
def test_a_bad_tool_call_goes_back_to_the_model_as_the_tools_answer(app, fake, name, args):
    fake.queue_tool_call(name, args)
    fake.queue_tool_call("refund", {"order_number": "A1003"})
    fake.queue_answer("Your refund of 42.00 USD for order A1003 has been issued.")

    result, toolbox = run_backend(app, "Refund A1003, it arrived broken.")

    # The fake refuses a conversation with an unanswered tool call: the broken one got its answer.
    assert result.action == "refund" and result.usage.model_calls == 3
    assert [o.outcome for o in toolbox.outcomes][-1] == "done" and count(app, Refund) == 1
    error = tool_messages(fake.chat_requests[1])[0]
    assert error["outcome"] == "error" and error["message"]
    broken = fake.chat_requests[1]["messages"][-2]["tool_calls"][0]
    assert broken["function"]["name"] == name
    assert fake.chat_requests[1]["messages"][-1]["tool_call_id"] == broken["id"]


def test_the_last_allowed_call_may_only_answer(app, fake):
    override_settings(app, OPENAI_MAX_STEPS=3)
    fake.queue_tool_call("refund", {"reason": "x"})
    fake.queue_tool_call("refund", {"reason": "x"})
    fake.queue_answer("I need the order number to help you. Which order is it?")

    result, _ = run_backend(app, "Refund please.")

    assert fake.chat_requests[2]["tool_choice"] == "none" and result.usage.model_calls == 3
    assert result.action == "clarify" and count(app, Refund) == 0


def test_reply_with_an_invented_amount_is_replaced(app, fake):
    fake.queue_tool_call("refund", {"order_number": "A1003"})
    fake.queue_answer("Your refund of 50.00 USD has been issued.")

    result, _ = run_backend(app, "Refund A1003.")

    assert result.reply is None and result.action == "refund"


# --- transient failures: retry.py retries, the SDK's own retries are off ---------------------------


def test_429_waits_for_retry_after(app, fake):
    fake.queue_error(429, retry_after=0.3)
    fake.queue_answer("We ship to the EU and the UK [2].")

    result, _ = run_backend(app, "Do you ship to Spain?", action="answer")

    assert fake.requests[1]["at"] - fake.requests[0]["at"] >= 0.28  # not the 0.01 s backoff
    assert result.usage.model_calls == 1 and "HTTP 429" in result.steps[0]["retries"][0]


def test_429_honours_openais_retry_after_ms(app, fake):
    fake.queue_error(429, retry_after=5, retry_after_ms=250)  # the finer header wins
    fake.queue_answer("We ship to the EU and the UK [2].")

    result, _ = run_backend(app, "Do you ship to Spain?", action="answer")

    assert 0.23 <= fake.requests[1]["at"] - fake.requests[0]["at"] < 4
    assert "waited 0.25s" in result.steps[0]["retries"][0]


def test_5xx_is_retried_with_backoff(app, fake):
    fake.queue_error(500)
    fake.queue_tool_call("refund", {"order_number": "A1003"})
    fake.queue_error(503)
    fake.queue_answer("Your refund of 42.00 USD for order A1003 has been issued.")

    result, _ = run_backend(app, "Refund A1003.")

    assert len(fake.chat_requests) == 4 and result.usage.model_calls == 2
    assert result.action == "refund" and count(app, Refund) == 1
    assert ["HTTP 500" in r for r in result.steps[0]["retries"]] == [True]


def test_persistent_5xx_gives_up_as_transient_after_our_retries_only(app, fake):
    for _ in range(3):
        fake.queue_error(503)

    with pytest.raises(BackendError) as raised:
        run_backend(app, "Do you ship to Spain?", action="answer")

    # 1 try + OPENAI_MAX_RETRIES=2: the openai SDK's own retries would make it more.
    assert raised.value.transient and "503" in str(raised.value) and len(fake.chat_requests) == 3


def test_timeouts_are_retried(app, fake):
    fake.queue_answer("too late", delay=1.0)  # longer than OPENAI_TIMEOUT=0.5
    fake.queue_answer("We ship to the EU and the UK [2].")

    started = time.monotonic()
    result, _ = run_backend(app, "Do you ship to Spain?", action="answer")

    assert result.reply == "We ship to the EU and the UK." and "timeout" in result.steps[0]["retries"][0]
    assert time.monotonic() - started < 5


def test_bad_key_is_not_transient(app, fake):
    fake.queue_error(401)

    with pytest.raises(BackendError) as raised:
        run_backend(app, "Do you ship to Spain?", action="answer")

    assert raised.value.transient is False and len(fake.chat_requests) == 1


# --- through the real job: AgentRun, grounding ------------------------------------------------------


def test_job_records_backend_model_tokens_and_cost(app, fake):
    fake.queue_tool_call("refund", {"order_number": "A1003", "reason": "arrived broken"})
    fake.queue_answer("Sorry about that! Your refund of 42.00 USD for order A1003 has been issued [1].")

    ticket_id = process_new_ticket(app, "My headphones from order A1003 arrived broken, refund please.")

    run = latest_run(app, ticket_id)
    assert (run.status, run.backend, run.model) == ("done", "openai", MODEL)
    assert (run.action, run.outcome) == ("refund", "done")
    assert run.model_calls == 2 and run.prompt_tokens > 0 and run.completion_tokens > 0
    expected = (run.prompt_tokens * Decimal("0.15") + run.completion_tokens * Decimal("0.60")) / 10**6
    assert Decimal("0") < run.cost and abs(run.cost - expected) < Decimal("0.000002")
    assert [s["step"] for s in run.trace].count("backend:model_call") == 2
    assert agent_reply(app, ticket_id).startswith("Sorry about that! Your refund of 42.00 USD")
    assert all(r["path"].endswith("/chat/completions") for r in fake.requests)  # retrieval stayed local


def test_grounding_replaces_a_false_all_done_from_this_backend_too(app, fake):
    fake.queue_tool_call("cancel", {"order_number": "A1002"})  # shipped: the tool refuses
    fake.queue_answer("All done as requested.")

    ticket_id = process_new_ticket(app, "Please cancel my order A1002.")

    reply = agent_reply(app, ticket_id)
    assert "All done" not in reply and "A1002" in reply and "shipped" in reply
    run = latest_run(app, ticket_id)
    assert run.backend == "openai" and (run.action, run.outcome) == ("cancel", "denied")
    assert run.reply_replaced == "reply claims done but no action was carried out"
    assert count(app, Cancellation) == 0


def test_job_hands_the_ticket_to_a_person_when_the_server_stays_down(app, fake):
    for _ in range(3):
        fake.queue_error(503)

    with pytest.raises(BackendError):
        process_new_ticket(app, "Do you ship to Norway?")

    with app.app_context():
        from portal.models import AgentRun, Ticket

        assert db.session.scalars(select(Ticket.status)).one() == "escalated"
        run = db.session.scalars(select(AgentRun)).one()
        assert run.status == "failed" and "503" in run.error


# --- the shared scenario examples --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not EXAMPLES.exists(), reason="the shared example scenarios are not on this machine")
def test_shared_examples_resolve_against_the_fake_server(tmp_path):
    """The examples the fake's keyword "model" can read (as in the Mistral test) all pass."""
    scenarios = [
        s
        for s in load_scenarios([EXAMPLES])
        if "turns" not in s
        and "language" not in s["expect"]
        and s["expect"].get("action") in SCRIPTED_ACTIONS
    ]
    calls, failed = [], []
    with FakeOpenAI(responder=rule_based_reply) as realistic:
        config = base_config("sqlite://", tmp_path, AGENT_BACKEND="openai", OPENAI_BASE_URL=realistic.url,
                             OPENAI_MODEL=MODEL, RETRIEVAL_EMBEDDER="offline")  # fmt: skip
        app = create_app(config)
        assert get_backend(get_settings(app).agent).name == "openai"
        for result in run_scenarios(scenarios, app.config, app.instance_path):
            calls.append(len(realistic.chat_requests) - sum(calls))
            failed += [] if result.passed else [(result.id, result.errors)]
    assert len(scenarios) >= 5 and failed == []
    assert statistics.median(calls) <= 2 and max(calls) <= 2 and min(calls) >= 1


# --- the fake's own protocol check --------------------------------------------------------------------


def test_the_fake_refuses_what_an_openai_server_refuses():
    call = {"id": "call_1", "type": "function", "function": {"name": "refund", "arguments": "{}"}}
    asked = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None, "tool_calls": [call]}]
    ok = {"model": "m", "messages": [*asked, {"role": "tool", "tool_call_id": "call_1", "content": "{}"}]}
    assert protocol_problem(ok) is None
    assert "not answered" in protocol_problem({"model": "m", "messages": asked})
    assert "must answer" in protocol_problem({"model": "m", "messages": [*asked[:1], ok["messages"][2]]})
    bad_args = {**call, "function": {"name": "refund", "arguments": {}}}
    raw_args = [asked[0], {**asked[1], "tool_calls": [bad_args]}]
    assert "JSON string" in protocol_problem({"model": "m", "messages": raw_args})
    assert "only allowed" in protocol_problem({"model": "m", "messages": asked[:1], "tool_choice": "none"})


# --- no network: nothing on this path downloads anything (tiktoken's encodings included) --------------

_NO_NETWORK_RUN = """
import fcntl, json, socket, struct, sys, tempfile
from pathlib import Path

# A fresh network namespace has only a loopback interface, and it is down: bring it up.
ifreq = struct.pack("16sh", b"lo", 0)
probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flags = struct.unpack("16sh", fcntl.ioctl(probe, 0x8913, ifreq))[1]  # SIOCGIFFLAGS
fcntl.ioctl(probe, 0x8914, struct.pack("16sh", b"lo", flags | 1))  # SIOCSIFFLAGS, IFF_UP

import tiktoken.load
fetched = []
real_read = tiktoken.load.read_file
tiktoken.load.read_file = lambda path: fetched.append(path) or real_read(path)

from tests.conftest import make_app
from tests.fakes.openai_server import FakeOpenAI
from tests.worker.test_mistral_backend import latest_run, process_new_ticket
from tests.worker.test_openai_backend import prepare_openai

tmp = Path(tempfile.mkdtemp())
with FakeOpenAI() as fake:
    app = prepare_openai(make_app(f"sqlite:///{tmp / 'run.db'}", tmp), fake)
    fake.queue_tool_call("refund", {"order_number": "A1003", "reason": "arrived broken"})
    fake.queue_answer("Your refund of 42.00 USD for order A1003 has been issued [1].")
    ticket_id = process_new_ticket(app, "My headphones from order A1003 arrived broken, refund please.")
    run = latest_run(app, ticket_id)
fetched_during_run = list(fetched)
try:  # what any token counting would need: proves the sandbox would have caught it
    tiktoken.get_encoding("cl100k_base")
    download = "succeeded"
except Exception as exc:
    download = type(exc).__name__
print(json.dumps({
    "interfaces": [name for _, name in socket.if_nameindex()],
    "run": [run.status, run.backend, run.model_calls, run.prompt_tokens, str(run.cost)],
    "fetched_during_run": fetched_during_run,
    "download": download,
}))
"""


def _can_unshare_network() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode == 0  # noqa: S607


@pytest.mark.skipif(not _can_unshare_network(), reason="needs `unshare --net` (root or user namespaces)")
def test_a_ticket_runs_with_no_network_at_all(tmp_path):
    """The whole job in a network namespace with only loopback (the fake server runs inside it)."""
    # TIKTOKEN_CACHE_DIR="": no cache, so any use of an encoding would have to download it.
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": "", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(  # noqa: S603
        ["unshare", "--net", sys.executable, "-c", _NO_NETWORK_RUN],  # noqa: S607
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["interfaces"] == ["lo"]
    status, backend, calls, prompt_tokens, cost = report["run"]
    assert (status, backend, calls) == ("done", "openai", 2) and prompt_tokens > 0 and Decimal(cost) > 0
    assert report["fetched_during_run"] == []  # tiktoken never asked for an encoding
    assert report["download"] != "succeeded"  # and had it asked, it would have failed here
