"""Vacuums, as Home Assistant's MQTT vacuum (its state schema).

`state_topic` carries JSON: ``state`` (cleaning, docked, paused, idle, returning, error),
``fan_speed``, ``battery_level``. Commands go to `command_topic` as `payload_start`
("start"), `payload_pause` ("pause"), `payload_stop` ("stop"), `payload_return_to_base`
("return_to_base"), `payload_clean_spot` ("clean_spot"), `payload_locate` ("locate"), each
only when `supported_features` names it (default: start, stop, return_home, clean_spot);
`set_fan_speed` publishes the speed on `set_fan_speed_topic` (one of `fan_speed_list`);
`send_command` publishes the command on `send_command_topic`, as JSON
``{"command": ..., **params}`` when it has parameters.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from hub.errors import PayloadError, ToolError
from hub.model import Tool, ToolResult
from integrations.mqtt_discovery.entity import Entity, select_tools
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler

_STATES = frozenset({"cleaning", "docked", "paused", "idle", "returning", "error"})
_FEATURES = frozenset({"start", "stop", "pause", "return_home", "battery", "status",
                       "locate", "clean_spot", "fan_speed", "send_command"})
_DEFAULT_FEATURES = ("start", "stop", "return_home", "clean_spot")
_COMMANDS: Mapping[str, tuple[str, str, str]] = MappingProxyType({
    # tool -> (feature, payload key, default payload)
    "start": ("start", "payload_start", "start"),
    "pause": ("pause", "payload_pause", "pause"),
    "stop": ("stop", "payload_stop", "stop"),
    "return_to_base": ("return_home", "payload_return_to_base", "return_to_base"),
    "clean_spot": ("clean_spot", "payload_clean_spot", "clean_spot"),
    "locate": ("locate", "payload_locate", "locate"),
})


class Vacuum(Entity):
    domain = "vacuum"
    STATE_KEYS = frozenset({"state", "fan_speed", "battery_level"})

    def configure(self, opts: Options) -> None:
        self.command_topic = opts.publish_topic("command_topic")
        self.state_topic = opts.subscribe_topic("state_topic")
        self.send_command_topic = opts.publish_topic("send_command_topic")
        self.fan_speed_topic = opts.publish_topic("set_fan_speed_topic")
        self.fan_speeds = opts.text_list("fan_speed_list")
        features = opts.text_list("supported_features", _DEFAULT_FEATURES)
        unknown = sorted(set(features) - _FEATURES)
        if unknown:
            raise opts.error("supported_features", f"unknown {', '.join(unknown)}; known: "
                             f"{', '.join(sorted(_FEATURES))}")
        self.features = frozenset(features)
        self.payloads = {tool: opts.text(key, default)
                         for tool, (_f, key, default) in _COMMANDS.items()}

    def attributes(self) -> dict[str, Any]:
        return {"fan_speed_list": list(self.fan_speeds) or None,
                "supported_features": sorted(self.features)}

    def _available_tools(self) -> list[str]:
        keep = [tool for tool, (feature, _k, _d) in _COMMANDS.items()
                if feature in self.features and self.command_topic is not None]
        if "fan_speed" in self.features and self.fan_speed_topic and self.fan_speeds:
            keep.append("set_fan_speed")
        if "send_command" in self.features and self.send_command_topic:
            keep.append("send_command")
        return keep

    def tools(self) -> tuple[Tool, ...]:
        return select_tools(self.domain, self._available_tools())

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.state_topic is not None:
            yield self.state_topic, self._on_state

    def _on_state(self, payload: Payload) -> None:
        data = payload.json_object()
        changes: dict[str, Any] = {k: data[k] for k in ("state", "fan_speed", "battery_level")
                                   if k in data}
        state = changes.get("state")
        if state is not None and state not in _STATES:
            raise PayloadError(f"{payload.topic}: state {str(state)[:40]!r} is not one of "
                               f"{', '.join(sorted(_STATES))}")
        self.update(changes)

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool not in self._available_tools():
            raise ToolError(f"{self.id}: tool {tool!r} is not supported by this vacuum")
        if tool == "set_fan_speed":
            speed = str(arguments["fan_speed"])
            if speed not in self.fan_speeds:
                raise ToolError(f"{self.id}/set_fan_speed: {speed!r} is not one of "
                                f"{', '.join(self.fan_speeds)}")
            assert self.fan_speed_topic is not None
            return await self.command(tool, [(self.fan_speed_topic, speed)], None)
        if tool == "send_command":
            assert self.send_command_topic is not None
            params = arguments.get("params")
            command = str(arguments["command"])
            payload = json.dumps({"command": command, **params}) if params else command
            return await self.command(tool, [(self.send_command_topic, payload)], None)
        assert self.command_topic is not None
        return await self.command(tool, [(self.command_topic, self.payloads[tool])], None)
