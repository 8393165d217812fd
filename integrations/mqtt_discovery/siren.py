"""Sirens: on/off with a tone, a volume and a duration, as Home Assistant's MQTT siren.

Without `command_template` a call publishes JSON: ``{"state": "ON", "tone": "ping",
"volume_level": 0.5, "duration": 10}`` (only what the call gave, and only what the siren
supports: `available_tones`, `support_volume_set`, `support_duration`); with one, the template
gets ``value`` (the on/off payload) and the call's fields. `command_off_template` (or else
`command_template`) makes the off payload. The state topic carries the on/off payload, or
JSON with ``state`` and the same fields (`state_value_template` picks the state).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from hub.errors import ToolError
from hub.model import Tool, ToolResult
from integrations.mqtt_discovery.entity import Entity, on_off, select_tools
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler

_FIELDS = ("tone", "volume_level", "duration")


class Siren(Entity):
    domain = "siren"
    STATE_KEYS = frozenset({"state", *_FIELDS})

    def configure(self, opts: Options) -> None:
        self.command_topic = opts.publish_topic("command_topic", required=True) or ""
        self.state_topic = opts.subscribe_topic("state_topic")
        self.payload_on = opts.text("payload_on", "ON")
        self.payload_off = opts.text("payload_off", "OFF")
        self.state_on = opts.text("state_on", self.payload_on)
        self.state_off = opts.text("state_off", self.payload_off)
        self.tones = opts.text_list("available_tones")
        self.support_duration = opts.flag("support_duration", True)
        self.support_volume = opts.flag("support_volume_set", True)
        self.command_template = opts.template("command_template")
        self.off_template = opts.template("command_off_template") or self.command_template
        self.state_template = opts.template("state_value_template")
        self.optimistic = opts.flag("optimistic", self.state_topic is None)

    def _supported(self) -> tuple[str, ...]:
        return tuple(f for f, ok in zip(_FIELDS, (bool(self.tones), self.support_volume,
                                                  self.support_duration), strict=True) if ok)

    def attributes(self) -> dict[str, Any]:
        return {"available_tones": list(self.tones) or None}

    def tools(self) -> tuple[Tool, ...]:
        dropped = tuple(f for f in _FIELDS if f not in self._supported())
        return select_tools(self.domain, drop_params={"turn_on": dropped})

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.state_topic is not None:
            yield self.state_topic, self._on_state

    def _on_state(self, payload: Payload) -> None:
        data = payload.json if payload.text.lstrip().startswith("{") else None
        changes: dict[str, Any] = {}
        if isinstance(data, dict):
            changes.update({k: data[k] for k in _FIELDS if k in data})
            text = (self.value(payload, self.state_template) if self.state_template
                    else str(data.get("state", "")))
        else:
            text = self.value(payload, self.state_template)
        changes["state"] = on_off(payload, text, self.state_on, self.state_off)
        self.update(changes)

    def _payload(self, value: str, template: Any, fields: Mapping[str, Any]) -> str:
        variables = {"state": value, **fields}
        if template is not None:
            return self.command_payload(template, value, **variables)
        return json.dumps(variables)

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool == "toggle":
            tool = "turn_off" if self.current().get("state") == "on" else "turn_on"
        if tool == "turn_on":
            fields = {k: arguments[k] for k in self._supported() if k in arguments}
            tone = fields.get("tone")
            if tone is not None and tone not in self.tones:
                raise ToolError(f"{self.id}/turn_on: tone {tone!r} is not one of "
                                f"{', '.join(self.tones)}")
            payload = self._payload(self.payload_on, self.command_template, fields)
            target = "on"
        elif tool == "turn_off":
            fields = {}
            payload = self._payload(self.payload_off, self.off_template, fields)
            target = "off"
        else:
            raise ToolError(f"{self.id}: tool {tool!r} is not supported")
        expect = None if self.optimistic else (lambda s: s.get("state") == target)
        return await self.command(tool, [(self.command_topic, payload)], expect,
                                  {"state": target, **fields})
