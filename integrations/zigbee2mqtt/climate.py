"""Thermostats and radiator valves: a `climate` expose with setpoints
(``occupied_heating_setpoint`` or ``current_heating_setpoint``,
``occupied_cooling_setpoint``), ``local_temperature``, ``system_mode``, ``running_state``,
``fan_mode`` and ``preset``.

State follows Home Assistant: ``state`` is the HVAC mode, ``current_temperature``,
``hvac_action``; ``temperature`` is the setpoint of a device with one, and a device with
both a heating and a cooling setpoint reports ``target_temp_low``/``target_temp_high``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from hub.errors import ToolError
from integrations.zigbee2mqtt.entity import (
    BadValue,
    Command,
    Context,
    Entity,
    Reader,
    close,
    describe,
    enum_reader,
    gettable,
    number_reader,
)
from integrations.zigbee2mqtt.exposes import ACCESS_SET, Expose
from integrations.zigbee2mqtt.tools import enum, number, tool

HVAC_MODES = ("off", "heat", "cool", "heat_cool", "auto", "dry", "fan_only")
_ACTIONS: Mapping[str, str] = MappingProxyType({
    "idle": "idle", "heat": "heating", "cool": "cooling", "fan_only": "fan", "dry": "drying",
    "off": "off"})


class Climate(Entity):
    __slots__ = ("_cool", "_fan", "_heat", "_mode", "_preset")

    def __init__(self, ctx: Context, expose: Expose, suffix: str) -> None:
        cool = expose.feature("occupied_cooling_setpoint")
        heat = expose.feature("occupied_heating_setpoint")
        if cool is None or heat is None:
            # as Zigbee2MQTT's discovery: the first heating setpoint in the device's order
            heat = next((f for f in expose.features if f.name in (
                "occupied_heating_setpoint", "current_heating_setpoint")), None)
        local = expose.feature("local_temperature")
        mode = expose.feature("system_mode")
        running = expose.feature("running_state")
        fan = expose.feature("fan_mode")
        preset = expose.feature("preset")
        self._heat, self._cool = heat, cool
        self._mode = mode if mode is not None and mode.settable else None
        self._fan = fan if fan is not None and fan.settable else None
        self._preset = preset if preset is not None and preset.settable else None

        readers: dict[str, Reader] = {}
        if heat is not None:
            readers[heat.property] = _setpoint_reader(
                "target_temp_low" if cool is not None else "temperature", mode is None)
        if cool is not None:
            readers[cool.property] = _setpoint_reader(
                "target_temp_high" if heat is not None else "temperature", False)
        if local is not None:
            readers[local.property] = number_reader(local, "current_temperature")
        if mode is not None:
            readers[mode.property] = enum_reader(mode, "state")
        if running is not None:
            readers[running.property] = enum_reader(running, "hvac_action", _ACTIONS)
        if fan is not None:
            readers[fan.property] = enum_reader(fan, "fan_mode")
        if preset is not None:
            readers[preset.property] = enum_reader(preset, "preset_mode")

        timeout = ctx.tool_timeout
        tools = []
        modes = [m for m in (self._mode.values if self._mode else ()) if m in HVAC_MODES]
        setpoints = [s for s in (heat, cool) if s is not None and s.settable]
        if setpoints:
            keep = ["temperature"]
            schemas: dict[str, Any] = {}
            if len(setpoints) == 1:
                only = setpoints[0]
                schemas["temperature"] = number(f"Target temperature, {_range(only)}.",
                                                only.value_min, only.value_max)
            else:
                keep += ["target_temp_low", "target_temp_high"]
            if modes:
                keep.append("hvac_mode")
                schemas["hvac_mode"] = enum("The HVAC mode.", modes)
            tools.append(tool("climate", "set_temperature", timeout, keep, schemas=schemas))
        if modes:
            tools.append(tool("climate", "set_hvac_mode", timeout,
                              schemas={"hvac_mode": enum("The HVAC mode.", modes)}))
            if "off" in modes and len(modes) > 1:
                tools += [tool("climate", "turn_on", timeout), tool("climate", "turn_off", timeout)]
        if self._fan is not None:
            tools.append(tool("climate", "set_fan_mode", timeout, schemas={
                "fan_mode": enum("A fan mode of this device.", self._fan.values)}))
        if self._preset is not None:
            tools.append(tool("climate", "set_preset_mode", timeout, schemas={
                "preset_mode": enum("A preset of this device.", self._preset.values)}))
        tools.append(tool("climate", "get_state", timeout))
        attributes: dict[str, Any] = {"hvac_modes": modes}
        if heat is not None and heat.unit:
            attributes["temperature_unit"] = heat.unit
        name = ctx.name if not suffix else f"{ctx.name} {suffix}"
        capability = ctx.capability("climate", suffix, name=name, tools=tools,
                                    attributes=attributes)
        super().__init__(capability, readers,
                         gettable(heat, cool, local, mode, running, fan, preset))

    def command(self, tool: str, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        if tool == "set_temperature":
            return self._temperature(args, state)
        if tool == "set_hvac_mode" and self._mode is not None:
            return _set(self._mode.property, args["hvac_mode"])
        if tool in ("turn_on", "turn_off") and self._mode is not None:
            if tool == "turn_off":
                return _set(self._mode.property, "off")
            values = self._mode.values
            on = next((m for m in ("heat", "auto", "cool", "heat_cool") if m in values), None)
            if on is not None:
                return _set(self._mode.property, on)
        if tool == "set_fan_mode" and self._fan is not None:
            return _set(self._fan.property, args["fan_mode"])
        if tool == "set_preset_mode" and self._preset is not None:
            return _set(self._preset.property, args["preset_mode"])
        return super().command(tool, args, state)

    def _temperature(self, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        targets: dict[str, Any] = {}
        heat, cool = self._heat, self._cool
        if "temperature" in args:
            mode = args.get("hvac_mode", state.get("state"))
            use_cool = cool is not None and (heat is None or mode == "cool")
            feature = cool if use_cool else heat
            if feature is not None:
                targets[feature.property] = _checked(feature, args["temperature"])
        if "target_temp_low" in args and heat is not None:
            targets[heat.property] = _checked(heat, args["target_temp_low"])
        if "target_temp_high" in args and cool is not None:
            targets[cool.property] = _checked(cool, args["target_temp_high"])
        payload = dict(targets)
        if "hvac_mode" in args and self._mode is not None:
            payload[self._mode.property] = args["hvac_mode"]
        tolerance = {p: _step(f) / 2 for f in (heat, cool) if f is not None
                     for p in (f.property,)}

        def done(report: Mapping[str, Any]) -> bool:
            for prop, value in payload.items():
                if prop in targets:
                    if not close(report.get(prop), value, tolerance[prop] + 1e-6):
                        return False
                elif report.get(prop) != value:
                    return False
            return True

        return Command(payload, done)


def build(ctx: Context, expose: Expose, suffix: str) -> Climate | None:
    if not expose.features:
        return None
    return Climate(ctx, expose, suffix)


def _set(prop: str, value: Any) -> Command:
    return Command({prop: value}, lambda r: r.get(prop) == value)


def _step(feature: Expose) -> float:
    return feature.value_step or 0.5


def _range(feature: Expose) -> str:
    low, high, unit = feature.value_min, feature.value_max, feature.unit
    if low is None or high is None:
        return "in the device's unit"
    return f"{low:g}..{high:g} {unit}".rstrip()


def _checked(feature: Expose, value: float) -> float:
    low, high = feature.value_min, feature.value_max
    if (low is not None and value < low) or (high is not None and value > high):
        raise ToolError(f"{feature.property}: expected {_range(feature)}, got {value:g}")
    # sent as asked, as Home Assistant sends it: the device rounds to its own step (the
    # confirmation allows half a step)
    return value


def _setpoint_reader(key: str, implies_heat: bool) -> Reader:
    def read(value: Any, out: dict[str, Any]) -> None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise BadValue(f"expected a temperature, got {describe(value)}")
        out[key] = value
        if implies_heat:  # a valve without a mode only ever heats
            out.setdefault("state", "heat")

    return read


def extras(exposes: tuple[Expose, ...]) -> list[Expose]:
    """Features of climate exposes that Home Assistant also shows as entities of their own
    (Zigbee2MQTT's discovery makes them): the device's `local_temperature` as a sensor when
    it has no temperature sensor of its own, `pi_heating_demand` (a number when settable,
    else a diagnostic sensor), `pi_cooling_demand` (a diagnostic sensor) and
    `local_temperature_calibration` (a setting). Returned as generic exposes."""
    own_sensor = any(e.type == "numeric" and e.readable and e.name in (
        "temperature", "local_temperature") for e in exposes)
    out: list[Expose] = []
    for expose in exposes:
        if expose.type != "climate":
            continue
        for feature in expose.features:
            if feature.type != "numeric":
                continue
            if feature.name == "local_temperature" and not own_sensor:
                out.append(replace(feature, access=feature.access & ~ACCESS_SET, category=""))
            elif feature.name == "pi_heating_demand":
                out.append(feature if feature.settable
                           else replace(feature, category="diagnostic"))
            elif feature.name == "pi_cooling_demand":
                out.append(replace(feature, access=feature.access & ~ACCESS_SET,
                                   category="diagnostic"))
            elif feature.name == "local_temperature_calibration" and feature.settable:
                out.append(replace(feature, category="config"))
    return out
