"""The hand-marked evaluation set, and triage that does not move when PII is written around a request."""

import json
from pathlib import Path

import pytest

from worker.agent.nlu import triage
from worker.agent.redact import redact
from worker.agent.redaction.evaluate import load, score

DATA = Path(__file__).parent / "data" / "pii_eval.jsonl"
# Issue 18's probe: external-style messages (names of many origins without cues, full addresses of many
# countries). Tuned on: these thresholds guard against regressions, they do not measure generalisation.
PROBE_V2 = Path(__file__).parent / "data" / "pii_probe_v2.jsonl"
SCENARIOS = Path(__file__).parents[1] / "scenarios" / "supportops.jsonl"

# PII wrapped around a request the way customers write it; none of it may change what the agent does.
WRAPPERS = [
    "Hi, this is Linda Johnson (born 12/03/1985, phone +44 20 7946 0958 ext. 12). {}",
    "{} My neighbour John Smith at 14 Mill Lane, Leeds LS1 4AB can sign. Regards,\nMaria Fernandez",
    "{} Card 4111.1111.1111.1111, DNI 12345678Z, Mme Dubois, tél 06 12 34 56 78.",
    "Oluwaseun Adeyemi at 4821 Oakridge Blvd, Apt 5, Springfield, IL 62704 says: {} Tel 415.555.0132x12",
]


def test_recall_per_kind_and_what_survives():
    rows = load(DATA)
    figures = score(rows)
    assert len(rows) >= 150 and sum(figures.total.values()) >= 130 and figures.keep_total >= 80
    for kind in ("phone", "card", "address", "name", "dob", "id", "email", "iban"):
        assert figures.recall(kind) >= 0.9, kind
    assert figures.kept / figures.keep_total >= 0.99  # order numbers, amounts, dates, tracking, items
    assert figures.clean_touched == 0


def test_probe_v2_recall_per_kind_and_what_survives():
    rows = load(PROBE_V2)
    figures = score(rows)
    assert len(rows) >= 150 and figures.total["name"] >= 60 and figures.total["address"] >= 30
    assert figures.recall("name") >= 0.95 and figures.recall("address") >= 0.9
    for kind in ("phone", "card", "email", "iban", "ssn", "ip", "dob", "id"):
        assert figures.recall(kind) == 1.0, kind
    assert figures.kept == figures.keep_total  # order numbers, amounts, brand and product names
    assert figures.clean_touched == 0


def _scenario_messages() -> list[str]:
    rows = [json.loads(line) for line in SCENARIOS.read_text(encoding="utf-8").splitlines() if line.strip()]
    # The address scenarios carry an address of their own (the wrapper's would be a second one); a bare
    # "Hi there!" is a greeting only while nothing else is written around it.
    messages = [r.get("message", "") for r in rows]
    return [m for m in messages if len(m.split()) >= 5 and "address" not in m.lower()][:40]


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_triage_action_does_not_change_with_pii_around(wrapper):
    changed = []
    for message in _scenario_messages():
        plain = triage(redact(message)).action
        wrapped = triage(redact(wrapper.format(message))).action
        if wrapped != plain:
            changed.append((message, plain, wrapped))
    assert not changed
