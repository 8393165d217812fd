"""Home Assistant's state helpers for templates, bound to the registry and the clock.

``states('light.x')``, ``states.light.x.state``, ``is_state``, ``state_attr``,
``is_state_attr``, ``has_value``, ``now()``, ``utcnow()``, ``as_timestamp``, ``today_at``.
A capability's state as Home Assistant shows it: its ``state`` key is the state, the other
keys are its attributes; an unavailable capability is ``unavailable``.

They are render-time variables (`StateHelpers.variables()`), not globals of
`hub.templates`, so one template environment serves every hub in a process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, time, timedelta
from types import MappingProxyType
from typing import Any

from hub.clock import Clock
from hub.model import Capability
from hub.registry import Registry

UNAVAILABLE = "unavailable"
UNKNOWN = "unknown"


def ha_state(capability: Capability) -> str:
    if not capability.available:
        return UNAVAILABLE
    value = capability.state.get("state")
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def ha_attributes(capability: Capability) -> dict[str, Any]:
    attributes = {k: v for k, v in capability.state.items() if k != "state"}
    if capability.name:
        attributes.setdefault("friendly_name", capability.name)
    return attributes


def state_dict(capability_id: str, state: Mapping[str, Any], available: bool = True,
               name: str = "") -> dict[str, Any]:
    """A state object as trigger variables carry it (plain data: it goes into traces and
    into the store with a pending timer): ``trigger.to_state.state`` and so on."""
    domain, _, object_id = capability_id.partition(".")
    value = state.get("state")
    if not available:
        text = UNAVAILABLE
    elif value is None:
        text = UNKNOWN
    elif isinstance(value, bool):
        text = "on" if value else "off"
    else:
        text = str(value)
    attributes = {k: v for k, v in state.items() if k != "state"}
    if name:
        attributes.setdefault("friendly_name", name)
    return {"entity_id": capability_id, "state": text, "attributes": attributes,
            "domain": domain, "object_id": object_id, "name": name or capability_id}


_SANDBOX_MARKS = frozenset({"unsafe_callable", "alters_data"})
"""Attributes Jinja's sandbox looks up on anything it calls: not domains."""


class TemplateState:
    """``states.light.x``: a capability's state, read like Home Assistant's State."""

    __slots__ = ("attributes", "domain", "entity_id", "name", "object_id", "state")

    def __init__(self, capability: Capability) -> None:
        self.entity_id = capability.id
        self.domain, _, self.object_id = capability.id.partition(".")
        self.state = ha_state(capability)
        self.attributes = MappingProxyType(ha_attributes(capability))
        self.name = capability.name or capability.id

    def __repr__(self) -> str:
        return f"<state {self.entity_id}={self.state}>"


class _Domain:
    """``states.light``: iterating gives its states; ``.x`` gives ``light.x``."""

    __slots__ = ("_domain", "_registry")

    def __init__(self, registry: Registry, domain: str) -> None:
        self._registry = registry
        self._domain = domain

    def __getattr__(self, name: str) -> TemplateState | None:
        if name.startswith("_") or name in _SANDBOX_MARKS:
            raise AttributeError(name)
        capability = self._registry.find(f"{self._domain}.{name}")
        return TemplateState(capability) if capability is not None else None

    def __iter__(self) -> Iterator[TemplateState]:
        prefix = self._domain + "."
        return iter([TemplateState(c) for c in self._registry.all() if c.id.startswith(prefix)])


class _States:
    """``states``: callable (``states('light.x')``) and by attribute (``states.light.x``)."""

    __slots__ = ("_registry",)

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def __call__(self, entity_id: str | None = None) -> Any:
        if entity_id is None:
            return [TemplateState(c) for c in self._registry.all()]
        capability = self._registry.find(str(entity_id))
        return UNKNOWN if capability is None else ha_state(capability)

    def __getattr__(self, domain: str) -> _Domain:
        if domain.startswith("_") or domain in _SANDBOX_MARKS:
            raise AttributeError(domain)
        return _Domain(self._registry, domain)

    def __iter__(self) -> Iterator[TemplateState]:
        return iter(self())


class StateHelpers:
    """The helpers of one hub; `variables()` is what a render gets."""

    def __init__(self, registry: Registry, clock: Clock) -> None:
        self._registry = registry
        self._clock = clock
        self._variables: Mapping[str, Any] = MappingProxyType({
            "states": _States(registry),
            "is_state": self.is_state,
            "state_attr": self.state_attr,
            "is_state_attr": self.is_state_attr,
            "has_value": self.has_value,
            "now": self.now,
            "utcnow": self.utcnow,
            "as_timestamp": as_timestamp,
            "today_at": self.today_at,
            "as_datetime": as_datetime,
            "timedelta": timedelta,
        })

    def variables(self) -> Mapping[str, Any]:
        return self._variables

    def is_state(self, entity_id: str, state: Any) -> bool:
        capability = self._registry.find(str(entity_id))
        if capability is None:
            return False
        current = ha_state(capability)
        if isinstance(state, (list, tuple)):
            return current in [str(s) for s in state]
        return current == str(state)

    def state_attr(self, entity_id: str, name: str) -> Any:
        capability = self._registry.find(str(entity_id))
        return None if capability is None else ha_attributes(capability).get(name)

    def is_state_attr(self, entity_id: str, name: str, value: Any) -> bool:
        capability = self._registry.find(str(entity_id))
        return capability is not None and name in ha_attributes(capability) and (
            ha_attributes(capability)[name] == value)

    def has_value(self, entity_id: str) -> bool:
        capability = self._registry.find(str(entity_id))
        return capability is not None and ha_state(capability) not in (UNAVAILABLE, UNKNOWN)

    def now(self) -> datetime:
        return self._clock.now().astimezone()

    def utcnow(self) -> datetime:
        return self._clock.now().astimezone(UTC)

    def today_at(self, value: str = "00:00") -> datetime:
        parsed = time.fromisoformat(str(value))
        return self.now().replace(hour=parsed.hour, minute=parsed.minute,
                                  second=parsed.second, microsecond=parsed.microsecond)


def as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_timestamp(value: Any, default: Any = None) -> Any:
    try:
        return as_datetime(value).timestamp()
    except (TypeError, ValueError, OverflowError):
        if default is None:
            raise ValueError(f"as_timestamp got invalid input {value!r}") from None
        return default


Helper = Callable[..., Any]
