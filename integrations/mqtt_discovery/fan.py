"""Fans: on/off, speed in percent (mapped to the device's `speed_range_min`..`max`),
oscillation, preset modes and direction.

State follows Home Assistant: ``state`` on/off, ``percentage`` 0..100, ``oscillating``,
``preset_mode``, ``direction``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from hub.errors import PayloadError, ToolError
from hub.model import Tool, ToolResult
from integrations.mqtt_discovery.channel import Channel, read_channel
from integrations.mqtt_discovery.entity import Check, Entity, Send, equals, on_off, select_tools
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler
from integrations.mqtt_discovery.sensor import number


class Fan(Entity):
    domain = "fan"
    STATE_KEYS = frozenset({"state", "percentage", "oscillating", "preset_mode", "direction"})

    def configure(self, opts: Options) -> None:
        self.command_topic = opts.publish_topic("command_topic", required=True) or ""
        self.command_template = opts.template("command_template")
        self.state_topic = opts.subscribe_topic("state_topic")
        self.state_template = opts.template("state_value_template")
        self.payload_on = opts.text("payload_on", "ON")
        self.payload_off = opts.text("payload_off", "OFF")
        self.percentage = read_channel(opts, "percentage", "percentage")
        self.speed_min = opts.integer("speed_range_min", 1, low=1)
        self.speed_max = opts.integer("speed_range_max", 100, low=self.speed_min)
        self.reset_percentage = opts.text("payload_reset_percentage", "None")
        self.preset = read_channel(opts, "preset_mode", "preset_mode")
        self.presets = opts.text_list("preset_modes")
        self.reset_preset = opts.text("payload_reset_preset_mode", "None")
        self.oscillation = read_channel(opts, "oscillating", "oscillation")
        self.osc_on = opts.text("payload_oscillation_on", "oscillate_on")
        self.osc_off = opts.text("payload_oscillation_off", "oscillate_off")
        self.direction = read_channel(opts, "direction", "direction")
        self.optimistic = opts.flag("optimistic", self.state_topic is None)

    def attributes(self) -> dict[str, Any]:
        return {"preset_modes": list(self.presets) or None,
                "speed_count": self.speed_max - self.speed_min + 1}

    def tools(self) -> tuple[Tool, ...]:
        keep = ["turn_on", "turn_off", "toggle"]
        if self.percentage.settable:
            keep += ["set_percentage", "increase_speed", "decrease_speed"]
        if self.oscillation.settable:
            keep.append("oscillate")
        if self.preset.settable:
            keep.append("set_preset_mode")
        if self.direction.settable:
            keep.append("set_direction")
        drop = ["duration"]
        if not self.percentage.settable:
            drop.append("percentage")
        if not self.preset.settable:
            drop.append("preset_mode")
        return select_tools(self.domain, keep, {"turn_on": drop})

    # -- state -------------------------------------------------------------------------------

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.state_topic is not None:
            yield self.state_topic, self._on_state
        for channel, parse in ((self.percentage, self._percentage),
                               (self.preset, self._preset),
                               (self.oscillation, self._oscillating),
                               (self.direction, self._direction)):
            if channel.state is not None:
                yield channel.state, self._channel_handler(channel, parse)

    def _channel_handler(self, channel: Channel,
                         parse: Callable[[Payload, str], Any]) -> Handler:
        def handle(payload: Payload) -> None:
            text = self.value(payload, channel.state_template)
            self.update({channel.key: parse(payload, text)})

        return handle

    def _on_state(self, payload: Payload) -> None:
        text = self.value(payload, self.state_template)
        self.update({"state": on_off(payload, text, self.payload_on, self.payload_off)})

    def _percentage(self, payload: Payload, text: str) -> int | None:
        if text == self.reset_percentage:
            return None
        speed = number(text)
        if speed is None or not 0 <= speed <= self.speed_max:
            raise PayloadError(f"{payload.topic}: percentage: expected a speed in "
                               f"0..{self.speed_max}, got {text[:40]!r}")
        return self._percent(speed)

    def _percent(self, speed: float) -> int:
        if speed == 0:
            return 0
        span = self.speed_max - self.speed_min + 1
        return max(0, min(100, round((speed - self.speed_min + 1) * 100 / span)))

    def _preset(self, payload: Payload, text: str) -> str | None:
        if text == self.reset_preset:
            return None
        if self.presets and text not in self.presets:
            raise PayloadError(f"{payload.topic}: preset_mode: expected one of "
                               f"{', '.join(self.presets)}, got {text[:40]!r}")
        return text

    def _oscillating(self, payload: Payload, text: str) -> bool:
        if text == self.osc_on:
            return True
        if text == self.osc_off:
            return False
        raise PayloadError(f"{payload.topic}: oscillation: expected {self.osc_on!r} or "
                           f"{self.osc_off!r}, got {text[:40]!r}")

    def _direction(self, payload: Payload, text: str) -> str:
        if text not in ("forward", "reverse"):
            raise PayloadError(f"{payload.topic}: direction: expected forward or reverse, "
                               f"got {text[:40]!r}")
        return text

    # -- tools -------------------------------------------------------------------------------

    def _speed(self, percent: int) -> int:
        span = self.speed_max - self.speed_min + 1
        return math.ceil(self.speed_min - 1 + percent * span / 100)

    def _send(self, channel: Channel, value: Any, sends: list[Send],
              checks: dict[str, Check], optimistic: dict[str, Any], shown: Any) -> None:
        assert channel.command is not None
        sends.append((channel.command, self.command_payload(channel.command_template, value)))
        optimistic[channel.key] = shown
        if channel.state is not None:
            checks[channel.key] = equals(shown)

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        current = self.current()
        if tool == "toggle":
            tool = "turn_off" if current.get("state") == "on" else "turn_on"
        if tool in ("increase_speed", "decrease_speed"):
            step = int(arguments.get("percentage_step") or round(100 / (
                self.speed_max - self.speed_min + 1)))
            now = current.get("percentage") or 0
            tool, arguments = "set_percentage", {"percentage": max(0, min(100, now + (
                step if tool == "increase_speed" else -step)))}
        if tool == "set_percentage" and arguments["percentage"] == 0:
            tool = "turn_off"
        sends: list[Send] = []
        checks: dict[str, Check] = {}
        optimistic: dict[str, Any] = {}
        if tool in ("turn_on", "turn_off"):
            on = tool == "turn_on"
            sends.append((self.command_topic, self.command_payload(
                self.command_template, self.payload_on if on else self.payload_off)))
            optimistic["state"] = "on" if on else "off"
            if self.state_topic is not None:
                checks["state"] = equals(optimistic["state"])
        if tool in ("turn_on", "set_percentage") and "percentage" in arguments:
            self._require(self.percentage, tool)
            speed = self._speed(int(arguments["percentage"]))
            # what the device will report back for that speed (a 3-speed fan: 33, 67, 100)
            self._send(self.percentage, speed, sends, checks, optimistic, self._percent(speed))
            if tool == "set_percentage":
                optimistic["state"] = "on"
        if tool in ("turn_on", "set_preset_mode") and "preset_mode" in arguments:
            self._require(self.preset, tool)
            mode = str(arguments["preset_mode"])
            if self.presets and mode not in self.presets:
                raise ToolError(f"{self.id}/{tool}: unknown preset_mode {mode!r}; this fan has "
                                f"{', '.join(self.presets)}")
            self._send(self.preset, mode, sends, checks, optimistic, mode)
        if tool == "oscillate":
            self._require(self.oscillation, tool)
            wanted = bool(arguments["oscillating"])
            self._send(self.oscillation, self.osc_on if wanted else self.osc_off, sends,
                       checks, optimistic, wanted)
        if tool == "set_direction":
            self._require(self.direction, tool)
            direction = str(arguments["direction"])
            self._send(self.direction, direction, sends, checks, optimistic, direction)
        if not sends:
            raise ToolError(f"{self.id}: tool {tool!r} is not supported by this fan")
        return await self.change(tool, sends, checks, optimistic)

    def _require(self, channel: Channel, tool: str) -> None:
        if not channel.settable:
            raise ToolError(f"{self.id}/{tool}: this fan cannot set {channel.key}")
