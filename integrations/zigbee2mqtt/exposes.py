"""Zigbee2MQTT's `definition.exposes`: what a device can report and be told, as values.

Zigbee2MQTT describes every device with a list of exposes. Generic ones (`binary`,
`numeric`, `enum`, `text`, `composite`, `list`) describe one property each; specific ones
(`light`, `switch`, `lock`, `cover`, `fan`, `climate`) group generic `features`. The
`access` bits say what can be done with a property: bit 0 it appears in the published
state, bit 1 it can be written with `/set`, bit 2 it can be read with `/get`.

`parse_exposes` checks the shape once, when a device is discovered, so that the code that
turns exposes into capabilities trusts its types.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hub.errors import PayloadError

ACCESS_STATE = 1
"""The property is part of the published state."""
ACCESS_SET = 2
"""The property can be written with ``<base>/<name>/set``."""
ACCESS_GET = 4
"""The property can be read on demand with ``<base>/<name>/get``."""

GENERIC = frozenset({"binary", "numeric", "enum", "text", "composite", "list"})
SPECIFIC = frozenset({"light", "switch", "lock", "cover", "fan", "climate"})


@dataclass(frozen=True, slots=True)
class Expose:
    type: str
    name: str = ""
    property: str = ""
    access: int = 0
    endpoint: str = ""
    label: str = ""
    description: str = ""
    category: str = ""
    """``config`` or ``diagnostic`` in newer Zigbee2MQTT versions; empty otherwise."""
    unit: str = ""
    value_on: Any = None
    value_off: Any = None
    value_toggle: Any = None
    values: tuple[Any, ...] = ()
    value_min: float | None = None
    value_max: float | None = None
    value_step: float | None = None
    features: tuple[Expose, ...] = ()

    @builtins.property
    def readable(self) -> bool:
        return bool(self.access & ACCESS_STATE)

    @builtins.property
    def settable(self) -> bool:
        return bool(self.access & ACCESS_SET)

    @builtins.property
    def gettable(self) -> bool:
        return bool(self.access & ACCESS_GET)

    def feature(self, name: str) -> Expose | None:
        """The feature called `name` (Zigbee2MQTT's `name`, not the property)."""
        for feature in self.features:
            if feature.name == name:
                return feature
        return None

    def properties(self) -> Iterator[str]:
        """Every state key this expose accounts for (its own and its features')."""
        if self.property:
            yield self.property
        for feature in self.features:
            yield from feature.properties()


def parse_exposes(raw: Any, where: str = "exposes") -> tuple[Expose, ...]:
    """Check and convert a `definition.exposes` list; PayloadError names the bad entry."""
    if not isinstance(raw, list):
        raise PayloadError(f"{where}: expected a list, got {_kind(raw)}")
    return tuple(_expose(item, f"{where}[{i}]") for i, item in enumerate(raw))


def _expose(raw: Any, where: str) -> Expose:
    if not isinstance(raw, Mapping):
        raise PayloadError(f"{where}: expected an object, got {_kind(raw)}")
    kind = raw.get("type")
    if not isinstance(kind, str) or not kind:
        raise PayloadError(f"{where}: missing 'type'")
    features: tuple[Expose, ...] = ()
    if kind in SPECIFIC or kind == "composite" or "features" in raw:
        items = raw.get("features", [])
        if not isinstance(items, list):
            raise PayloadError(f"{where}.features: expected a list, got {_kind(items)}")
        features = tuple(_expose(f, f"{where}.features[{i}]") for i, f in enumerate(items))
    prop = _text(raw, "property", where)
    if kind in GENERIC and not prop:
        raise PayloadError(f"{where}: a {kind} expose needs a 'property'")
    access = raw.get("access", 0)
    if not isinstance(access, int) or isinstance(access, bool) or not 0 <= access <= 7:
        raise PayloadError(f"{where}.access: expected 0..7, got {access!r}")
    values = raw.get("values", [])
    if not isinstance(values, list):
        raise PayloadError(f"{where}.values: expected a list, got {_kind(values)}")
    return Expose(
        type=kind,
        name=_text(raw, "name", where) or prop,
        property=prop,
        access=access,
        endpoint=_text(raw, "endpoint", where),
        label=_text(raw, "label", where),
        description=_text(raw, "description", where),
        category=_text(raw, "category", where),
        unit=_text(raw, "unit", where),
        value_on=raw.get("value_on"),
        value_off=raw.get("value_off"),
        value_toggle=raw.get("value_toggle"),
        values=tuple(values),
        value_min=_number(raw, "value_min", where),
        value_max=_number(raw, "value_max", where),
        value_step=_number(raw, "value_step", where),
        features=features,
    )


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{where}.{key}: expected text, got {_kind(value)}")
    return value


def _number(raw: Mapping[str, Any], key: str, where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PayloadError(f"{where}.{key}: expected a number, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value) if len(repr(value)) <= 40 else type(value).__name__
