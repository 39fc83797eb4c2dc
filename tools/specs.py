"""What the model sees of each tool: a name, a description and JSON-schema arguments."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from typing import Any

_IMPLEMENTATION_MARK = "\n\nImplementation:"


class ToolArgumentError(ValueError):
    """The model's arguments do not fit the tool's schema."""


def model_description(fn: Callable[..., Any], limits: Any) -> str:
    """The docstring up to its 'Implementation:' paragraph, with the {placeholders} filled from limits."""
    text = (inspect.getdoc(fn) or "").split(_IMPLEMENTATION_MARK)[0].strip()
    return text.format_map(dataclasses.asdict(limits))


def function_spec(
    name: str, fn: Callable[..., Any], schema: Mapping[str, Any], limits: Any
) -> dict[str, Any]:
    """OpenAI/Mistral function-calling format, e.g. for langchain's bind_tools."""
    description = model_description(fn, limits)
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": dict(schema)},
    }


def clean_args(schema: Mapping[str, Any], args: Mapping[str, Any] | None) -> dict[str, Any]:
    """Keep only the schema's arguments, check required ones and simple types; raise ToolArgumentError."""
    args = dict(args or {})
    properties = schema["properties"]
    missing = [key for key in schema.get("required", ()) if args.get(key) in (None, "", [])]
    if missing:
        raise ToolArgumentError(f"missing argument(s): {', '.join(missing)}")
    return {
        key: _coerce(key, properties[key], value)
        for key, value in args.items()
        if key in properties and value is not None
    }


def _coerce(key: str, prop: Mapping[str, Any], value: Any) -> Any:
    if prop["type"] == "array":
        value = [value] if isinstance(value, str) else value
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise ToolArgumentError(f"{key} must be a list of strings")
        return [v.strip() for v in value if v.strip()]
    if not isinstance(value, (str, int)):
        raise ToolArgumentError(f"{key} must be a string")
    value = str(value).strip()
    if "enum" in prop and value not in prop["enum"]:
        raise ToolArgumentError(f"{key} must be one of {', '.join(prop['enum'])}")
    return value
