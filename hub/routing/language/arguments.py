"""From quantities and a chosen domain to a Home Assistant service call: tool and fields.

The verb picked a tool from `vocabulary.TOOLS`; what was said can refine it: a light
"dimmed to 30 percent" gets ``brightness_pct: 30`` while one "dimmed" gets
``brightness_step_pct: -10``; a thermostat "put on 19 degrees" is ``set_temperature``
rather than ``turn_on``; blinds opened "halfway" are ``set_cover_position`` 50.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.routing.language.lexicon import Action
from hub.routing.language.quantities import Quantities
from hub.routing.language.vocabulary import tool_for

DEFAULT_STEP = 10
"""Percent for "brighter", "a bit dimmer" with no amount: one tenth of the range."""
DEFAULT_DEGREE_STEP = 1.0


@dataclass(frozen=True, slots=True)
class Call:
    tool: str
    args: Mapping[str, Any]
    note: str = ""
    """Why the tool or a field was chosen, for the reasons a resolution shows."""


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


def _clamp_pct(value: float) -> int | float:
    return _number(max(0.0, min(100.0, value)))


def _timing(q: Quantities, args: dict[str, Any]) -> None:
    if q.transition is not None:
        args["transition"] = _number(q.transition)
    if q.duration is not None:
        args["duration"] = _number(q.duration)
    if q.delay is not None:
        args["delay"] = _number(q.delay)


def to_celsius(value: float, unit: str, device_unit: str) -> float:
    """A temperature said in `unit` ("c", "f", "") in the device's unit, to half a degree.

    With no unit said the value is kept as said: "set it to 72" comes from someone whose
    home counts in Fahrenheit, whatever unit the hub was told.
    """
    if not unit or unit == device_unit:
        return value
    converted = (value - 32) * 5 / 9 if device_unit == "c" else value * 9 / 5 + 32
    return round(converted * 2) / 2


def call(
    domain: str,
    action: Action,
    q: Quantities,
    *,
    negated: bool = False,
    state: Mapping[str, Any] | None = None,
    temperature_unit: str = "c",
) -> Call | None:
    """The tool and its fields for `action` on a device of `domain`, or None if unsupported."""
    mapper = _MAPPERS.get(domain)
    if mapper is not None:
        return mapper(action, q, negated, state or {}, temperature_unit)
    tool = tool_for(domain, action)
    if tool is None:
        return None
    args: dict[str, Any] = {}
    _timing(q, args)
    return Call(tool, args)


def _light(
    action: Action, q: Quantities, negated: bool, state: Mapping[str, Any], unit: str
) -> Call | None:
    args: dict[str, Any] = {}
    _timing(q, args)
    if action in (Action.OFF, Action.STOP):
        return Call("turn_off", args)
    if action in (Action.TOGGLE, Action.QUERY):
        return Call(tool_for("light", action) or "get_state", {})
    note = ""
    if q.flash is not None:
        args["flash"] = q.flash
    if q.kelvin is not None:
        args["color_temp_kelvin"] = q.kelvin
    elif q.colour is not None:
        args["color_name"] = q.colour
    sign = -1 if action is Action.DOWN else 1
    if q.step is not None and action in (Action.UP, Action.DOWN):
        args["brightness_step_pct"] = _number(sign * q.step)
    elif q.percent is not None:
        args["brightness_pct"] = _clamp_pct(q.percent)
    elif (
        q.number is not None
        and 0 <= q.number <= 100
        and (q.mentions_brightness or action is Action.SET)
        and "color_temp_kelvin" not in args
    ):
        args["brightness_pct"] = _number(q.number)
        note = "a bare number on a light is a brightness"
    elif action in (Action.UP, Action.DOWN) and not (
        "color_temp_kelvin" in args or "color_name" in args
    ):
        args["brightness_step_pct"] = sign * DEFAULT_STEP
        note = f"no amount said: a step of {DEFAULT_STEP} percent"
    return Call("turn_on", args, note)


def _fan(
    action: Action, q: Quantities, negated: bool, state: Mapping[str, Any], unit: str
) -> Call | None:
    args: dict[str, Any] = {}
    if action is Action.OSCILLATE:
        return Call("oscillate", {"oscillating": not negated})
    if action in (Action.OFF, Action.STOP, Action.TOGGLE, Action.QUERY):
        _timing(q, args)
        return Call(tool_for("fan", action) or "turn_off", args if action is Action.OFF else {})
    percent = q.percent if q.percent is not None else q.speed
    if percent is None and q.number is not None and (q.mentions_speed or action is Action.SET):
        percent = q.number
    if percent is not None:
        return Call("set_percentage", {"percentage": _clamp_pct(percent)})
    if action is Action.UP:
        return Call("increase_speed", {})
    if action is Action.DOWN:
        return Call("decrease_speed", {})
    _timing(q, args)
    return Call("turn_on", args)


def _cover(
    action: Action, q: Quantities, negated: bool, state: Mapping[str, Any], unit: str
) -> Call | None:
    position = q.percent
    if position is None and q.number is not None and q.mentions_position:
        position = q.number
    if action is not Action.QUERY and position is not None:
        if position >= 100 and action in (Action.OPEN, Action.UP):
            return Call("open_cover", {})
        if position <= 0 and action in (Action.CLOSE, Action.DOWN):
            return Call("close_cover", {})
        return Call("set_cover_position", {"position": _clamp_pct(position)})
    tool = tool_for("cover", action)
    if tool is None or tool == "set_cover_position":
        return None
    return Call(tool, {})


def _valve(
    action: Action, q: Quantities, negated: bool, state: Mapping[str, Any], unit: str
) -> Call | None:
    position = q.percent
    if position is None and q.number is not None and q.mentions_position:
        position = q.number
    if action is not Action.QUERY and position is not None:
        if position >= 100 and action in (Action.OPEN, Action.UP, Action.ON):
            return Call("open_valve", {})
        if position <= 0 and action in (Action.CLOSE, Action.DOWN, Action.OFF):
            return Call("close_valve", {})
        return Call("set_valve_position", {"position": _clamp_pct(position)})
    tool = tool_for("valve", action)
    return Call(tool, {}) if tool else None


def _lock(
    action: Action, q: Quantities, negated: bool, state: Mapping[str, Any], unit: str
) -> Call | None:
    tool = tool_for("lock", action)
    if tool is None:
        return None
    return Call(tool, {"code": q.code} if q.code and tool != "get_state" else {})


def _climate(
    action: Action, q: Quantities, negated: bool, state: Mapping[str, Any], unit: str
) -> Call | None:
    if action is Action.QUERY:
        return Call("get_state", {})
    if q.low is not None and q.high is not None:
        return Call("set_temperature", {
            "target_temp_low": _number(to_celsius(q.low, q.range_unit, unit)),
            "target_temp_high": _number(to_celsius(q.high, q.range_unit, unit)),
        })  # fmt: skip
    if q.mentions_humidity and q.percent is not None and action is not Action.OFF:
        return Call("set_humidity", {"humidity": _clamp_pct(q.percent)})
    if q.preset is not None and action is not Action.OFF:
        return Call("set_preset_mode", {"preset_mode": q.preset})
    if q.fan_mode is not None and action is not Action.OFF:
        return Call("set_fan_mode", {"fan_mode": q.fan_mode})
    value: float | None = None
    if q.degrees is not None:
        value = to_celsius(q.degrees, q.degree_unit, unit)
    elif q.number is not None and action in (Action.SET, Action.ON, Action.UP, Action.DOWN):
        value = to_celsius(q.number, "", unit)
    if value is not None and action in (Action.UP, Action.DOWN) and q.step is None:
        return Call("set_temperature", {"temperature": _number(value)})
    if q.step is not None and action in (Action.UP, Action.DOWN):
        value = None
    if value is not None:
        return Call("set_temperature", {"temperature": _number(value)})
    if q.hvac_mode is not None and action not in (Action.UP, Action.DOWN):
        return Call("set_hvac_mode", {"hvac_mode": q.hvac_mode})
    if action in (Action.UP, Action.DOWN):
        step = q.step if q.step is not None else DEFAULT_DEGREE_STEP
        current = state.get("temperature")
        if isinstance(current, (int, float)):
            sign = -1 if action is Action.DOWN else 1
            return Call(
                "set_temperature",
                {"temperature": _number(current + sign * step)},
                "relative to the current setpoint",
            )
        return Call("set_temperature", {}, "relative change but the current setpoint is unknown")
    tool = tool_for("climate", action)
    return Call(tool, {}) if tool else None


def _media(
    action: Action, q: Quantities, negated: bool, state: Mapping[str, Any], unit: str
) -> Call | None:
    if action is Action.MUTE:
        return Call("volume_mute", {"is_volume_muted": not negated})
    if action is Action.UNMUTE:
        return Call("volume_mute", {"is_volume_muted": False})
    level: float | None = None
    if q.percent is not None:
        level = q.percent / 100
    elif q.number is not None and (q.mentions_volume or action is Action.SET):
        # "volume 4" is four tenths: people give volume out of ten more than out of 100.
        level = q.number / 10 if q.number <= 10 else q.number / 100
    if level is not None and action not in (
        Action.PLAY,
        Action.PAUSE,
        Action.NEXT,
        Action.PREVIOUS,
        Action.QUERY,
        Action.OFF,
    ):
        return Call("volume_set", {"volume_level": round(max(0.0, min(1.0, level)), 2)})
    tool = tool_for("media_player", action)
    if tool is None or tool == "volume_set":
        return None  # "change it" with no level is no volume
    args: dict[str, Any] = {}
    if action in (Action.ON, Action.OFF, Action.PLAY):
        _timing(q, args)
    return Call(tool, args)


def _alarm(
    action: Action, q: Quantities, negated: bool, state: Mapping[str, Any], unit: str
) -> Call | None:
    tool = tool_for("alarm_control_panel", action)
    if tool is None:
        return None
    if tool == "alarm_arm_away" and q.alarm_mode is not None:
        tool = f"alarm_arm_{q.alarm_mode}"
    return Call(tool, {"code": q.code} if q.code and tool != "get_state" else {})


def _humidifier(
    action: Action, q: Quantities, negated: bool, state: Mapping[str, Any], unit: str
) -> Call | None:
    value = q.percent if q.percent is not None else q.number
    if value is not None and action in (Action.SET, Action.ON, Action.UP, Action.DOWN):
        return Call("set_humidity", {"humidity": _clamp_pct(value)})
    tool = tool_for("humidifier", action)
    return Call(tool, {}) if tool else None


_MAPPERS = {
    "light": _light,
    "fan": _fan,
    "cover": _cover,
    "valve": _valve,
    "lock": _lock,
    "climate": _climate,
    "water_heater": _climate,
    "media_player": _media,
    "alarm_control_panel": _alarm,
    "humidifier": _humidifier,
}
