"""What an agent is asked and what it answers: `handle`'s arguments and result."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from hub.errors import PayloadError

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class AgentRequest:
    """A text, an event (a trigger's variables: capability, name, intent, payload...), or
    both."""

    text: str = ""
    event: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any], where: str) -> AgentRequest:
        text = arguments.get("text") or ""
        event = arguments.get("event") or {}
        if not isinstance(text, str) or not isinstance(event, Mapping):
            raise PayloadError(f"{where}: text must be a string and event an object")
        if not text and not event:
            raise PayloadError(f"{where}: give text (a request) or event (what happened)")
        return cls(text=text, event=MappingProxyType(dict(event)))

    def prompt(self) -> str:
        """The request in words for a model: the text, then the event."""
        lines = [self.text] if self.text else []
        if self.event:
            event = self.event
            source = event.get("capability") or event.get("entity_id") or ""
            what = event.get("intent") or event.get("description") or event.get("name") or ""
            head = f"Event: {what}" + (f" (from {source})" if source else "")
            lines.append(head)
            details = {k: v for k, v in event.items()
                       if k not in ("intent", "description", "capability", "entity_id")
                       and v not in (None, "", {}, [])}
            if details:
                lines.append("Details: " + json.dumps(details, default=str)[:1500])
        return "\n".join(lines)

    def query(self) -> str:
        """The words the tools are chosen by."""
        event = self.event
        parts = [self.text, str(event.get("intent") or ""), str(event.get("name") or "")]
        return " ".join(p for p in parts if p).strip()


@dataclass(slots=True)
class AgentStep:
    """One step of a turn: a model request, or a tool call it asked for."""

    kind: str
    """``model`` or ``tool``."""
    started: float
    seconds: float = 0.0
    tool: str = ""
    """For a tool step: ``capability_id/tool`` (or the unknown name the model wrote)."""
    arguments: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    result: Any = None
    error: str = ""
    tokens: tuple[int, int] = (0, 0)
    """For a model step: prompt and completion tokens."""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "started": self.started,
                               "seconds": round(self.seconds, 4)}
        if self.kind == "tool":
            out["tool"] = self.tool
            out["arguments"] = dict(self.arguments)
        else:
            out["prompt_tokens"], out["completion_tokens"] = self.tokens
        if self.result is not None:
            out["result"] = self.result
        if self.error:
            out["error"] = self.error
        return out


@dataclass(slots=True)
class AgentAnswer:
    answer: str = ""
    steps: list[AgentStep] = field(default_factory=list)
    error: str = ""
    offered: tuple[str, ...] = ()
    """The tools offered to the model (capability_id/tool)."""

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        return [{"tool": s.tool, "arguments": dict(s.arguments),
                 **({"error": s.error} if s.error else {})}
                for s in self.steps if s.kind == "tool"]

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"answer": self.answer, "tool_calls": self.tool_calls,
                               "steps": [s.as_json() for s in self.steps]}
        if self.offered:
            out["offered"] = list(self.offered)
        if self.error:
            out["error"] = self.error
        return out
