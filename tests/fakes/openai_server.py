"""A scripted fake of an OpenAI chat-completions server (OpenAI, Ollama, vLLM ...) on 127.0.0.1.

Real HTTP, so the real client (langchain-openai's ChatOpenAI over the openai SDK) is what gets
tested. It is scripted like the Mistral fake it extends (tests/fakes/mistral_server.py):

    with FakeOpenAI() as fake:
        fake.queue_tool_call("refund", {"order_number": "A1001"})
        fake.queue_error(429, retry_after=0.05)        # or retry_after_ms=50, OpenAI's own header
        fake.queue_answer("Your refund has been issued [1].")
        override_settings(app, AGENT_BACKEND="openai", OPENAI_BASE_URL=fake.url)
        ...
        fake.chat_requests[0]["messages"]               # what the model was sent

and answers in OpenAI's dialect: tool call ids "call_…", `content: null` beside tool calls, errors
as {"error": {...}}, usage with token details. Unlike the Mistral fake it also checks each request
the way an OpenAI server does and answers 400 when the protocol is broken: a tool message must
answer a tool call of the assistant message before it, every tool call must be answered before the
conversation goes on, arguments are JSON strings, tool_choice needs tools. So a loop that leaves a
broken tool call unanswered fails here as it would against the real API.

`FakeOpenAI(responder=rule_based_reply)` is the realistic mode (a tool picked from the ticket text,
then an answer from the tool result); `python -m tests.fakes.openai_server --port 8098` serves it.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.fakes.mistral_server import (
    FakeMistral,
    Scripted,
    rule_based_reply,
    serve_until_interrupted,
    tool_call_message,
)

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ROLES = {"system", "developer", "user", "assistant", "tool"}
_TOOL_CHOICES = {"none", "auto", "required"}


def openai_tool_call_id() -> str:
    """'call_' and 24 characters, the shape OpenAI gives tool call ids."""
    return "call_" + uuid.uuid4().hex[:24]


class FakeOpenAI(FakeMistral):
    """The fake server: queue replies, point OPENAI_BASE_URL at `url`, read `requests` afterwards."""

    def tool_call_message(self, calls: list[tuple[str, Any]]) -> dict[str, Any]:
        return tool_call_message(calls, content=None, new_id=openai_tool_call_id)

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        kind = "invalid_request_error" if status < 500 else "server_error"
        kind = "rate_limit_exceeded" if status == 429 else kind
        return {"error": {"message": message, "type": kind, "param": None, "code": None}}

    def queue_error(
        self,
        status: int,
        *,
        retry_after: float | None = None,
        retry_after_ms: int | None = None,
        delay: float = 0.0,
    ) -> None:
        """The next request fails with this HTTP status (429 may carry Retry-After or retry-after-ms)."""
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(retry_after_ms)
        body = self.error_body(status, f"fake error {status}")
        self.queue(Scripted(status=status, body=body, headers=headers, delay=delay))

    def _chat(self, body: dict[str, Any]) -> Scripted:
        problem = protocol_problem(body)
        if problem:  # what OpenAI answers a malformed request; nothing scripted is used up
            return Scripted(status=400, body=self.error_body(400, problem))
        scripted = super()._chat(body)
        if scripted.status == 200 and scripted.body and "choices" in scripted.body:
            _as_openai(scripted.body)
        return scripted

    def _embeddings(self, body: dict[str, Any]) -> Scripted:
        # The backend uses the server for chat only; retrieval stays local.
        return Scripted(status=404, body=self.error_body(404, "the fake serves chat completions only"))


def protocol_problem(body: dict[str, Any]) -> str | None:
    """Why an OpenAI server would refuse this chat-completions request, or None."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    if body.get("stream"):
        return "the fake does not stream"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    return _tools_problem(body) or _messages_problem(messages)


def _tools_problem(body: dict[str, Any]) -> str | None:
    tools = body.get("tools")
    choice = body.get("tool_choice")
    if choice is not None and not tools:
        return "'tool_choice' is only allowed when 'tools' are specified"
    if isinstance(choice, str) and choice not in _TOOL_CHOICES:
        return f"invalid tool_choice {choice!r}"
    for tool in tools or []:
        function = tool.get("function") or {}
        if tool.get("type") != "function" or not _TOOL_NAME.match(str(function.get("name", ""))):
            return f"invalid tool {tool!r}"
        if not isinstance(function.get("parameters", {}), dict):
            return f"tool {function['name']}: parameters must be a JSON schema object"
    return None


def _messages_problem(messages: list[Any]) -> str | None:
    unanswered: set[str] = set()  # tool call ids of the last assistant message not answered yet
    for n, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in _ROLES:
            return f"messages[{n}]: invalid role {role!r}"
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in unanswered:
                return f"messages[{n}]: a 'tool' message must answer a tool call of the message before it"
            unanswered.discard(call_id)
            continue
        if unanswered:
            return f"messages[{n}]: tool calls {sorted(unanswered)} were not answered by 'tool' messages"
        if role == "assistant":
            problem = _tool_calls_problem(n, message.get("tool_calls") or [])
            if problem:
                return problem
            unanswered = {call["id"] for call in message.get("tool_calls") or []}
    return f"tool calls {sorted(unanswered)} were not answered" if unanswered else None


def _tool_calls_problem(n: int, calls: list[Any]) -> str | None:
    for call in calls:
        function = call.get("function") or {}
        if not call.get("id") or call.get("type") != "function" or not function.get("name"):
            return f"messages[{n}]: malformed tool call {call!r}"
        if not isinstance(function.get("arguments"), str):
            return f"messages[{n}]: tool call arguments must be a JSON string"
    return None


def _as_openai(completion: dict[str, Any]) -> None:
    """OpenAI's shape for a completion built by the Mistral fake (ids, null content, usage details)."""
    completion["id"] = "chatcmpl-" + uuid.uuid4().hex[:24]
    completion["system_fingerprint"] = "fp_fake"
    for choice in completion["choices"]:
        message = choice["message"]
        message.setdefault("refusal", None)
        if message.get("tool_calls"):
            message["content"] = message.get("content") or None
            for call in message["tool_calls"]:
                if not call["id"].startswith("call_"):  # the realistic responder's Mistral-style ids
                    call["id"] = openai_tool_call_id()
        else:
            message.pop("tool_calls", None)
    completion["usage"]["prompt_tokens_details"] = {"cached_tokens": 0}
    completion["usage"]["completion_tokens_details"] = {"reasoning_tokens": 0}


def main(argv: list[str] | None = None) -> None:
    """Serve the realistic mode until Ctrl-C, e.g. for `make run` against a fake local model:

    python -m tests.fakes.openai_server --port 8098
    AGENT_BACKEND=openai OPENAI_BASE_URL=http://127.0.0.1:8098/v1 make run
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added to every model answer")
    options = parser.parse_args(argv)
    fake = FakeOpenAI(responder=rule_based_reply, delay=options.delay, port=options.port)
    serve_until_interrupted(fake, "OpenAI-compatible server")


if __name__ == "__main__":
    main()
