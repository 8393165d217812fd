"""An entity: one capability of a Zigbee2MQTT device, and how it maps to the device.

A device's state message is read property by property: each property the entity owns has
a `Reader` that writes Home Assistant state keys (``"state": "on"``, ``"brightness":
255``) into the entity's changes. A tool call becomes a `Command`: the JSON object for
``<base>/<name>/set`` and a predicate over the device's next report that shows it was done.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hub.errors import ToolError
from hub.model import Capability, Trigger
from integrations.zigbee2mqtt.definition import DeviceInfo
from integrations.zigbee2mqtt.exposes import Expose

Reader = Callable[[Any, dict[str, Any]], None]
"""Writes the Home Assistant state keys for one property value into the dict; raises
`BadValue` saying what was expected when the value does not fit."""


class BadValue(ValueError):
    """A property value of the wrong kind; the message says what was expected."""

Report = Mapping[str, Any]
"""A raw Zigbee2MQTT state report, as the device published it."""

Fire = Callable[[Trigger, Mapping[str, Any]], None]


@dataclass(frozen=True, slots=True)
class Command:
    payload: Mapping[str, Any]
    """The JSON object for ``/set``."""
    confirm: Callable[[Report], bool]
    """True for the report that shows the device did it."""
    topic: str = ""
    """Where to publish it, when not the device's ``/set`` (a bridge request)."""


@dataclass(frozen=True, slots=True)
class Context:
    """What every entity of one device is built from."""

    info: DeviceInfo
    slug: str
    name: str
    area: str
    aliases: tuple[str, ...]
    base_topic: str
    tool_timeout: float
    now: Callable[[], str] = field(default=lambda: datetime.now(UTC).isoformat())
    """The time as event states record it (ISO 8601, UTC)."""

    @property
    def topic(self) -> str:
        return f"{self.base_topic}/{self.info.friendly_name}"

    def description(self) -> str:
        info = self.info
        if info.description:
            return info.description
        made = " ".join(p for p in (info.vendor, info.model) if p)
        what = info.model_description or "Zigbee device"
        return f"{made}: {what}" if made else what

    def capability(
        self,
        domain: str,
        suffix: str,
        *,
        name: str,
        tools: Sequence[Any],
        triggers: Sequence[Trigger] = (),
        description: str = "",
        attributes: Mapping[str, Any] | None = None,
    ) -> Capability:
        base = f"{domain}.{self.slug}"
        cap_id = f"{base}_{suffix}" if suffix else base
        info = self.info
        attrs: dict[str, Any] = {
            "protocol": "zigbee2mqtt",
            "base_topic": self.base_topic,
            "friendly_name": info.friendly_name,
            "topic": self.topic,
            "ieee_address": info.ieee_address,
        }
        for key, value in (("vendor", info.vendor), ("model", info.model),
                           ("power_source", info.power_source)):
            if value:
                attrs[key] = value
        attrs.update(attributes or {})
        return Capability(
            id=cap_id, type=domain, name=name, area=self.area,
            description=description or self.description(), aliases=self.aliases,
            tools=tuple(tools), triggers=tuple(triggers), attributes=attrs,
            source="zigbee2mqtt",
        )


class Entity:
    """Base of every entity; subclasses fill `readers` and answer `command`."""

    __slots__ = ("capability", "gettable", "reacts", "readers")

    def __init__(self, capability: Capability, readers: Mapping[str, Reader],
                 gettable: Sequence[str] = ()) -> None:
        self.capability = capability
        self.readers = dict(readers)
        self.gettable = tuple(gettable)
        """Properties that ``/get`` can read fresh from the device."""
        self.reacts = False
        """True when `react` must see state changes (entities with push triggers)."""

    @property
    def id(self) -> str:
        return self.capability.id

    def command(self, tool: str, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        """The command for a tool call; `state` is the capability's current state."""
        raise ToolError(f"{self.id}: tool {tool!r} is not supported by this device")

    def react(self, fire: Fire, old: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
        """Fire push triggers for a state change (live reports only, never retained ones)."""


# -- helpers shared by the entity modules ----------------------------------------------------


def is_number(value: Any) -> bool:
    kind = type(value)  # not isinstance: True is an int, and this runs per message
    return kind is int or kind is float


def close(value: Any, target: float, tolerance: float) -> bool:
    return is_number(value) and abs(value - target) <= tolerance


def describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def binary_reader(feature: Expose, key: str, on: Any, off: Any) -> Reader:
    """A binary feature: `value_on` writes `on` to `key`, `value_off` writes `off`."""
    value_on, value_off = feature.value_on, feature.value_off
    expected = f"expected {describe(value_on)} or {describe(value_off)}"

    def read(value: Any, out: dict[str, Any]) -> None:
        if value == value_on and type(value) is type(value_on):
            out[key] = on
        elif value == value_off and type(value) is type(value_off):
            out[key] = off
        else:
            raise BadValue(f"{expected}, got {describe(value)}")

    return read


def number_reader(feature: Expose, key: str) -> Reader:
    def read(value: Any, out: dict[str, Any]) -> None:
        kind = type(value)
        if kind is not int and kind is not float:
            raise BadValue(f"expected a number, got {describe(value)}")
        out[key] = value

    return read


def enum_reader(feature: Expose, key: str, mapping: Mapping[Any, Any] | None = None) -> Reader:
    """An enum feature; `mapping` translates Zigbee2MQTT's values (others pass through)."""
    allowed = frozenset(feature.values)
    table = dict(mapping or {})

    def read(value: Any, out: dict[str, Any]) -> None:
        if not isinstance(value, str) or (allowed and value not in allowed):
            raise BadValue(f"expected one of {', '.join(map(str, feature.values))}, "
                             f"got {describe(value)}")
        out[key] = table.get(value, value)

    return read


def unconfirmed(_report: Report) -> bool:
    """The confirmation of a command nobody reports back (a write-only property): the
    command is done when it is sent."""
    return True


def settable(expose: Expose | None) -> bool:
    return expose is not None and expose.settable


def gettable(*exposes: Expose | None) -> list[str]:
    return [e.property for e in exposes if e is not None and e.gettable]
