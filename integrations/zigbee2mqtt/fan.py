"""Fans: a `fan` expose with a binary `state` (property ``fan_state``) and/or an enum
`mode` (property ``fan_mode``: off, low, medium, high, on, auto, smart...).

Home Assistant speaks percentages and preset modes: the speed modes (low, medium, high, as
far as the fan has them) are spread over 1..100 %, the other modes are presets.
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

_SPEEDS = ("low", "medium", "high")


class Fan(Entity):
    __slots__ = ("_mode", "_off", "_on", "_presets", "_speeds", "_state")

    def __init__(self, ctx: Context, state: Expose | None, mode: Expose | None,
                 suffix: str) -> None:
        self._state = state.property if state is not None and state.settable else ""
        self._on = state.value_on if state is not None and state.value_on is not None else "ON"
        self._off = (state.value_off if state is not None and state.value_off is not None
                     else "OFF")
        modes = tuple(str(v) for v in mode.values) if mode is not None else ()
        self._mode = mode.property if mode is not None and mode.settable else ""
        self._speeds = tuple(s for s in _SPEEDS if s in modes)
        self._presets = tuple(m for m in modes if m not in _SPEEDS and m != "off")
        readers: dict[str, Reader] = {}
        if state is not None:
            readers[state.property] = binary_reader(state, "state", "on", "off")
        if mode is not None:
            readers[mode.property] = self._mode_reader(modes)
        timeout = ctx.tool_timeout
        keep_on: list[str] = []
        schemas: dict[str, Any] = {}
        tools = []
        if self._mode and self._speeds:
            keep_on.append("percentage")
            tools.append(tool("fan", "set_percentage", timeout, ["percentage"]))
        if self._mode and self._presets:
            schemas["preset_mode"] = enum("A preset mode of this fan.", self._presets)
            tools.append(tool("fan", "set_preset_mode", timeout, schemas=schemas))
        if self._state or self._mode:
            tools[:0] = [tool("fan", "turn_on", timeout, keep_on, schemas=schemas),
                         tool("fan", "turn_off", timeout), tool("fan", "toggle", timeout)]
        tools.append(tool("fan", "get_state", timeout))
        name = ctx.name if not suffix else f"{ctx.name} {suffix}"
        capability = ctx.capability("fan", suffix, name=name, tools=tools,
                                    attributes={"preset_modes": list(self._presets),
                                                "speed_count": len(self._speeds)})
        super().__init__(capability, readers, gettable(state, mode))

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
                out["percentage"] = math.ceil((speeds.index(value) + 1) * 100 / len(speeds))
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
            speeds = self._speeds
            if not speeds:
                raise ToolError(f"{self.id}: this fan has no speeds to set a percentage with; "
                                f"its modes: {', '.join(self._presets) or 'none'}")
            return self._set_mode(speeds[max(0, math.ceil(percentage * len(speeds) / 100) - 1)])
        if tool == "set_preset_mode" or (tool == "turn_on" and "preset_mode" in args):
            return self._set_mode(args["preset_mode"])
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
    if state is None and mode is None:
        return None
    return Fan(ctx, state, mode, suffix)
