"""Single properties as capabilities: generic `binary`, `numeric`, `enum` and `text` exposes.

| expose | readable only | settable |
|---|---|---|
| binary | ``binary_sensor`` (with a push trigger for motion, contact, leak, smoke...) | ``switch`` |
| numeric | ``sensor`` (device class and unit) | ``number`` (``set_value``) |
| enum ``action`` | ``event``: one push trigger per action value | |
| other enum | ``sensor`` | ``select`` (``select_option``); ``button`` for one value |
| text | ``sensor`` | ``text`` (``set_value``) |
| composite, list | ``sensor`` (as text) | |

Write-only properties (settable, not readable) get their entity too; their commands are
done when sent (nothing reports them back). Settings (Zigbee2MQTT's category ``config``)
and diagnostics keep their category as the ``entity_category`` attribute, as Home
Assistant shows them (a sensor is never ``config``: ``diagnostic``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from hub.model import Trigger
from integrations.zigbee2mqtt import naming
from integrations.zigbee2mqtt.entity import (
    BadValue,
    Command,
    Context,
    Entity,
    Fire,
    binary_reader,
    close,
    describe,
    enum_reader,
    gettable,
    number_reader,
    unconfirmed,
)
from integrations.zigbee2mqtt.exposes import Expose
from integrations.zigbee2mqtt.extras import Siren
from integrations.zigbee2mqtt.onoff import Switch
from integrations.zigbee2mqtt.tools import enum, number, tool


@dataclass(frozen=True, slots=True)
class BinaryKind:
    """How Home Assistant sees a binary property, and the push trigger it raises."""

    device_class: str
    inverted: bool = False
    """Zigbee2MQTT's `value_on` means Home Assistant's "off" (``contact: true`` is closed)."""
    trigger: str = ""
    in_area: str = ""
    """Intent template when the device has an area."""
    by_name: str = ""
    """Intent template otherwise."""
    priority: int = 0
    throttle: float = 0.0


BINARY_KINDS: Mapping[str, BinaryKind] = MappingProxyType({
    "occupancy": BinaryKind("motion", trigger="motion_detected", in_area="motion detected in "
                            "{area}", by_name="motion detected by {name}", priority=1,
                            throttle=10.0),
    "presence": BinaryKind("occupancy", trigger="presence_detected", in_area="presence "
                           "detected in {area}", by_name="presence detected by {name}",
                           priority=1, throttle=10.0),
    "contact": BinaryKind("door", inverted=True, trigger="opened", in_area="{name} opened",
                          by_name="{name} opened", priority=1),
    "water_leak": BinaryKind("moisture", trigger="water_leak", in_area="water leak detected "
                             "in {area}", by_name="water leak detected by {name}", priority=3,
                             throttle=60.0),
    "smoke": BinaryKind("smoke", trigger="smoke_detected", in_area="smoke detected in {area}",
                        by_name="smoke detected by {name}", priority=3, throttle=60.0),
    "gas": BinaryKind("gas", trigger="gas_detected", in_area="gas detected in {area}",
                      by_name="gas detected by {name}", priority=3, throttle=60.0),
    "carbon_monoxide": BinaryKind("carbon_monoxide", trigger="carbon_monoxide_detected",
                                  in_area="carbon monoxide detected in {area}",
                                  by_name="carbon monoxide detected by {name}", priority=3,
                                  throttle=60.0),
    "vibration": BinaryKind("vibration", trigger="vibration_detected", in_area="vibration "
                            "detected by {name}", by_name="vibration detected by {name}",
                            priority=1, throttle=10.0),
    "tamper": BinaryKind("tamper", trigger="tampered", in_area="{name} tampered with",
                         by_name="{name} tampered with", priority=2, throttle=60.0),
    "battery_low": BinaryKind("battery", trigger="battery_low", in_area="{name} battery low",
                              by_name="{name} battery low", throttle=3600.0),
})

SENSOR_CLASSES: Mapping[str, str] = MappingProxyType({
    "temperature": "temperature", "device_temperature": "temperature",
    "local_temperature": "temperature", "humidity": "humidity", "soil_moisture": "moisture",
    "illuminance": "illuminance", "illuminance_lux": "illuminance", "battery": "battery",
    "voltage": "voltage", "current": "current", "power": "power", "energy": "energy",
    "pressure": "pressure", "co2": "carbon_dioxide", "voc": "volatile_organic_compounds",
    "pm25": "pm25", "pm10": "pm10",
})


def _label(expose: Expose) -> str:
    return (expose.label or naming.words(expose.name or expose.property)).lower()


class BinarySensor(Entity):
    __slots__ = ("_trigger",)

    def __init__(self, ctx: Context, expose: Expose) -> None:
        kind = BINARY_KINDS.get(expose.name) or BINARY_KINDS.get(expose.property)
        self._trigger: Trigger | None = None
        triggers: tuple[Trigger, ...] = ()
        if kind is not None and kind.trigger:
            self._trigger = Trigger(
                name=kind.trigger,
                description=f"{ctx.name}: {_label(expose)} ({kind.trigger.replace('_', ' ')})",
                intent=kind.in_area if ctx.area else kind.by_name,
                payload={"type": "object", "properties": {"state": {"const": "on"}}},
                priority=kind.priority, throttle=kind.throttle,
            )
            triggers = (self._trigger,)
        on, off = ("off", "on") if kind is not None and kind.inverted else ("on", "off")
        attributes = {"property": expose.property}
        if kind is not None:
            attributes["device_class"] = kind.device_class
        capability = ctx.capability(
            "binary_sensor", naming.slug(expose.property), name=f"{ctx.name} {_label(expose)}",
            tools=(tool("binary_sensor", "get_state", ctx.tool_timeout),), triggers=triggers,
            attributes=attributes)
        super().__init__(capability, {expose.property: binary_reader(expose, "state", on, off)},
                         gettable(expose))
        self.reacts = self._trigger is not None

    def react(self, fire: Fire, old: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
        if self._trigger is not None and changes.get("state") == "on" and old.get("state") != "on":
            fire(self._trigger, changes)


class Sensor(Entity):
    __slots__ = ()

    def __init__(self, ctx: Context, expose: Expose) -> None:
        attributes: dict[str, Any] = {"property": expose.property}
        device_class = SENSOR_CLASSES.get(expose.name) or SENSOR_CLASSES.get(expose.property)
        if device_class is not None:
            attributes["device_class"] = device_class
            attributes["state_class"] = (
                "total_increasing" if device_class == "energy" else "measurement")
        if expose.unit:
            attributes["unit_of_measurement"] = expose.unit
        if expose.type == "numeric":
            reader = number_reader(expose, "state")
        elif expose.type == "enum":
            reader = enum_reader(expose, "state")
            attributes["options"] = list(expose.values)
        elif expose.type in ("composite", "list"):
            reader = _shown_reader
        else:
            reader = _text_reader
        capability = ctx.capability(
            "sensor", naming.slug(expose.property), name=f"{ctx.name} {_label(expose)}",
            tools=(tool("sensor", "get_state", ctx.tool_timeout),), attributes=attributes)
        super().__init__(capability, {expose.property: reader}, gettable(expose))


class Number(Entity):
    __slots__ = ("_prop", "_tolerance")

    def __init__(self, ctx: Context, expose: Expose) -> None:
        self._prop = expose.property
        self._tolerance = (expose.value_step or 0) / 2 + 1e-6
        attributes: dict[str, Any] = {"property": expose.property}
        if expose.unit:
            attributes["unit_of_measurement"] = expose.unit
        value = number(expose.description or f"The new {_label(expose)}.", expose.value_min,
                       expose.value_max)
        capability = ctx.capability(
            "number", naming.slug(expose.property), name=f"{ctx.name} {_label(expose)}",
            tools=(tool("number", "set_value", ctx.tool_timeout, schemas={"value": value}),
                   tool("number", "get_state", ctx.tool_timeout)),
            attributes=attributes)
        readers = {expose.property: number_reader(expose, "state")} if expose.readable else {}
        super().__init__(capability, readers, gettable(expose))

    def command(self, tool: str, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        if tool != "set_value":
            return super().command(tool, args, state)
        prop, target, tolerance = self._prop, args["value"], self._tolerance
        if isinstance(target, float) and target.is_integer():
            target = int(target)  # 21, not 21.0: as Home Assistant sends a whole number
        if not self.readers:
            return Command({prop: target}, unconfirmed)
        return Command({prop: target}, lambda r: close(r.get(prop), target, tolerance))


class Select(Entity):
    __slots__ = ("_prop",)

    def __init__(self, ctx: Context, expose: Expose) -> None:
        self._prop = expose.property
        option = enum(expose.description or f"The {_label(expose)}.", expose.values)
        capability = ctx.capability(
            "select", naming.slug(expose.property), name=f"{ctx.name} {_label(expose)}",
            tools=(tool("select", "select_option", ctx.tool_timeout, schemas={"option": option}),
                   tool("select", "get_state", ctx.tool_timeout)),
            attributes={"property": expose.property,
                        "options": [str(v) for v in expose.values]})
        readers = {expose.property: enum_reader(expose, "state")} if expose.readable else {}
        super().__init__(capability, readers, gettable(expose))

    def command(self, tool: str, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        if tool != "select_option":
            return super().command(tool, args, state)
        prop, option = self._prop, args["option"]
        if not self.readers:
            return Command({prop: option}, unconfirmed)
        return Command({prop: option}, lambda r: r.get(prop) == option)


class Button(Entity):
    """A settable enum with one value (``identify``, ``reset``...): Home Assistant's button,
    whose press sends that value."""

    __slots__ = ("_prop", "_value")

    def __init__(self, ctx: Context, expose: Expose) -> None:
        self._prop, self._value = expose.property, expose.values[0]
        capability = ctx.capability(
            "button", naming.slug(expose.property), name=f"{ctx.name} {_label(expose)}",
            tools=(tool("button", "press", ctx.tool_timeout),
                   tool("button", "get_state", ctx.tool_timeout)),
            attributes={"property": expose.property, "payload_press": expose.values[0]})
        super().__init__(capability, {}, ())

    def command(self, tool: str, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        if tool != "press":
            return super().command(tool, args, state)
        return Command({self._prop: self._value}, unconfirmed)


class Text(Entity):
    """A settable text property: Home Assistant's text entity (``set_value``)."""

    __slots__ = ("_prop",)

    def __init__(self, ctx: Context, expose: Expose) -> None:
        self._prop = expose.property
        value: dict[str, Any] = {"type": "string", "maxLength": 255,
                                 "description": expose.description or "The new text."}
        capability = ctx.capability(
            "text", naming.slug(expose.property), name=f"{ctx.name} {_label(expose)}",
            tools=(tool("text", "set_value", ctx.tool_timeout, schemas={"value": value}),
                   tool("text", "get_state", ctx.tool_timeout)),
            attributes={"property": expose.property})
        readers = {expose.property: _text_reader} if expose.readable else {}
        super().__init__(capability, readers, gettable(expose))

    def command(self, tool: str, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        if tool != "set_value":
            return super().command(tool, args, state)
        prop, text = self._prop, str(args["value"])
        if not self.readers:
            return Command({prop: text}, unconfirmed)
        return Command({prop: text}, lambda r: r.get(prop) == text)


class Event(Entity):
    """A remote's or button's `action`: every value is a push trigger of its own, and the
    state is the last event (``event_type``) with its time, as Home Assistant's event
    entities have it."""

    __slots__ = ("_now", "_triggers")

    def __init__(self, ctx: Context, expose: Expose) -> None:
        values = [v for v in expose.values if isinstance(v, str) and v]
        self._triggers = {
            value: Trigger(
                name=value,
                description=f"{ctx.name}: {naming.action_words(value)}",
                intent="{name} " + naming.action_words(value),
                payload={"type": "object", "properties": {"action": {"const": value}}},
                priority=1,
            )
            for value in values
        }
        self._now = ctx.now
        capability = ctx.capability(
            "event", naming.slug(expose.property), name=f"{ctx.name} {_label(expose)}",
            tools=(tool("event", "get_state", ctx.tool_timeout),),
            triggers=tuple(self._triggers.values()),
            attributes={"property": expose.property, "event_types": values})
        super().__init__(capability, {expose.property: self._read}, ())
        self.reacts = True

    def _read(self, value: Any, out: dict[str, Any]) -> None:
        if value == "" or value is None:
            return  # older Zigbee2MQTT versions clear the action right after sending it
        if value not in self._triggers:
            raise BadValue(f"expected one of {', '.join(self._triggers)}, got {describe(value)}")
        out["event_type"] = value
        out["state"] = self._now()

    def react(self, fire: Fire, old: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
        action = changes.get("event_type")
        if action is not None:
            fire(self._triggers[action], {"action": action})


def category(expose: Expose, domain: str) -> str | None:
    """Home Assistant's `entity_category` for the entity of `expose`: Zigbee2MQTT's own
    category, except that a sensor is never ``config`` (it has no input) but
    ``diagnostic``, and an event has none."""
    if expose.category not in ("config", "diagnostic") or domain == "event":
        return None
    if expose.category == "config" and domain in ("sensor", "binary_sensor"):
        return "diagnostic"
    return expose.category


def build(ctx: Context, expose: Expose) -> Entity | None:
    """The capability for one generic expose, or None for what has none (see the table):
    the entity Home Assistant makes of Zigbee2MQTT's discovery for it."""
    entity = _build(ctx, expose)
    if entity is not None:
        entity.capability = _categorised(entity, expose)
    return entity


def _categorised(entity: Entity, expose: Expose) -> Any:
    cap = entity.capability
    kind = category(expose, cap.type)
    if kind is None:
        return cap
    return replace(cap, attributes={**cap.attributes, "entity_category": kind})


def _build(ctx: Context, expose: Expose) -> Entity | None:
    if expose.type == "binary":
        if expose.settable:
            name = f"{ctx.name} {_label(expose)}"
            return Switch(ctx, expose, naming.slug(expose.property), name,
                          attributes={"property": expose.property})
        return BinarySensor(ctx, expose) if expose.readable else None
    if expose.type == "numeric":
        if expose.settable:
            return Number(ctx, expose)
        return Sensor(ctx, expose) if expose.readable else None
    if expose.type == "enum":
        if expose.property == "action" or expose.name == "action":
            return Event(ctx, expose) if expose.readable else None
        if expose.settable and len(expose.values) == 1:
            return Button(ctx, expose)
        if expose.settable:
            return Select(ctx, expose)
        return Sensor(ctx, expose) if expose.readable else None
    if expose.type == "text":
        if expose.settable:
            return Text(ctx, expose)
        return Sensor(ctx, expose) if expose.readable else None
    if expose.type == "composite" and expose.name == "warning" and expose.settable:
        return Siren(ctx, expose)
    if expose.type in ("composite", "list") and expose.readable and expose.property:
        return Sensor(ctx, expose)  # shown as text, as Home Assistant shows it
    return None


def _shown_reader(value: Any, out: dict[str, Any]) -> None:
    """A composite or list value as Home Assistant's sensor shows it: text, at most 254
    characters."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    out["state"] = text[:254]


def _text_reader(value: Any, out: dict[str, Any]) -> None:
    if not isinstance(value, str):
        raise BadValue(f"expected text, got {describe(value)}")
    out["state"] = value

