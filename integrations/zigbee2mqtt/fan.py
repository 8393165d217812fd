"""Fans: a `fan` expose with a binary `state` (property ``fan_state``) and/or an enum
`mode` (property ``fan_mode``: off, low, medium, high, on, auto, smart...).

Home Assistant speaks percentages and preset modes: the speed modes (low, medium, high, as
far as the fan has them) are spread over 1..100 %, the other modes are presets. A fan with
a numeric `speed` feature (1..254, say) takes percentages as Home Assistant's MQTT fan
sends them through Zigbee2MQTT's discovery: ``ceil(percentage * states / 100 + min - 1)``,
and reads its speed back as ``(speed - min + 1) * 100 // states`` percent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hub.errors import ToolError
from integrations.zigbee2mqtt.entity import (
    BadValue,
    Command,
    Context,
    Entity,
    Reader,
    binary_reader,
    describe,
    gettable,
)
from integrations.zigbee2mqtt.exposes import Expose
from integrations.zigbee2mqtt.tools import enum, tool

_SPEEDS = ("low", "medium", "high", *(str(n) for n in range(1, 10)))
"""The ZCL fan modes that are speeds, in order, as Zigbee2MQTT's discovery ranks them."""
_ON_IS_A_SPEED = frozenset({"99432"})
"""Models whose `on` mode is their top speed (Zigbee2MQTT's discovery says so: the Hampton
Bay 99432 runs low, medium, high, on)."""


class Fan(Entity):
    __slots__ = ("_mode", "_off", "_on", "_presets", "_range", "_speed", "_speeds", "_state")

    def __init__(self, ctx: Context, state: Expose | None, mode: Expose | None,
                 suffix: str, speed: Expose | None = None) -> None:
        self._speed = speed.property if speed is not None and speed.settable else ""
        low = int(speed.value_min if speed is not None and speed.value_min is not None else 1)
        high = int(speed.value_max if speed is not None and speed.value_max is not None
                   else 254)
        self._range = (max(1, low), max(max(1, low), high))
        self._state = state.property if state is not None and state.settable else ""
        self._on = state.value_on if state is not None and state.value_on is not None else "ON"
        self._off = (state.value_off if state is not None and state.value_off is not None
                     else "OFF")
        modes = tuple(str(v) for v in mode.values) if mode is not None else ()
        self._mode = mode.property if mode is not None and mode.settable else ""
        self._speeds = tuple(s for s in _SPEEDS if s in modes)
        if ctx.info.model in _ON_IS_A_SPEED:
            self._speeds += ("on",) if "on" in modes else ()
        self._presets = tuple(m for m in modes if m not in self._speeds and m != "off")
        readers: dict[str, Reader] = {}
        if state is not None:
            readers[state.property] = binary_reader(state, "state", "on", "off")
        if mode is not None:
            readers[mode.property] = self._mode_reader(modes)
        if speed is not None and speed.readable:
            readers[speed.property] = self._speed_reader()
        timeout = ctx.tool_timeout
        keep_on: list[str] = []
        schemas: dict[str, Any] = {}
        tools = []
        if (self._mode and self._speeds) or self._speed:
            keep_on.append("percentage")
            tools.append(tool("fan", "set_percentage", timeout, ["percentage"]))
        if self._mode and self._presets:
            schemas["preset_mode"] = enum("A preset mode of this fan.", self._presets)
            tools.append(tool("fan", "set_preset_mode", timeout, schemas=schemas))
        if self._speed and not (self._mode and self._speeds):
            tools.append(tool("fan", "set_percentage", timeout, ["percentage"]))
        if self._state or self._mode or self._speed:
            tools[:0] = [tool("fan", "turn_on", timeout, keep_on, schemas=schemas),
                         tool("fan", "turn_off", timeout), tool("fan", "toggle", timeout)]
        tools.append(tool("fan", "get_state", timeout))
        name = ctx.name if not suffix else f"{ctx.name} {suffix}"
        capability = ctx.capability("fan", suffix, name=name, tools=tools,
                                    attributes={"preset_modes": list(self._presets),
                                                "speed_count": len(self._speeds)})
        super().__init__(capability, readers, gettable(state, mode, speed))

    def _speed_reader(self) -> Reader:
        low, high = self._range
        states = high - low + 1

        def read(value: Any, out: dict[str, Any]) -> None:
            if type(value) not in (int, float):
                raise BadValue(f"expected a speed {low}..{high}, got {describe(value)}")
            out["percentage"] = max(0, int((value - low + 1) * 100 // states))

        return read

    def _mode_reader(self, modes: tuple[str, ...]) -> Reader:
        speeds = self._speeds
        allowed = frozenset(modes)

        def read(value: Any, out: dict[str, Any]) -> None:
            if not isinstance(value, str) or (allowed and value not in allowed):
                raise BadValue(f"expected one of {', '.join(modes)}, got {describe(value)}")
            if value == "off":
                out.setdefault("state", "off")
                out["percentage"] = 0
                out["preset_mode"] = None
            elif value in speeds:
                out.setdefault("state", "on")
                # Home Assistant's ranged_value_to_percentage: rounded down
                out["percentage"] = (speeds.index(value) + 1) * 100 // len(speeds)
                out["preset_mode"] = None
            else:
                out.setdefault("state", "on")
                out["preset_mode"] = value

        return read

    def command(self, tool: str, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        if tool == "toggle":
            tool = "turn_off" if state.get("state") == "on" else "turn_on"
        if tool == "set_percentage" or (tool == "turn_on" and "percentage" in args):
            percentage = args["percentage"]
            if percentage == 0:
                return self._off_command()
            if self._speed:
                low, high = self._range
                value = math.ceil((high - low + 1) * percentage / 100 + low - 1)
                prop = self._speed
                return Command({prop: value}, lambda r: r.get(prop) == value)
            speeds = self._speeds
            if not speeds:
                raise ToolError(f"{self.id}: this fan has no speeds to set a percentage with; "
                                f"its modes: {', '.join(self._presets) or 'none'}")
            return self._switched_on(tool, self._set_mode(
                speeds[max(0, math.ceil(percentage * len(speeds) / 100) - 1)]))
        if tool == "set_preset_mode" or (tool == "turn_on" and "preset_mode" in args):
            return self._switched_on(tool, self._set_mode(args["preset_mode"]))
        if tool == "turn_on":
            if self._state:
                prop, on = self._state, self._on
                return Command({prop: on}, lambda r: r.get(prop) == on)
            if "on" in self._presets:
                return self._set_mode("on")
            if self._speeds:
                return self._set_mode(self._speeds[-1])
            raise ToolError(f"{self.id}: cannot tell how to turn this fan on (no state, no 'on' "
                            f"mode, no speeds); use set_preset_mode with one of: "
                            f"{', '.join(self._presets) or 'none'}")
        if tool == "turn_off":
            return self._off_command()
        return super().command(tool, args, state)

    def _switched_on(self, tool: str, command: Command) -> Command:
        """`turn_on` with a speed or preset: Home Assistant sends the on payload, then the
        mode (one /set here)."""
        if tool != "turn_on" or not self._state:
            return command
        prop, on, check = self._state, self._on, command.confirm
        return Command({prop: on, **command.payload}, lambda r: r.get(prop) == on and check(r))

    def _set_mode(self, mode: str) -> Command:
        prop = self._mode
        return Command({prop: mode}, lambda r: r.get(prop) == mode)

    def _off_command(self) -> Command:
        if self._state:
            prop, off = self._state, self._off
            return Command({prop: off}, lambda r: r.get(prop) == off)
        return self._set_mode("off")


def build(ctx: Context, expose: Expose, suffix: str) -> Fan | None:
    state, mode = expose.feature("state"), expose.feature("mode")
    speed = expose.feature("speed")
    if state is None and mode is None and speed is None:
        return None
    return Fan(ctx, state, mode, suffix, speed if speed is not None and speed.type ==
               "numeric" else None)
