"""Humidifiers and water heaters, as Home Assistant's MQTT platforms.

- ``humidifier``: on/off (`payload_on`/`payload_off` on `command_topic`, state on
  `state_topic` through `state_value_template`); `set_humidity` on
  `target_humidity_command_topic` (required; `min_humidity` 0..`max_humidity` 100,
  through `target_humidity_command_template`); `set_mode` on `mode_command_topic` (one of
  `modes`, through `mode_command_template`); reports on `target_humidity_state_topic`,
  `mode_state_topic`, `current_humidity_topic`, `action_topic`.
- ``water_heater``: `set_temperature` on `temperature_command_topic` (`min_temp` 43.3 ..
  `max_temp` 60 °C by default), `set_operation_mode` on `mode_command_topic` (`modes`:
  off, eco, electric, gas, heat_pump, high_demand, performance), `turn_on`/`turn_off` on
  `power_command_topic`; reports on `temperature_state_topic`, `mode_state_topic`,
  `current_temperature_topic`.

Calls with a state topic return when the device reports the asked value.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from hub.errors import PayloadError, ToolError
from hub.model import Tool, ToolResult
from hub.templates import Template
from integrations.mqtt_discovery.entity import (
    UNKNOWN,
    Check,
    Entity,
    equals,
    near,
    on_off,
    select_tools,
)
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler


class _Topics(Entity):
    """State topics that each set one key, read as a number or a text."""

    def reader(self, key: str, template: Template | None, *, number: bool,
               choices: tuple[str, ...] = ()) -> Handler:
        def read(payload: Payload) -> None:
            text = self.value(payload, template)
            if text in UNKNOWN:
                self.update({key: None})
                return
            value: Any = text
            if number:
                try:
                    value = float(text)
                except ValueError:
                    raise PayloadError(f"{payload.topic}: {key}: expected a number, got "
                                       f"{text[:40]!r}") from None
            elif choices and text not in choices:
                raise PayloadError(f"{payload.topic}: {key}: expected one of "
                                   f"{', '.join(choices)}, got {text[:40]!r}")
            self.update({key: value})
        return read

    async def send_value(self, tool: str, topic: str | None, template: Template | None,
                         key: str, value: Any, check: Check, watched: bool) -> ToolResult:
        if topic is None:
            raise ToolError(f"{self.id}: tool {tool!r} is not supported (no command topic)")
        payload = self.command_payload(template, value)
        checks = {key: check} if watched else {}
        return await self.change(tool, [(topic, payload)], checks, {key: value})


class Humidifier(_Topics):
    domain = "humidifier"
    STATE_KEYS = frozenset({"state", "humidity", "mode", "current_humidity", "action"})

    def configure(self, opts: Options) -> None:
        self.command_topic = opts.publish_topic("command_topic", required=True) or ""
        self.command_template = opts.template("command_template")
        self.state_topic = opts.subscribe_topic("state_topic")
        self.state_template = opts.template("state_value_template")
        self.payload_on = opts.text("payload_on", "ON")
        self.payload_off = opts.text("payload_off", "OFF")
        self.humidity_topic = opts.publish_topic("target_humidity_command_topic",
                                                 required=True)
        self.humidity_template = opts.template("target_humidity_command_template")
        self.humidity_state = opts.subscribe_topic("target_humidity_state_topic")
        self.humidity_state_template = opts.template("target_humidity_state_template")
        self.mode_topic = opts.publish_topic("mode_command_topic")
        self.mode_template = opts.template("mode_command_template")
        self.mode_state = opts.subscribe_topic("mode_state_topic")
        self.mode_state_template = opts.template("mode_state_template")
        self.modes = opts.text_list("modes")
        if self.mode_topic is not None and not self.modes:
            raise opts.error("modes", "missing; mode_command_topic needs the list of modes")
        self.current_topic = opts.subscribe_topic("current_humidity_topic")
        self.current_template = opts.template("current_humidity_template")
        self.action_topic = opts.subscribe_topic("action_topic")
        self.action_template = opts.template("action_template")
        self.low = opts.number("min_humidity", 0, low=0, high=100)
        self.high = opts.number("max_humidity", 100, low=0, high=100)
        self.device_class = opts.optional_text("device_class") or "humidifier"
        self.optimistic = opts.flag("optimistic", self.state_topic is None)

    def attributes(self) -> dict[str, Any]:
        return {"device_class": self.device_class, "min_humidity": self.low,
                "max_humidity": self.high, "available_modes": list(self.modes) or None}

    def tools(self) -> tuple[Tool, ...]:
        keep = ["turn_on", "turn_off", "toggle", "set_humidity"]
        if self.mode_topic is not None:
            keep.append("set_mode")
        return select_tools(self.domain, keep)

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.state_topic is not None:
            yield self.state_topic, self._on_state
        for topic, key, template, number in (
            (self.humidity_state, "humidity", self.humidity_state_template, True),
            (self.mode_state, "mode", self.mode_state_template, False),
            (self.current_topic, "current_humidity", self.current_template, True),
            (self.action_topic, "action", self.action_template, False),
        ):
            if topic is not None:
                yield topic, self.reader(key, template, number=number)

    def _on_state(self, payload: Payload) -> None:
        text = self.value(payload, self.state_template)
        self.update({"state": on_off(payload, text, self.payload_on, self.payload_off)})

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool == "toggle":
            tool = "turn_off" if self.current().get("state") == "on" else "turn_on"
        if tool in ("turn_on", "turn_off"):
            target = "on" if tool == "turn_on" else "off"
            value = self.payload_on if target == "on" else self.payload_off
            payload = self.command_payload(self.command_template, value)
            checks = {} if self.optimistic else {"state": equals(target)}
            return await self.change(tool, [(self.command_topic, payload)], checks,
                                     {"state": target})
        if tool == "set_humidity":
            humidity = float(arguments["humidity"])
            if not self.low <= humidity <= self.high:
                raise ToolError(f"{self.id}/set_humidity: {humidity:g} is outside "
                                f"{self.low:g}..{self.high:g}")
            sent: float = int(humidity) if humidity.is_integer() else humidity
            return await self.send_value(tool, self.humidity_topic, self.humidity_template,
                                         "humidity", sent, near(humidity, 0.5),
                                         self.humidity_state is not None)
        if tool == "set_mode":
            mode = str(arguments["mode"])
            if mode not in self.modes:
                raise ToolError(f"{self.id}/set_mode: {mode!r} is not one of "
                                f"{', '.join(self.modes)}")
            return await self.send_value(tool, self.mode_topic, self.mode_template, "mode",
                                         mode, equals(mode), self.mode_state is not None)
        raise ToolError(f"{self.id}: tool {tool!r} is not supported")


_HEATER_MODES = ("off", "eco", "electric", "gas", "heat_pump", "high_demand", "performance")


class WaterHeater(_Topics):
    domain = "water_heater"
    STATE_KEYS = frozenset({"state", "temperature", "current_temperature"})

    def configure(self, opts: Options) -> None:
        self.mode_topic = opts.publish_topic("mode_command_topic")
        self.mode_template = opts.template("mode_command_template")
        self.mode_state = opts.subscribe_topic("mode_state_topic")
        self.mode_state_template = opts.template("mode_state_template")
        self.modes = opts.text_list("modes", _HEATER_MODES)
        self.temp_topic = opts.publish_topic("temperature_command_topic")
        self.temp_template = opts.template("temperature_command_template")
        self.temp_state = opts.subscribe_topic("temperature_state_topic")
        self.temp_state_template = opts.template("temperature_state_template")
        self.current_topic = opts.subscribe_topic("current_temperature_topic")
        self.current_template = opts.template("current_temperature_template")
        self.power_topic = opts.publish_topic("power_command_topic")
        self.power_template = opts.template("power_command_template")
        self.payload_on = opts.text("payload_on", "ON")
        self.payload_off = opts.text("payload_off", "OFF")
        unit = opts.text("temperature_unit", "C").upper()
        self.unit = "°F" if unit in ("F", "°F") else "°C"
        fahrenheit = self.unit == "°F"
        self.low = opts.number("min_temp", 110.0 if fahrenheit else 43.3)
        self.high = opts.number("max_temp", 140.0 if fahrenheit else 60.0)
        self.precision = opts.number("precision", 1.0 if fahrenheit else 0.1)
        self.optimistic = opts.flag("optimistic", False)

    def attributes(self) -> dict[str, Any]:
        return {"operation_list": list(self.modes), "min_temp": self.low,
                "max_temp": self.high, "temperature_unit": self.unit}

    def tools(self) -> tuple[Tool, ...]:
        keep = []
        if self.power_topic is not None:
            keep += ["turn_on", "turn_off"]
        if self.temp_topic is not None:
            keep.append("set_temperature")
        if self.mode_topic is not None:
            keep.append("set_operation_mode")
        return select_tools(self.domain, keep)

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.mode_state is not None:
            yield self.mode_state, self.reader("state", self.mode_state_template,
                                               number=False, choices=self.modes)
        if self.temp_state is not None:
            yield self.temp_state, self.reader("temperature", self.temp_state_template,
                                               number=True)
        if self.current_topic is not None:
            yield self.current_topic, self.reader("current_temperature",
                                                  self.current_template, number=True)

    def _mode(self, tool: str, mode: str) -> Callable[[], Awaitable[ToolResult]]:
        if mode not in self.modes:
            raise ToolError(f"{self.id}/{tool}: operation_mode {mode!r} is not one of "
                            f"{', '.join(self.modes)}")
        return lambda: self.send_value(tool, self.mode_topic, self.mode_template, "state",
                                       mode, equals(mode),
                                       self.mode_state is not None and not self.optimistic)

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool in ("turn_on", "turn_off") and self.power_topic is not None:
            value = self.payload_on if tool == "turn_on" else self.payload_off
            payload = self.command_payload(self.power_template, value)
            return await self.command(tool, [(self.power_topic, payload)], None)
        if tool == "set_temperature" and self.temp_topic is not None:
            mode = arguments.get("operation_mode")
            send_mode = self._mode(tool, str(mode)) if mode is not None else None
            temperature = float(arguments["temperature"])
            if not self.low <= temperature <= self.high:
                raise ToolError(f"{self.id}/set_temperature: {temperature:g} is outside "
                                f"{self.low:g}..{self.high:g} {self.unit}")
            temperature = round(temperature / self.precision) * self.precision
            temperature = round(temperature, 3)
            result = await self.send_value(
                tool, self.temp_topic, self.temp_template, "temperature", temperature,
                near(temperature, self.precision / 2),
                self.temp_state is not None and not self.optimistic)
            if send_mode is not None:
                result = await send_mode()
            return result
        if tool == "set_operation_mode" and self.mode_topic is not None:
            return await self._mode(tool, str(arguments["operation_mode"]))()
        raise ToolError(f"{self.id}: tool {tool!r} is not supported")
