"""Covers: blinds, shutters, garage doors; open/close/stop, position and tilt.

State follows Home Assistant: ``state`` open/opening/closed/closing, ``current_position``
and ``current_tilt_position`` 0 (closed) .. 100 (open), whatever range the device uses
(`position_closed`..`position_open`, `tilt_min`..`tilt_max`).

A cover takes seconds to move, so a tool call is confirmed by the device's first report
after the command (moving, or arrived), not by the end of the movement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hub.errors import PayloadError, ToolError
from hub.model import Tool, ToolResult
from integrations.mqtt_discovery.entity import Entity, Send, select_tools
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler
from integrations.mqtt_discovery.sensor import number


def _percent(value: float, closed: float, opened: float) -> int:
    if opened == closed:
        return 0
    return max(0, min(100, round((value - closed) * 100 / (opened - closed))))


def _device_value(percent: float, closed: float, opened: float) -> int | float:
    value = closed + (opened - closed) * percent / 100
    return round(value) if float(closed).is_integer() and float(opened).is_integer() else value


class Cover(Entity):
    domain = "cover"
    STATE_KEYS = frozenset({"state", "current_position", "current_tilt_position"})

    def configure(self, opts: Options) -> None:
        self.command_topic = opts.publish_topic("command_topic")
        self.state_topic = opts.subscribe_topic("state_topic")
        self.value_template = opts.template("value_template")
        self.command_template = opts.template("command_template")
        self.payloads = {
            tool: None if opts.is_null(key) else opts.text(key, default)
            for tool, key, default in (("open_cover", "payload_open", "OPEN"),
                                       ("close_cover", "payload_close", "CLOSE"),
                                       ("stop_cover", "payload_stop", "STOP"))
        }
        self.states = {
            opts.text("state_open", "open"): "open",
            opts.text("state_opening", "opening"): "opening",
            opts.text("state_closed", "closed"): "closed",
            opts.text("state_closing", "closing"): "closing",
            opts.text("state_stopped", "stopped"): "stopped",
        }
        self.position_topic = opts.subscribe_topic("position_topic")
        self.position_template = opts.template("position_template")
        self.position_open = opts.number("position_open", 100)
        self.position_closed = opts.number("position_closed", 0)
        self.set_position_topic = opts.publish_topic("set_position_topic")
        self.set_position_template = opts.template("set_position_template")
        self.tilt_command = opts.publish_topic("tilt_command_topic")
        self.tilt_command_template = opts.template("tilt_command_template")
        self.tilt_status = opts.subscribe_topic("tilt_status_topic")
        self.tilt_status_template = opts.template("tilt_status_template")
        self.tilt_min = opts.number("tilt_min", 0)
        self.tilt_max = opts.number("tilt_max", 100)
        self.tilt_opened = opts.number("tilt_opened_value", 100)
        self.tilt_closed = opts.number("tilt_closed_value", 0)
        self.device_class = opts.optional_text("device_class")
        reports = self.state_topic is not None or self.position_topic is not None
        self.optimistic = opts.flag("optimistic", not reports)
        self.tilt_optimistic = opts.flag("tilt_optimistic", self.tilt_status is None)
        if self.command_topic is None and self.set_position_topic is None and (
                self.tilt_command is None):
            raise opts.error("command_topic", "missing: a cover needs command_topic, "
                             "set_position_topic or tilt_command_topic")

    def attributes(self) -> dict[str, Any]:
        return {"device_class": self.device_class}

    def description(self) -> str:
        return (self.device_class or "cover").replace("_", " ")

    def tools(self) -> tuple[Tool, ...]:
        keep = []
        if self.command_topic is not None:
            keep += [tool for tool, payload in self.payloads.items() if payload is not None]
            if self.payloads["open_cover"] is not None and self.payloads["close_cover"]:
                keep.append("toggle")
        if self.set_position_topic is not None:
            keep.append("set_cover_position")
        if self.tilt_command is not None:
            keep += ["open_cover_tilt", "close_cover_tilt", "set_cover_tilt_position",
                     "toggle_cover_tilt"]
            if self.command_topic is not None and self.payloads["stop_cover"] is not None:
                keep.append("stop_cover_tilt")
        return select_tools(self.domain, keep)

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.state_topic is not None:
            yield self.state_topic, self._on_state
        if self.position_topic is not None:
            yield self.position_topic, self._on_position
        if self.tilt_status is not None:
            yield self.tilt_status, self._on_tilt

    def _on_state(self, payload: Payload) -> None:
        state = self.state_of(payload, self.value_template, self.states)
        if state is None:
            return
        if state == "stopped":
            # Home Assistant: with a position, stopped is open unless fully closed; without
            # one, a cover that was closing (or closed) stopped closed, any other is open
            current = self.current()
            if self.position_topic is not None and "current_position" in current:
                state = "closed" if current["current_position"] == 0 else "open"
            else:
                state = "closed" if current.get("state") in ("closing", "closed") else "open"
        self.update({"state": state})

    def _reading(self, payload: Payload, template: Any, what: str) -> float:
        text = self.value(payload, template)
        value = number(text)
        if value is None:
            raise PayloadError(f"{payload.topic}: {what}: expected a number, got {text[:40]!r}")
        return value

    def _on_position(self, payload: Payload) -> None:
        value = self._reading(payload, self.position_template, "position")
        percent = _percent(value, self.position_closed, self.position_open)
        changes: dict[str, Any] = {"current_position": percent}
        if self.state_topic is None:
            changes["state"] = "closed" if percent == 0 else "open"
        self.update(changes)

    def _on_tilt(self, payload: Payload) -> None:
        value = self._reading(payload, self.tilt_status_template, "tilt")
        self.update({"current_tilt_position": _percent(value, self.tilt_min, self.tilt_max)})

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool == "toggle":
            closed = self.current().get("state") in ("closed", "closing")
            tool = "open_cover" if closed else "close_cover"
        if tool == "toggle_cover_tilt":
            tilt = self.current().get("current_tilt_position", 0)
            tool = "open_cover_tilt" if not tilt else "close_cover_tilt"
        if tool in self.payloads and self.command_topic is not None:
            payload = self.payloads[tool]
            if payload is not None:
                optimistic = {"open_cover": {"state": "open", "current_position": 100},
                              "close_cover": {"state": "closed", "current_position": 0},
                              "stop_cover": {}}[tool]
                sends: list[Send] = [(self.command_topic,
                                      self.command_payload(self.command_template, payload))]
                return await self._move(tool, sends, optimistic)
        if tool == "set_cover_position" and self.set_position_topic is not None:
            percent = int(arguments["position"])
            value = _device_value(percent, self.position_closed, self.position_open)
            # Home Assistant: `value` is in the device's range, `position` the percentage
            sends = [(self.set_position_topic, self.command_payload(
                self.set_position_template, value, position=percent, **self._ranges()))]
            return await self._move(tool, sends, {
                "current_position": percent, "state": "closed" if percent == 0 else "open"})
        if self.tilt_command is not None and tool in (
                "open_cover_tilt", "close_cover_tilt", "set_cover_tilt_position"):
            if tool == "set_cover_tilt_position":
                value = _device_value(float(arguments["tilt_position"]), self.tilt_min,
                                      self.tilt_max)
            else:
                value = self.tilt_opened if tool == "open_cover_tilt" else self.tilt_closed
                value = round(value) if float(value).is_integer() else value
            percent = _percent(value, self.tilt_min, self.tilt_max)
            tilt_percent = (int(arguments["tilt_position"]) if tool == "set_cover_tilt_position"
                            else value)  # open/close tilt: HA passes the configured value
            sends = [(self.tilt_command, self.command_payload(
                self.tilt_command_template, value, tilt_position=tilt_percent,
                **self._ranges()))]
            if self.tilt_optimistic:
                return await self.command(tool, sends, None, {"current_tilt_position": percent})
            return await self.command(tool, sends, lambda s: True)
        if tool == "stop_cover_tilt" and self.command_topic is not None:
            stop = self.payloads["stop_cover"]
            if stop is not None:
                return await self._move(tool, [(self.command_topic, stop)], {})
        raise ToolError(f"{self.id}: tool {tool!r} is not supported by this cover")

    def _ranges(self) -> dict[str, int | float]:
        """The range variables Home Assistant gives position and tilt command templates
        (integers there, as the configuration wrote them)."""
        ranges = {"position_open": self.position_open, "position_closed": self.position_closed,
                  "tilt_min": self.tilt_min, "tilt_max": self.tilt_max}
        return {k: int(v) if float(v).is_integer() else v for k, v in ranges.items()}

    async def _move(self, tool: str, sends: list[Send],
                    optimistic: Mapping[str, Any]) -> ToolResult:
        if self.optimistic:
            return await self.command(tool, sends, None, optimistic)
        # any report after the command: the cover is moving, or already there
        return await self.command(tool, sends, lambda state: True)
