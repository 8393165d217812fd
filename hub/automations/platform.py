"""The contract of a trigger platform (a module of `triggers/`, loaded by name):

    def validate(raw: Located) -> Config                       # raises ConfigError
    async def attach(hub, config, action, info) -> Detach      # sync, idempotent detach

`action(event)` is awaited (or spawned with `hub.automations.spawn`) when the trigger
fires; `event.variables` are the platform's ``trigger.*`` variables (``entity_id``,
``to_state``, ``payload``...), to which the engine adds ``platform``, ``id``, ``idx``,
``alias`` and ``description`` as Home Assistant does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType, ModuleType
from typing import Any

from hub import plugins
from hub.errors import ConfigError
from hub.located import Located, Problems, Section

GROUP = "atmosphere.triggers"
COMMON_KEYS = ("trigger", "platform", "id", "enabled", "variables", "alias")
"""Keys every trigger may carry besides its platform's own."""


@dataclass(frozen=True, slots=True)
class TriggerEvent:
    variables: Mapping[str, Any]
    description: str = ""


@dataclass(frozen=True, slots=True)
class TriggerInfo:
    automation: str
    """The automation's id (for logs and for durable `for:` timers)."""
    trigger_id: str
    idx: int
    alias: str = ""
    key: str = ""
    """Unique among the hub's attached triggers: names a pending `for:` in the store."""
    variables: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


TriggerAction = Callable[[TriggerEvent], Awaitable[None]]
Detach = Callable[[], None]


def platform_name(raw: Located, problems: Problems) -> tuple[str, Located] | None:
    """The platform a trigger names with ``trigger:`` (or the older ``platform:``)."""
    if not raw.is_mapping:
        problems.add(raw, f"a trigger must be a mapping with 'trigger:', got {raw.describe()}")
        return None
    node = raw.get("trigger") or raw.get("platform")
    if node is None:
        problems.add(raw, "a trigger needs 'trigger:' naming its platform (state, mqtt, "
                          "time, ...)")
        return None
    if "trigger" in raw and "platform" in raw:
        problems.add(raw, "write either 'trigger:' or the older 'platform:', not both")
    if not isinstance(node.value, str):
        problems.add(node, f"expected a trigger platform name, got {node.describe()}")
        return None
    return node.value, node


def load_platform(name: str, where: str | None = None) -> ModuleType:
    """The trigger platform module `name`; ConfigError listing the known ones."""
    try:
        return plugins.load(GROUP, name, where)
    except ConfigError as exc:
        raise ConfigError(exc.message.replace("unknown trigger", "unknown trigger platform"),
                          where) from None


def section(raw: Located, problems: Problems, allowed: Sequence[str]) -> Section:
    """A platform's keys plus the common ones."""
    return Section(raw, problems, (*COMMON_KEYS, *allowed))


def raise_problems(problems: Problems) -> None:
    problems.raise_if_any()
