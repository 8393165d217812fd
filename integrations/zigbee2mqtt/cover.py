"""Covers (blinds, shades, garage doors): a `cover` expose with a `state` enum
(``OPEN``/``CLOSE``/``STOP``) and optionally `position` and `tilt` (0 closed .. 100 open).

A cover takes seconds to move, longer than a tool call should wait, so a command is
confirmed when the cover reports the target or reports that it started moving there
(``moving``: ``UP``/``DOWN``, which many covers publish).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from integrations.zigbee2mqtt.entity import (
    BadValue,
    Command,
    Context,
    Entity,
    Reader,
    close,
    describe,
    gettable,
    number_reader,
)
from integrations.zigbee2mqtt.exposes import Expose
from integrations.zigbee2mqtt.tools import tool

_MOVING: Mapping[str, str] = MappingProxyType({"UP": "opening", "DOWN": "closing"})
_STATES: Mapping[str, str] = MappingProxyType(
    {"OPEN": "open", "CLOSE": "closed", "CLOSED": "closed", "OPENED": "open"})


class Cover(Entity):
    __slots__ = ("_position", "_state", "_tilt")

    def __init__(self, ctx: Context, state: Expose, position: Expose | None,
                 tilt: Expose | None, moving: Expose | None, suffix: str) -> None:
        self._state = state.property
        self._position = position.property if position is not None else ""
        self._tilt = tilt.property if tilt is not None else ""
        readers: dict[str, Reader] = {state.property: _state_reader}
        if position is not None:
            readers[position.property] = _position_reader
        if tilt is not None:
            readers[tilt.property] = number_reader(tilt, "current_tilt_position")
        if moving is not None:
            readers[moving.property] = _moving_reader
        timeout = ctx.tool_timeout
        names: list[str] = []
        if state.settable:
            names += ["open_cover", "close_cover", "stop_cover", "toggle"]
        if position is not None and position.settable:
            names.append("set_cover_position")
        if tilt is not None and tilt.settable:
            names += ["open_cover_tilt", "close_cover_tilt", "set_cover_tilt_position"]
        keep = {"set_cover_position": ["position"], "set_cover_tilt_position": ["tilt_position"]}
        tools = [tool("cover", n, timeout, keep.get(n, ())) for n in (*names, "get_state")]
        name = ctx.name if not suffix else f"{ctx.name} {suffix}"
        capability = ctx.capability("cover", suffix, name=name, tools=tools)
        super().__init__(capability, readers, gettable(state, position, tilt))

    def command(self, tool: str, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        if tool == "toggle":
            tool = "close_cover" if state.get("state") in ("open", "opening") else "open_cover"
        prop, pos, tilt = self._state, self._position, self._tilt
        if tool == "open_cover":
            return Command({prop: "OPEN"}, lambda r: r.get(prop) == "OPEN"
                           or r.get("moving") == "UP" or (bool(pos) and r.get(pos) == 100))
        if tool == "close_cover":
            return Command({prop: "CLOSE"}, lambda r: r.get(prop) == "CLOSE"
                           or r.get("moving") == "DOWN" or (bool(pos) and r.get(pos) == 0))
        if tool == "stop_cover":
            return Command({prop: "STOP"}, lambda r: r.get(prop) == "STOP"
                           or r.get("moving") == "STOP" or (bool(pos) and pos in r))
        if tool == "set_cover_position" and pos:
            target = args["position"]
            return Command({pos: target}, lambda r: close(r.get(pos), target, 1)
                           or r.get("moving") in _MOVING)
        if tool in ("open_cover_tilt", "close_cover_tilt", "set_cover_tilt_position") and tilt:
            angle = {"open_cover_tilt": 100, "close_cover_tilt": 0}.get(tool)
            target = angle if angle is not None else args["tilt_position"]
            return Command({tilt: target}, lambda r: close(r.get(tilt), target, 1))
        return super().command(tool, args, state)


def build(ctx: Context, expose: Expose, suffix: str, device_exposes: tuple[Expose, ...]
          ) -> Cover | None:
    state = expose.feature("state")
    if state is None:
        return None
    moving = next((e for e in device_exposes if e.type == "enum" and e.property == "moving"),
                  None)
    return Cover(ctx, state, expose.feature("position"), expose.feature("tilt"), moving, suffix)


def _state_reader(value: Any, out: dict[str, Any]) -> None:
    if not isinstance(value, str):
        raise BadValue(f"expected OPEN, CLOSE or STOP, got {describe(value)}")
    mapped = _STATES.get(value.upper())
    if mapped is None:
        if value.upper() == "STOP":
            return  # stopped where it is: the position says open or closed
        raise BadValue(f"expected OPEN, CLOSE or STOP, got {describe(value)}")
    if out.get("state") not in ("opening", "closing"):  # moving says more than the target
        out["state"] = mapped


def _position_reader(value: Any, out: dict[str, Any]) -> None:
    if not close(value, 50, 50):
        raise BadValue(f"expected 0..100, got {describe(value)}")
    out["current_position"] = value
    out.setdefault("state", "closed" if value == 0 else "open")


def _moving_reader(value: Any, out: dict[str, Any]) -> None:
    if value not in ("UP", "DOWN", "STOP"):
        raise BadValue(f"expected UP, DOWN or STOP, got {describe(value)}")
    moving = _MOVING.get(value)
    if moving is not None:
        out["state"] = moving
