"""Switches (on/off by payload), buttons (press), scenes (turn_on) and notify entities
(send_message)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hub.errors import ToolError
from hub.model import Tool, ToolResult
from integrations.mqtt_discovery.entity import Entity, on_off, select_tools
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler


class Switch(Entity):
    domain = "switch"

    def configure(self, opts: Options) -> None:
        self.command_topic = opts.publish_topic("command_topic", required=True) or ""
        self.state_topic = opts.subscribe_topic("state_topic")
        self.payload_on = opts.text("payload_on", "ON")
        self.payload_off = opts.text("payload_off", "OFF")
        self.state_on = opts.text("state_on", self.payload_on)
        self.state_off = opts.text("state_off", self.payload_off)
        self.value_template = opts.template("value_template")
        self.command_template = opts.template("command_template")
        self.optimistic = opts.flag("optimistic", self.state_topic is None)
        self.device_class = opts.optional_text("device_class")

    def attributes(self) -> dict[str, Any]:
        return {"device_class": self.device_class}

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.state_topic is not None:
            yield self.state_topic, self._on_state

    def _on_state(self, payload: Payload) -> None:
        text = self.value(payload, self.value_template)
        self.update({"state": on_off(payload, text, self.state_on, self.state_off)})

    def tools(self) -> tuple[Tool, ...]:
        return select_tools(self.domain, drop_params={"turn_on": ("duration",)})

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool == "toggle":
            tool = "turn_off" if self.current().get("state") == "on" else "turn_on"
        if tool not in ("turn_on", "turn_off"):
            raise ToolError(f"{self.id}: tool {tool!r} is not supported")
        target = "on" if tool == "turn_on" else "off"
        payload = self.command_payload(
            self.command_template, self.payload_on if target == "on" else self.payload_off
        )
        expect = None if self.optimistic else (lambda s: s.get("state") == target)
        return await self.command(tool, [(self.command_topic, payload)], expect,
                                  {"state": target})


class Button(Entity):
    domain = "button"

    def configure(self, opts: Options) -> None:
        self.command_topic = opts.publish_topic("command_topic", required=True) or ""
        self.payload_press = opts.text("payload_press", "PRESS")
        self.command_template = opts.template("command_template")
        self.device_class = opts.optional_text("device_class")

    def attributes(self) -> dict[str, Any]:
        return {"device_class": self.device_class}

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool != "press":
            raise ToolError(f"{self.id}: tool {tool!r} is not supported")
        payload = self.command_payload(self.command_template, self.payload_press)
        # a button has no state to confirm; like Home Assistant, its state is the last press
        pressed = self.ctx.hub.clock.now().isoformat(timespec="seconds")
        return await self.command(tool, [(self.command_topic, payload)], None,
                                  {"state": pressed})


class Scene(Entity):
    """Home Assistant's MQTT `scene`: `turn_on` publishes `payload_on` ("ON")."""

    domain = "scene"

    def configure(self, opts: Options) -> None:
        self.command_topic = opts.publish_topic("command_topic") or ""
        self.payload_on = opts.text("payload_on", "ON")

    def tools(self) -> tuple[Tool, ...]:
        return select_tools(self.domain, drop_params={"turn_on": ("transition",)})

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool != "turn_on" or not self.command_topic:
            raise ToolError(f"{self.id}: tool {tool!r} is not supported")
        activated = self.ctx.hub.clock.now().isoformat(timespec="seconds")
        return await self.command(tool, [(self.command_topic, self.payload_on)], None,
                                  {"state": activated})


class Notify(Entity):
    """Home Assistant's MQTT `notify`: `send_message` publishes the message (through
    `command_template`, which also sees ``title``)."""

    domain = "notify"

    def configure(self, opts: Options) -> None:
        self.command_topic = opts.publish_topic("command_topic", required=True) or ""
        self.command_template = opts.template("command_template")

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool != "send_message":
            raise ToolError(f"{self.id}: tool {tool!r} is not supported")
        message = str(arguments["message"])
        payload = self.command_payload(self.command_template, message,
                                       title=arguments.get("title"))
        sent = self.ctx.hub.clock.now().isoformat(timespec="seconds")
        return await self.command(tool, [(self.command_topic, payload)], None,
                                  {"state": sent})
