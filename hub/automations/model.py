"""An automation as read from YAML: frozen values the engine runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import Any

MODES = ("single", "restart", "queued", "parallel")
DEFAULT_MAX = 10
DEFAULT_TRACES = 50
_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    platform: str
    module: ModuleType
    config: Any
    """What the platform's `validate` returned."""
    id: str
    idx: int
    where: str
    enabled: bool = True
    variables: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, slots=True)
class AutomationConfig:
    id: str
    alias: str
    where: str
    """file:line:col of the automation: messages and the API show it."""
    triggers: tuple[TriggerSpec, ...]
    conditions: tuple[Any, ...]
    """`hub.automations.conditions.Condition` values."""
    actions: tuple[Any, ...]
    """`hub.automations.actions.Action` values."""
    description: str = ""
    mode: str = "single"
    max: int = DEFAULT_MAX
    max_exceeded: str = "WARNING"
    """A log level, or SILENT."""
    initial_state: bool = True
    variables: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    trigger_variables: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    stored_traces: int = DEFAULT_TRACES
    blueprint: str = ""
    """The blueprint's path when made with `use_blueprint:`."""
    fingerprint: str = ""
    """A hash of the automation's YAML: a pending timer resumes only the same automation."""
