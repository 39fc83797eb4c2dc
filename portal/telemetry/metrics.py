"""The Prometheus metrics SupportOps exports, in one place (prometheus_client).

Under gunicorn and several RQ workers each process counts for itself; with PROMETHEUS_MULTIPROC_DIR
set (one directory per host, emptied at start: gunicorn.conf.py and `python -m worker` do it) every
process writes its values there and `/metrics` adds them up, so a scrape sees the whole host, not the
one process that answered it. The variable is read by prometheus_client itself when this module is
imported, so it must be in the environment before the app starts, not in instance config.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# Request latency by Flask endpoint (the route's name, never the raw path: bounded label values).
REQUEST_SECONDS = Histogram(
    "supportops_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUESTS = Counter(
    "supportops_http_requests",
    "HTTP requests answered, by endpoint, method and status.",
    ["endpoint", "method", "status"],
)
TICKETS_CREATED = Counter("supportops_tickets_created", "Tickets created (counted once committed).")
AGENT_RUNS = Counter(
    "supportops_agent_runs", "Agent runs finished, by outcome (answered, escalated, failed) and backend.",
    ["outcome", "backend"],
)  # fmt: skip
ESCALATIONS = Counter(
    "supportops_escalations", "Tickets handed to a person by the agent, by reason code.", ["reason"]
)
MODEL_TOKENS = Counter(
    "supportops_model_tokens", "Model tokens used by agent runs, by backend and kind (prompt, completion).",
    ["backend", "kind"],
)  # fmt: skip
MODEL_COST = Counter(
    "supportops_model_cost_usd", "Estimated model cost of agent runs, by backend.", ["backend"]
)


def record_run(outcome: str, backend: str, *, escalation: str | None = None, usage=None) -> None:
    """Count one finished agent run: its outcome, why it went to a person, the model's tokens and cost."""
    AGENT_RUNS.labels(outcome, backend).inc()
    if escalation:
        ESCALATIONS.labels(escalation).inc()
    if usage is not None and usage.model_calls:
        MODEL_TOKENS.labels(backend, "prompt").inc(usage.prompt_tokens)
        MODEL_TOKENS.labels(backend, "completion").inc(usage.completion_tokens)
        MODEL_COST.labels(backend).inc(float(usage.cost))
