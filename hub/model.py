"""The model: nodes, capabilities, tools, triggers and work units.

This module is the project's ``types.py``: it imports nothing else of the project, and
everything in it is an immutable value. Live values (state, availability, load) change by
replacing the capability (`Capability.with_state`), which the registry does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, NewType

NodeId = NewType("NodeId", str)
"""A node's id: derived from its Ed25519 public key (see `hub.identity`)."""

JSON = Any
"""A value that JSON can carry: dict, list, str, int, float, bool or None."""

EMPTY: Mapping[str, Any] = MappingProxyType({})


def _empty() -> Mapping[str, Any]:
    return EMPTY


@dataclass(frozen=True, slots=True)
class Node:
    id: NodeId
    name: str
    public_key: bytes = b""
    site: str = ""


@dataclass(frozen=True, slots=True)
class Tool:
    """A pull action: called with arguments that validate against `parameters`."""

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({"type": "object", "properties": {}})
    )
    """JSON Schema of the arguments (an object schema)."""
    result: Mapping[str, Any] = field(default_factory=_empty)
    """JSON Schema of the result; a binary result names its type with ``contentMediaType``."""
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class Trigger:
    """A push event a capability can emit."""

    name: str
    description: str = ""
    intent: str = ""
    """Intent template, e.g. ``"person at {area} door"``."""
    payload: Mapping[str, Any] = field(default_factory=_empty)
    """JSON Schema of the event payload."""
    priority: int = 0
    throttle: float = 0.0
    """Minimum seconds between two firings; 0 for none."""


@dataclass(frozen=True, slots=True)
class Capability:
    """Something a node can do or sense.

    Device capabilities use Home Assistant's domains as `type` (``light``, ``sensor``...)
    and its service names as tool names; AI services use kinds such as ``llm/chat``.
    """

    id: str
    type: str
    name: str = ""
    node: NodeId = NodeId("")
    area: str = ""
    description: str = ""
    aliases: tuple[str, ...] = ()
    tools: tuple[Tool, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=_empty)
    """Static facts: ``gpu``, ``local_only``, ``cost``, ``residency``, device info..."""
    state: Mapping[str, Any] = field(default_factory=_empty)
    """The last known state, e.g. ``{"state": "on", "brightness": 215}``."""
    available: bool = True
    load: float = 0.0
    """0.0 idle .. 1.0 saturated."""
    source: str = ""
    """Who registered it: ``config``, an integration name, or ``mesh``."""
    reason: str = ""
    """Why it is not available, when that is known (``no provider``); empty otherwise."""

    def tool(self, name: str) -> Tool | None:
        for tool in self.tools:
            if tool.name == name:
                return tool
        return None

    def with_state(self, state: Mapping[str, Any]) -> Capability:
        return replace(self, state=MappingProxyType(dict(state)))


@dataclass(frozen=True, slots=True)
class Constraints:
    local_only: bool = False
    gpu_required: bool = False
    max_latency_ms: float | None = None
    residency: str | None = None
    """Data residency: only nodes whose ``site`` (or attribute ``residency``) matches."""


@dataclass(frozen=True, slots=True)
class WorkUnit:
    """Work to be routed: an intent text, or an explicit capability and tool."""

    intent: str = ""
    capability: str | None = None
    tool: str | None = None
    arguments: Mapping[str, Any] = field(default_factory=_empty)
    data: bytes = b""
    constraints: Constraints = field(default_factory=Constraints)
    context: Mapping[str, Any] = field(default_factory=_empty)
    """Where the request comes from, e.g. ``{"area": "kitchen"}``."""
    deadline: float | None = None
    """Absolute `Clock.monotonic()` time; None for the tool's own timeout."""
    key: str = ""
    """Idempotency key: a provider runs the work at most once per key (`hub.dispatch`);
    empty to have the dispatcher make one."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool call returns: JSON `value`, or binary `data` with its `content_type`."""

    value: JSON = None
    data: bytes = b""
    content_type: str = "application/json"


ToolHandler = Callable[[str, Mapping[str, Any]], Awaitable[ToolResult]]
"""A local tool implementation: ``await handler(tool_name, arguments)``. It raises
RegistryError for an unknown tool, PayloadError for bad arguments, anything else for a
failure of the tool."""
