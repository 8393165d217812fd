"""Tool calls to what the Matter server runs: ``device_command`` or ``write_attribute``.

Payload field names are those of the SDK's cluster command classes (camelCase), which the
server builds the command from; transition times are in tenths of a second.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.errors import ToolError
from integrations.matter import units
from integrations.matter.mapping import (
    COLOR,
    COVER,
    DOOR_LOCK,
    FAN,
    LEVEL,
    ON_OFF,
    THERMOSTAT,
    Entity,
)

HVAC_TO_SYSTEM_MODE = {"off": 0, "heat_cool": 1, "auto": 1, "cool": 3, "heat": 4,
                       "fan_only": 7, "dry": 8}
_OPTIONS = {"optionsMask": 0, "optionsOverride": 0}


@dataclass(frozen=True, slots=True)
class Action:
    """One request to the server: a command (`name`, `payload`) or, when `write` is set, a
    write of `value` to attribute `attribute` of `cluster`."""

    cluster: int
    name: str = ""
    payload: Mapping[str, Any] | None = None
    attribute: int | None = None
    value: Any = None

    @property
    def write(self) -> bool:
        return self.attribute is not None


def _tenths(arguments: Mapping[str, Any]) -> int:
    return round(float(arguments.get("transition", 0)) * 10)


def actions(entity: Entity, tool: str, arguments: Mapping[str, Any],
            state: Mapping[str, Any]) -> list[Action]:
    domain = entity.domain
    if domain == "light":
        return _light(tool, arguments, state)
    if domain == "switch":
        return [Action(ON_OFF, {"turn_on": "On", "turn_off": "Off", "toggle": "Toggle"}[tool],
                       {})]
    if domain == "lock":
        name = {"lock": "LockDoor", "unlock": "UnlockDoor", "open": "UnboltDoor"}[tool]
        payload: dict[str, Any] = {}
        if "code" in arguments:
            # octet strings travel base64-encoded (the server decodes them so)
            payload["PINCode"] = base64.b64encode(str(arguments["code"]).encode()).decode()
        return [Action(DOOR_LOCK, name, payload)]
    if domain == "cover":
        if tool == "set_cover_position":
            return [Action(COVER, "GoToLiftPercentage",
                           {"liftPercent100thsValue": (100 - int(arguments["position"])) * 100})]
        return [Action(COVER, {"open_cover": "UpOrOpen", "close_cover": "DownOrClose",
                               "stop_cover": "StopMotion"}[tool], {})]
    if domain == "climate":
        out = []
        mode = arguments.get("hvac_mode")
        if mode is not None:
            out.append(Action(THERMOSTAT, attribute=28, value=HVAC_TO_SYSTEM_MODE[mode]))
        if tool == "set_temperature":
            heat = arguments.get("target_temp_low", arguments.get("temperature"))
            cool = arguments.get("target_temp_high")
            if "temperature" in arguments and (mode or state.get("state")) == "cool":
                heat, cool = None, arguments["temperature"]
            if heat is not None:
                out.append(Action(THERMOSTAT, attribute=18, value=round(float(heat) * 100)))
            if cool is not None:
                out.append(Action(THERMOSTAT, attribute=17, value=round(float(cool) * 100)))
        return out
    if domain == "fan":
        if tool == "turn_off":
            return [Action(FAN, attribute=0, value=0)]
        if tool == "set_percentage" or "percentage" in arguments:
            return [Action(FAN, attribute=2, value=int(arguments["percentage"]))]
        return [Action(FAN, attribute=0, value=4)]
    raise ToolError(f"{entity.id}: tool {tool!r} is not supported by this device")


def _light(tool: str, arguments: Mapping[str, Any], state: Mapping[str, Any]) -> list[Action]:
    if tool == "turn_off":
        if "transition" in arguments:
            return [Action(LEVEL, "MoveToLevelWithOnOff",
                           {"level": 0, "transitionTime": _tenths(arguments), **_OPTIONS})]
        return [Action(ON_OFF, "Off", {})]
    if tool == "toggle":
        return [Action(ON_OFF, "Toggle", {})]
    out: list[Action] = []
    transition = _tenths(arguments)
    level = _level(arguments, state)
    if "color_temp_kelvin" in arguments:
        out.append(Action(COLOR, "MoveToColorTemperature", {
            "colorTemperatureMireds": units.kelvin_to_mireds(arguments["color_temp_kelvin"]),
            "transitionTime": transition, **_OPTIONS}))
    elif "hs_color" in arguments:
        hue, sat = arguments["hs_color"]
        out.append(Action(COLOR, "MoveToHueAndSaturation", {
            "hue": min(254, round(float(hue) * 254 / 360)),
            "saturation": min(254, round(float(sat) * 254 / 100)),
            "transitionTime": transition, **_OPTIONS}))
    elif "rgb_color" in arguments:
        x, y = units.rgb_to_xy(*arguments["rgb_color"])
        out.append(Action(COLOR, "MoveToColor", {
            "colorX": round(x * 65535), "colorY": round(y * 65535),
            "transitionTime": transition, **_OPTIONS}))
    if level is not None:
        out.insert(0, Action(LEVEL, "MoveToLevelWithOnOff",
                             {"level": level, "transitionTime": transition, **_OPTIONS}))
    else:
        out.insert(0, Action(ON_OFF, "On", {}))
    return out


def _level(arguments: Mapping[str, Any], state: Mapping[str, Any]) -> int | None:
    current = state.get("brightness")
    base = units.brightness_to_level(current) if isinstance(current, int) else 0
    if "brightness_pct" in arguments:
        return units.pct_to_level(float(arguments["brightness_pct"]))
    if "brightness" in arguments:
        return units.brightness_to_level(float(arguments["brightness"]))
    if "brightness_step_pct" in arguments:
        return max(0, min(254, base + round(float(arguments["brightness_step_pct"]) * 2.54)))
    if "brightness_step" in arguments:
        return max(0, min(254, base + round(
            float(arguments["brightness_step"]) * 254 / 255)))
    return None
