"""Climate devices (thermostats, air conditioners): HVAC mode, target temperature (or a
low..high range), fan, preset and swing modes, target humidity, power.

State follows Home Assistant: ``state`` is the HVAC mode (``heat``, ``off``...), with
``temperature``, ``target_temp_low``, ``target_temp_high``, ``current_temperature``,
``current_humidity``, ``humidity``, ``hvac_action``, ``fan_mode``, ``preset_mode``,
``swing_mode``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from hub.errors import PayloadError, ToolError
from hub.model import Tool, ToolResult
from hub.templates import Template
from integrations.mqtt_discovery.channel import Channel, read_channel
from integrations.mqtt_discovery.entity import Check, Entity, Send, equals, near, select_tools
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler
from integrations.mqtt_discovery.sensor import number

_MODES = ("auto", "off", "cool", "heat", "dry", "fan_only")
_ON_MODES = ("heat_cool", "heat", "cool", "auto", "dry", "fan_only")
PRESET_NONE = "none"
"""Home Assistant's preset for "no preset": every climate with presets has it (configs may
not list it); the device reports it, and is sent it, to clear the preset."""


class Climate(Entity):
    domain = "climate"
    STATE_KEYS = frozenset({"state", "temperature", "target_temp_low", "target_temp_high",
                            "current_temperature", "current_humidity", "humidity",
                            "hvac_action", "fan_mode", "preset_mode", "swing_mode"})

    def configure(self, opts: Options) -> None:
        self.mode = read_channel(opts, "state", "mode", state_template="mode_state_template")
        self.temperature = read_channel(opts, "temperature", "temperature",
                                        state_template="temperature_state_template")
        self.low = read_channel(opts, "target_temp_low", "temperature_low",
                                state_template="temperature_low_state_template")
        self.high = read_channel(opts, "target_temp_high", "temperature_high",
                                 state_template="temperature_high_state_template")
        self.fan = read_channel(opts, "fan_mode", "fan_mode",
                                state_template="fan_mode_state_template")
        self.preset = read_channel(opts, "preset_mode", "preset_mode")
        self.swing = read_channel(opts, "swing_mode", "swing_mode",
                                  state_template="swing_mode_state_template")
        self.humidity = read_channel(opts, "humidity", "target_humidity",
                                     state_template="target_humidity_state_template")
        # Home Assistant: value_template renders every state topic without its own template
        default = opts.template("value_template")
        if default is not None:
            for name in ("mode", "temperature", "low", "high", "fan", "preset", "swing",
                         "humidity"):
                channel: Channel = getattr(self, name)
                if channel.state_template is None:
                    setattr(self, name, replace(channel, state_template=default))
        self.readings: list[tuple[str, str, Template | None]] = []
        for key, prefix in (("current_temperature", "current_temperature"),
                            ("current_humidity", "current_humidity"),
                            ("hvac_action", "action")):
            topic = opts.subscribe_topic(f"{prefix}_topic")
            if topic is not None:
                self.readings.append(
                    (key, topic, opts.template(f"{prefix}_template") or default))
        self.modes = opts.text_list("modes", _MODES)
        self.fan_modes = opts.text_list("fan_modes", ("auto", "low", "medium", "high"))
        self.preset_modes = tuple(m for m in opts.text_list("preset_modes") if m != PRESET_NONE)
        self.swing_modes = opts.text_list("swing_modes", ("on", "off"))
        self.power = opts.publish_topic("power_command_topic")
        self.power_template = opts.template("power_command_template")
        self.payload_on = opts.text("payload_on", "ON")
        self.payload_off = opts.text("payload_off", "OFF")
        self.unit = opts.optional_text("temperature_unit")
        self.min_temp = opts.number("min_temp", 7.0)
        self.max_temp = opts.number("max_temp", 35.0)
        self.step = opts.number("temp_step", 1.0, low=0.01)
        self.optimistic = opts.flag("optimistic", False)

    def attributes(self) -> dict[str, Any]:
        return {
            "hvac_modes": list(self.modes),
            "fan_modes": list(self.fan_modes) if self.fan.settable else None,
            "preset_modes": [PRESET_NONE, *self.preset_modes] if self.preset_modes else None,
            "swing_modes": list(self.swing_modes) if self.swing.settable else None,
            "min_temp": self.min_temp, "max_temp": self.max_temp, "target_temp_step": self.step,
            "temperature_unit": self.unit,
        }

    def tools(self) -> tuple[Tool, ...]:
        keep = [tool for tool, channel in (
            ("set_hvac_mode", self.mode), ("set_fan_mode", self.fan),
            ("set_preset_mode", self.preset), ("set_swing_mode", self.swing),
            ("set_humidity", self.humidity)) if channel.settable]
        if self.temperature.settable or self.low.settable or self.high.settable:
            keep.append("set_temperature")
        if self.power is not None or self.mode.settable:
            keep += ["turn_on", "turn_off", "toggle"]
        return select_tools(self.domain, keep)

    # -- state -------------------------------------------------------------------------------

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        for channel, parse in ((self.mode, self._choice(self.modes, "mode")),
                               (self.temperature, self._number),
                               (self.low, self._number), (self.high, self._number),
                               (self.fan, self._choice(self.fan_modes, "fan mode")),
                               (self.preset, self._preset_reading),
                               (self.swing, self._choice(self.swing_modes, "swing mode")),
                               (self.humidity, self._number)):
            if channel.state is not None:
                yield channel.state, self._reader(channel.key, channel.state_template, parse)
        for key, topic, template in self.readings:
            parse = self._text if key == "hvac_action" else self._number
            yield topic, self._reader(key, template, parse)

    def _reader(self, key: str, template: Template | None,
                parse: Callable[[Payload, str], Any]) -> Handler:
        def handle(payload: Payload) -> None:
            self.update({key: parse(payload, self.value(payload, template))})

        return handle

    @staticmethod
    def _number(payload: Payload, text: str) -> float | int | None:
        if text in ("None", ""):
            return None
        value = number(text)
        if value is None:
            raise PayloadError(f"{payload.topic}: expected a number, got {text[:40]!r}")
        return value

    @staticmethod
    def _text(payload: Payload, text: str) -> str | None:
        return None if text in ("None", "") else text

    def _preset_reading(self, payload: Payload, text: str) -> str | None:
        if text == PRESET_NONE:
            return None
        return self._choice(self.preset_modes, "preset mode")(payload, text)

    @staticmethod
    def _choice(choices: tuple[str, ...], what: str) -> Callable[[Payload, str], str | None]:
        def parse(payload: Payload, text: str) -> str | None:
            if text in ("None", ""):
                return None
            if choices and text not in choices:
                raise PayloadError(f"{payload.topic}: {what}: expected one of "
                                   f"{', '.join(choices)}, got {text[:40]!r}")
            return text

        return parse

    # -- tools -------------------------------------------------------------------------------

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        current = self.current()
        if tool == "toggle":
            tool = "turn_on" if current.get("state") in ("off", None) else "turn_off"
        sends: list[Send] = []
        checks: dict[str, Check] = {}
        optimistic: dict[str, Any] = {}

        def put(channel: Channel, value: Any, check: Check | None = None) -> None:
            if channel.command is None:
                raise ToolError(f"{self.id}/{tool}: this device cannot set {channel.key}")
            sends.append((channel.command,
                          self.command_payload(channel.command_template, value)))
            optimistic[channel.key] = value
            if channel.state is not None:
                checks[channel.key] = check or equals(value)

        if tool in ("turn_on", "turn_off") and self.power is not None:
            payload = self.payload_on if tool == "turn_on" else self.payload_off
            sends.append((self.power, self.command_payload(self.power_template, payload)))
        elif tool == "turn_off":
            put(self.mode, "off")
        elif tool == "turn_on":
            put(self.mode, next((m for m in _ON_MODES if m in self.modes), self.modes[0]))
        if tool in ("set_hvac_mode", "set_temperature") and "hvac_mode" in arguments:
            put(self.mode, self._pick(arguments["hvac_mode"], self.modes, "hvac_mode", tool))
        if tool == "set_temperature":
            slack = self.step / 2 + 1e-6
            for key, channel in (("temperature", self.temperature),
                                 ("target_temp_low", self.low), ("target_temp_high", self.high)):
                if key in arguments:
                    value = float(arguments[key])
                    if not self.min_temp <= value <= self.max_temp:
                        raise ToolError(f"{self.id}/{tool}: {key} {value:g} is outside "
                                        f"{self.min_temp:g}..{self.max_temp:g}")
                    put(channel, value, near(value, slack))
        for tool_name, key, channel, choices in (
                ("set_fan_mode", "fan_mode", self.fan, self.fan_modes),
                ("set_preset_mode", "preset_mode", self.preset,
                 (PRESET_NONE, *self.preset_modes) if self.preset_modes else ()),
                ("set_swing_mode", "swing_mode", self.swing, self.swing_modes)):
            if tool == tool_name:
                picked = self._pick(arguments[key], choices, key, tool)
                put(channel, picked)
                if picked == PRESET_NONE and key == "preset_mode":  # reported back as no preset
                    optimistic[key] = None
                    if key in checks:
                        checks[key] = equals(None)
        if tool == "set_humidity":
            put(self.humidity, int(arguments["humidity"]), near(float(arguments["humidity"]), 0.5))
        if not sends:
            raise ToolError(f"{self.id}: tool {tool!r} is not supported by this device")
        return await self.change(tool, sends, checks, optimistic)

    def _pick(self, value: Any, choices: tuple[str, ...], key: str, tool: str) -> str:
        text = str(value)
        if choices and text not in choices:
            raise ToolError(f"{self.id}/{tool}: unknown {key} {text!r}; this device has "
                            f"{', '.join(choices)}")
        return text
