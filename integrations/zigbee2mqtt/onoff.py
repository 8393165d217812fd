"""Switches and locks: one binary `state` feature each, written as Zigbee2MQTT names it
(``ON``/``OFF``, ``LOCK``/``UNLOCK``) and read as Home Assistant's states."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from integrations.zigbee2mqtt.entity import (
    Command,
    Context,
    Entity,
    binary_reader,
    enum_reader,
    gettable,
    unconfirmed,
)
from integrations.zigbee2mqtt.exposes import Expose
from integrations.zigbee2mqtt.tools import tool


class Switch(Entity):
    """A `switch` expose, or a settable generic `binary` (e.g. a child lock) as a switch."""

    __slots__ = ("_confirmed", "_off", "_on", "_prop", "_toggle")

    def __init__(self, ctx: Context, state: Expose, suffix: str, name: str,
                 description: str = "", attributes: Mapping[str, Any] | None = None) -> None:
        self._prop = state.property
        self._on = state.value_on if state.value_on is not None else "ON"
        self._off = state.value_off if state.value_off is not None else "OFF"
        self._toggle = state.value_toggle
        timeout = ctx.tool_timeout
        tools = [tool("switch", "turn_on", timeout, ["duration"]),
                 tool("switch", "turn_off", timeout),
                 tool("switch", "toggle", timeout),  # by the device's toggle value, or as
                 tool("switch", "get_state", timeout)]  # HA does: the opposite of the state
        self._confirmed = state.readable
        capability = ctx.capability("switch", suffix, name=name, tools=tools,
                                    description=description, attributes=attributes)
        readers = ({state.property: binary_reader(state, "state", "on", "off")}
                   if state.readable else {})
        super().__init__(capability, readers, gettable(state))

    def command(self, tool: str, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        command = self._command(tool, args, state)
        if not self._confirmed:  # a write-only property: the device never reports it
            return Command(command.payload, unconfirmed)
        return command

    def _command(self, tool: str, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        prop, on, off = self._prop, self._on, self._off
        if tool == "toggle" and self._toggle is None:
            tool = "turn_off" if state.get("state") == "on" else "turn_on"
        if tool == "turn_on":
            payload: dict[str, Any] = {prop: on}
            if "duration" in args:
                payload["on_time"] = args["duration"]  # the device turns itself off
            return Command(payload, lambda r: r.get(prop) == on)
        if tool == "turn_off":
            return Command({prop: off}, lambda r: r.get(prop) == off)
        if tool == "toggle" and self._toggle is not None:
            current = state.get("state")
            if current in ("on", "off"):
                want = off if current == "on" else on
                return Command({prop: self._toggle}, lambda r: r.get(prop) == want)
            return Command({prop: self._toggle}, lambda r: prop in r)
        return super().command(tool, args, state)


class Lock(Entity):
    __slots__ = ("_lock", "_prop", "_unlock")

    def __init__(self, ctx: Context, expose: Expose, state: Expose, suffix: str) -> None:
        self._prop = state.property
        self._lock = state.value_on if state.value_on is not None else "LOCK"
        self._unlock = state.value_off if state.value_off is not None else "UNLOCK"
        readers = {state.property: binary_reader(state, "state", "locked", "unlocked")}
        lock_state = expose.feature("lock_state")
        if lock_state is not None and lock_state.type == "enum":
            readers[lock_state.property] = enum_reader(lock_state, "lock_state")
        timeout = ctx.tool_timeout
        tools = [tool("lock", "get_state", timeout)]
        if state.settable:
            tools[:0] = [tool("lock", "lock", timeout), tool("lock", "unlock", timeout)]
        name = ctx.name if not suffix else f"{ctx.name} {suffix}"
        capability = ctx.capability("lock", suffix, name=name, tools=tools)
        super().__init__(capability, readers, gettable(state, lock_state))

    def command(self, tool: str, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        prop = self._prop
        if tool in ("lock", "unlock"):
            value = self._lock if tool == "lock" else self._unlock
            return Command({prop: value}, lambda r: r.get(prop) == value)
        return super().command(tool, args, state)


def build_switch(ctx: Context, expose: Expose, suffix: str) -> Switch | None:
    state = expose.feature("state")
    if state is None or not state.readable:
        return None
    name = ctx.name if not suffix else f"{ctx.name} {suffix}"
    return Switch(ctx, state, suffix, name)


def build_lock(ctx: Context, expose: Expose, suffix: str) -> Lock | None:
    state = expose.feature("state")
    if state is None or not state.readable:
        return None
    return Lock(ctx, expose, state, suffix)
