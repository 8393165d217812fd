"""What travels to and from an OpenAI-compatible chat server: messages as plain dicts (the
wire format, built by the helpers here) and the reply as frozen values."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

Message = dict[str, Any]
"""One chat message in the API's shape: ``{"role": "user", "content": "..."}``."""

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model asked for. `arguments` is the parsed JSON object; when the model
    wrote something that is not one, `problem` says what (and `raw` keeps the text)."""

    id: str
    name: str
    arguments: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    raw: str = ""
    problem: str = ""


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass(frozen=True, slots=True)
class ChatReply:
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str = ""
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    seconds: float = 0.0
    """Wall time of the request, for traces and benchmarks."""

    def message(self) -> Message:
        """The assistant message to append to the conversation."""
        message: Message = {"role": "assistant", "content": self.content or ""}
        if self.tool_calls:
            message["tool_calls"] = [
                {"id": call.id, "type": "function",
                 "function": {"name": call.name,
                              "arguments": call.raw or json.dumps(dict(call.arguments))}}
                for call in self.tool_calls]
        return message


def system(text: str) -> Message:
    return {"role": "system", "content": text}


def user(text: str, images: Sequence[tuple[bytes, str]] = ()) -> Message:
    """A user message; with `images` ((data, content type) pairs) a list of content parts
    with the images as data URLs, which vision models read."""
    if not images:
        return {"role": "user", "content": text}
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
    parts += [image_part(data, content_type) for data, content_type in images]
    return {"role": "user", "content": parts}


def image_part(data: bytes, content_type: str = "image/jpeg") -> dict[str, Any]:
    encoded = base64.b64encode(data).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:{content_type};base64,{encoded}"}}


def tool_result(call_id: str, content: str) -> Message:
    return {"role": "tool", "tool_call_id": call_id, "content": content}


def function_tool(name: str, description: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "function",
            "function": {"name": name, "description": description,
                         "parameters": _plain(parameters)}}


def _plain(value: Any) -> Any:
    """Read-only mappings and tuples (the model's schemas) as JSON-ready dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
