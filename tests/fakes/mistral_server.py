"""A scripted fake of the Mistral HTTP API (chat completions and embeddings) on 127.0.0.1.

Real HTTP, so the real client (langchain-mistralai over httpx) is what gets tested:

    with FakeMistral() as fake:                        # free port, background thread
        fake.queue_tool_call("refund", {"order_number": "A1001"})
        fake.queue_error(429, retry_after=0.05)        # the next request gets a 429
        fake.queue_answer("Your refund has been issued [1].")
        override_settings(app, MISTRAL_BASE_URL=fake.url, MISTRAL_API_KEY="test")
        ...
        fake.chat_requests[0]["messages"]               # what the model was sent

Every queued reply may carry `delay=` seconds (to provoke client timeouts). With an empty queue the
server answers with `responder` when one is set (`FakeMistral(responder=rule_based_reply)` is the
"realistic" mode for benchmarks: it picks a tool from the ticket text, then answers from the tool
result), and otherwise with HTTP 400 so a test that scripted too little fails loudly.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], dict[str, Any]]
_ID_ALPHABET = string.ascii_letters + string.digits
EMBEDDING_DIMENSIONS = 64


@dataclass
class Scripted:
    """One scripted HTTP answer: a JSON body (or an error status) after an optional delay."""

    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def tool_call_id() -> str:
    """Nine characters of [A-Za-z0-9], the shape Mistral gives tool call ids."""
    return "".join(_ID_ALPHABET[b % len(_ID_ALPHABET)] for b in uuid.uuid4().bytes[:9])


def estimate_tokens(value: Any) -> int:
    """Roughly four characters per token, like the real tokenizer on English text."""
    text = value if isinstance(value, str) else json.dumps(value)
    return max(1, len(text) // 4)


def completion(message: dict[str, Any], request: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A chat.completion body around an assistant message, with usage estimated from the request."""
    request = request or {}
    prompt_tokens = estimate_tokens(request.get("messages", [])) + estimate_tokens(request.get("tools") or "")
    completion_tokens = estimate_tokens(message)
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    return {
        "id": uuid.uuid4().hex,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "mistral-small-latest"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def tool_call_message(
    calls: list[tuple[str, Any]], content: str | None = "", new_id: Callable[[], str] = tool_call_id
) -> dict[str, Any]:
    """An assistant message calling tools; arguments given as a dict are JSON-encoded, strings sent as is."""
    return {
        "role": "assistant",
        "content": content,
        "tool_calls": [
            {
                "id": new_id(),
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": args if isinstance(args, str) else json.dumps(args),
                },
            }
            for name, args in calls
        ],
    }


def answer_message(text: str) -> dict[str, Any]:
    """An assistant message with a final answer."""
    return {"role": "assistant", "content": text, "tool_calls": None}


def fake_embedding(text: str) -> list[float]:
    """A deterministic bag-of-words vector: texts sharing words get similar vectors."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
        vector[int.from_bytes(digest, "big") % EMBEDDING_DIMENSIONS] += 1.0
    norm = sum(v * v for v in vector) ** 0.5 or 1.0
    return [v / norm for v in vector]


class FakeMistral:
    """The fake server: queue replies, point MISTRAL_BASE_URL at `url`, read `requests` afterwards."""

    def __init__(self, responder: Responder | None = None, delay: float = 0.0, port: int = 0):
        self.responder = responder
        self.delay = delay  # added to every responder answer (the realistic mode's latency)
        self.requests: list[dict[str, Any]] = []  # {"path", "body", "headers", "at"}
        self._queue: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- lifecycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to configure (MISTRAL_BASE_URL), ending in /v1."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeMistral:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a scripted delay
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeMistral:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- scripting -----------------------------------------------------------------------------

    def queue(self, scripted: Scripted) -> None:
        with self._lock:
            self._queue.append(scripted)

    def queue_tool_call(self, name: str, args: Any, *, delay: float = 0.0) -> None:
        """The next chat reply calls one tool (args: a dict, or a raw string such as broken JSON)."""
        self.queue_tool_calls([(name, args)], delay=delay)

    def queue_tool_calls(self, calls: list[tuple[str, Any]], *, delay: float = 0.0) -> None:
        """The next chat reply calls several tools at once."""
        self.queue(Scripted(body={"message": self.tool_call_message(calls)}, delay=delay))

    def tool_call_message(self, calls: list[tuple[str, Any]]) -> dict[str, Any]:
        """The assistant message of a scripted tool call, in this API's dialect."""
        return tool_call_message(calls)

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        """The JSON body of an error response, in this API's dialect."""
        return {"object": "error", "message": message, "type": "fake", "code": status}

    def queue_answer(self, text: str, *, delay: float = 0.0) -> None:
        """The next chat reply is a final answer."""
        self.queue(Scripted(body={"message": answer_message(text)}, delay=delay))

    def queue_error(self, status: int, *, retry_after: float | None = None, delay: float = 0.0) -> None:
        """The next request fails with this HTTP status (429 may carry Retry-After seconds)."""
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        body = self.error_body(status, f"fake error {status}")
        self.queue(Scripted(status=status, body=body, headers=headers, delay=delay))

    @property
    def pending(self) -> int:
        """Scripted replies not consumed yet."""
        with self._lock:
            return len(self._queue)

    # --- what was sent -------------------------------------------------------------------------

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of the chat completion requests, in order."""
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    def sent_text(self) -> str:
        """Everything the model was sent, as one string (for 'no PII' assertions)."""
        return "\n".join(json.dumps(body) for body in self.chat_requests)

    # --- serving (called from the handler threads) ---------------------------------------------

    def _record(self, path: str, body: dict[str, Any], headers: Mapping[str, str]) -> None:
        with self._lock:
            self.requests.append({"path": path, "body": body, "headers": dict(headers), "at": time.time()})

    def _next(self, body: dict[str, Any]) -> Scripted:
        with self._lock:
            scripted = self._queue.popleft() if self._queue else None
        if scripted is None:
            if self.responder is None:
                problem = f"{type(self).__name__}: nothing scripted"
                return Scripted(status=400, body=self.error_body(400, problem))
            return Scripted(body={"message": self.responder(body)}, delay=self.delay)
        return scripted

    def _chat(self, body: dict[str, Any]) -> Scripted:
        scripted = self._next(body)
        if scripted.status == 200 and scripted.body and "message" in scripted.body:
            scripted.body = completion(scripted.body["message"], body)
        return scripted

    def _embeddings(self, body: dict[str, Any]) -> Scripted:
        texts = body.get("input") or []
        texts = [texts] if isinstance(texts, str) else texts
        data = [
            {"object": "embedding", "embedding": fake_embedding(text), "index": i}
            for i, text in enumerate(texts)
        ]
        tokens = sum(estimate_tokens(t) for t in texts)
        return Scripted(
            body={
                "id": uuid.uuid4().hex,
                "object": "list",
                "data": data,
                "model": body.get("model", "mistral-embed"),
                "usage": {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens},
            }
        )

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)


def _handler_for(fake: FakeMistral) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._send(Scripted(status=400, body={"message": "invalid JSON"}))
                return
            path = self.path.rstrip("/")
            fake._record(path, body, self.headers)
            if path.endswith("/chat/completions"):
                scripted = fake._chat(body)
            elif path.endswith("/embeddings"):
                scripted = fake._embeddings(body)
            else:
                scripted = Scripted(status=404, body={"message": f"no route {path}"})
            fake._sleep(scripted.delay)
            self._send(scripted)

        def _send(self, scripted: Scripted) -> None:
            payload = json.dumps(scripted.body or {}).encode()
            try:
                self.send_response(scripted.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in scripted.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to tell it

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
            return

    return Handler


# --- the realistic mode: a rule-based stand-in for the model ----------------------------------------

_ORDER_NUMBER = re.compile(r"#?\b([A-Z]{1,4}-?\d{3,}(?:-\d+)?)\b")
_INTENTS = (
    ("escalate", r"\b(human|person|manager|lawyer|legal|chargeback|sue|complain|complaint|unacceptable)\b"),
    ("cancel", r"\bcancel"),
    ("refund", r"\b(refund|money back|reimburse)"),
    ("replacement", r"\b(replace|replacement|instead of|wrong (size|item|colou?r)|send the right)"),
    ("order_status", r"\b(status|where is|where's|any news|track|tracking|arrive|shipped yet)\b"),
)


def rule_based_reply(request: Mapping[str, Any]) -> dict[str, Any]:
    """A stand-in for the model: a tool call chosen from the ticket, or an answer from the tool results."""
    messages = request.get("messages") or []
    if messages and messages[-1].get("role") == "tool":
        return answer_message(_answer_from_tools(messages))
    system = "\n".join(_text(m) for m in messages if m.get("role") == "system")
    ticket = next((_text(m) for m in reversed(messages) if m.get("role") == "user"), "")
    intent = _intent(ticket)
    if intent is None:
        return answer_message(_policy_answer(system))
    if intent == "escalate":
        return tool_call_message([("escalate", {"category": _category(ticket), "reason": ticket[:150]})])
    order = _order_for(ticket, system)
    if order is None:
        return answer_message("Which order do you mean? Please give me the order number.")
    args: dict[str, Any] = {"order_number": order}
    if intent == "refund":
        args["reason"] = ticket[:80]
    if intent == "replacement":
        args.update(problem=_problem(ticket), description=ticket[:80])
    return tool_call_message([(intent, args)])


def _text(message: Mapping[str, Any]) -> str:
    content = message.get("content") or ""
    if isinstance(content, list):
        return " ".join(block.get("text", "") for block in content if isinstance(block, dict))
    return str(content)


def _intent(ticket: str) -> str | None:
    lowered = ticket.lower()
    return next((name for name, pattern in _INTENTS if re.search(pattern, lowered)), None)


def _category(ticket: str) -> str:
    lowered = ticket.lower()
    if re.search(r"lawyer|legal|sue", lowered):
        return "legal_threat"
    if "chargeback" in lowered:
        return "chargeback"
    if re.search(r"complain|unacceptable", lowered):
        return "complaint"
    return "human_requested"


def _problem(ticket: str) -> str:
    lowered = ticket.lower()
    if re.search(r"wrong|instead of|size|colou?r", lowered):
        return "wrong_item"
    return "damaged" if re.search(r"broken|damaged|cracked|smashed", lowered) else "defective"


def _order_for(ticket: str, system: str) -> str | None:
    named = _ORDER_NUMBER.findall(ticket)
    if named:
        return named[0]
    picked = re.search(r"picked order:?\s*([A-Z0-9-]+)", system, re.IGNORECASE)
    if picked:
        return picked.group(1)
    listed = re.findall(r"^- (?:order )?([A-Z]{1,4}-?\d{3,}):", system, re.MULTILINE)
    return listed[0] if len(listed) == 1 else None


def _policy_answer(system: str) -> str:
    passage = re.search(r"^\[(\d+)\][^\n]*\n?([^\n]*)", system, re.MULTILINE)
    if passage is None:
        return "I'm not sure about that; let me pass your question to our support team."
    first_line = passage.group(2).strip() or "Please see our policy."
    return f"{first_line} [{passage.group(1)}]"


def _answer_from_tools(messages: list[Mapping[str, Any]]) -> str:
    results = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        try:
            results.append(json.loads(_text(message)).get("message", ""))
        except (ValueError, AttributeError):
            results.append(_text(message))
    return " ".join(reversed([r for r in results if r])) or "I've looked into it."


def main(argv: list[str] | None = None) -> None:
    """Serve the realistic mode until Ctrl-C, e.g. for `make run` or a benchmark against a real worker:

    python -m tests.fakes.mistral_server --port 8099 --delay 0.4
    MISTRAL_API_KEY=fake MISTRAL_BASE_URL=http://127.0.0.1:8099/v1 make run
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added to every model answer")
    options = parser.parse_args(argv)
    fake = FakeMistral(responder=rule_based_reply, delay=options.delay, port=options.port)
    serve_until_interrupted(fake, "Mistral API")


def serve_until_interrupted(fake, label: str) -> None:
    """Start a fake server and keep it up until Ctrl-C (the `python -m tests.fakes.*` entry points)."""
    fake.start()
    print(f"fake {label} on {fake.url} (realistic mode); Ctrl-C stops it", flush=True)  # noqa: T201
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
