"""Lawn mowers, as Home Assistant's MQTT lawn_mower: `start_mowing`, `pause` and `dock`
each publish their own name (through `<tool>_command_template`) on their own
`<tool>_command_topic` (a tool exists only with its topic); `activity_state_topic`
(through `activity_value_template`) reports mowing, paused, docked, returning or error.
Without an activity topic (or with `optimistic: true`) the activity is recorded as sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hub.errors import ToolError
from hub.model import Tool, ToolResult
from hub.templates import Template
from integrations.mqtt_discovery.entity import Entity, select_tools
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler

_ACTIVITIES = ("mowing", "paused", "docked", "returning", "error")
_ENDS = {"start_mowing": "mowing", "pause": "paused", "dock": "docked"}


class LawnMower(Entity):
    domain = "lawn_mower"

    def configure(self, opts: Options) -> None:
        self.state_topic = opts.subscribe_topic("activity_state_topic")
        self.value_template = opts.template("activity_value_template")
        self.commands: dict[str, tuple[str, Template | None]] = {}
        for tool in _ENDS:
            topic = opts.publish_topic(f"{tool}_command_topic")
            if topic is not None:
                self.commands[tool] = (topic, opts.template(f"{tool}_command_template"))
        self.optimistic = opts.flag("optimistic", self.state_topic is None)

    def tools(self) -> tuple[Tool, ...]:
        return select_tools(self.domain, self.commands)

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.state_topic is not None:
            yield self.state_topic, self._on_state

    def _on_state(self, payload: Payload) -> None:
        self.choice_state(payload, self.value_template, _ACTIVITIES)

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        command = self.commands.get(tool)
        if command is None:
            raise ToolError(f"{self.id}: tool {tool!r} is not supported by this mower")
        topic, template = command
        payload = self.command_payload(template, tool)
        end = _ENDS[tool]
        if self.optimistic:
            return await self.command(tool, [(topic, payload)], None, {"state": end})
        return await self.command(tool, [(topic, payload)],
                                  lambda s: s.get("state") in (end, "returning"
                                                               if end == "docked" else end))
