"""Lights in Home Assistant's two common MQTT schemas.

``default``: one topic per feature (`command_topic` with `payload_on`/`payload_off`,
`brightness_command_topic` scaled by `brightness_scale`, `color_temp_command_topic`,
`rgb_command_topic` as ``r,g,b``, `effect_command_topic`) and the matching state topics;
`on_command_type` orders the on payload ``last`` (default), ``first`` or leaves it out when
a brightness is sent (``brightness``).

``json``: one JSON command ``{"state": "ON", "brightness": 128, "color_temp": 370,
"color": {"r": 255, "g": 0, "b": 0}, "transition": 2}`` on `command_topic`, one JSON state
on `state_topic`.

State follows Home Assistant: ``state`` on/off, ``brightness`` 0..255, ``color_temp_kelvin``,
``rgb_color``, ``hs_color``, ``xy_color``, ``color_mode``, ``effect``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from hub import colours
from hub.colours import (
    DEFAULT_MAX_KELVIN,
    DEFAULT_MIN_KELVIN,
    rgb_to_rgbw,
    rgb_to_rgbww,
    rgbw_to_rgb,
    rgbww_to_rgb,
)
from hub.devices import Predicate
from hub.errors import PayloadError, ToolError
from hub.model import Tool, ToolResult
from hub.templates import Template
from integrations.mqtt_discovery.colors import Target, mired_kelvin, rgb_to_hs, rgb_to_xy, target
from integrations.mqtt_discovery.entity import Entity, Send, on_off, select_tools
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler
from integrations.mqtt_discovery.sensor import number

_RGB_MODES = ("rgb", "rgbw", "rgbww", "hs", "xy")


class Light(Entity):
    """What both schemas share: tools, toggling, confirmation."""

    domain = "light"
    STATE_KEYS = frozenset({"state", "brightness", "color_temp_kelvin", "rgb_color", "hs_color",
                            "xy_color", "rgbw_color", "rgbww_color", "color_mode",
                            "effect"})
    state_topic: str | None
    optimistic: bool
    brightness_scale: int

    def tools(self) -> tuple[Tool, ...]:
        tools = select_tools(self.domain, drop_params={"turn_on": ("duration",)})
        return tools if not self.has_white else tuple(
            _with_white(tool) if tool.name == "turn_on" else tool for tool in tools)

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool == "toggle":
            tool = "turn_off" if self.current().get("state") == "on" else "turn_on"
        what = f"{self.id}/{tool}"
        if tool == "turn_off":
            return await self._send(tool, self.off(arguments), "off", None)
        if tool != "turn_on":
            raise ToolError(f"{self.id}: tool {tool!r} is not supported")
        wanted = target(arguments, self.current(), what)
        if wanted.brightness == 0:  # Home Assistant: brightness 0 turns the light off
            return await self._send("turn_off", self.off({}), "off", None)
        return await self._send(tool, self.on(wanted), "on", wanted)

    async def _send(self, tool: str, sends: list[Send], state: str,
                    wanted: Target | None) -> ToolResult:
        optimistic: dict[str, Any] = {"state": state}
        check_brightness = None
        if wanted is not None and wanted.brightness is not None and self.dimmable:
            optimistic["brightness"] = wanted.brightness
            if self.reports_brightness:
                check_brightness = wanted.brightness
        if wanted is not None and wanted.white is not None and self.has_white:
            optimistic.update(brightness=wanted.white, color_mode="white")
        elif wanted is not None and wanted.kelvin is not None:
            optimistic.update(color_temp_kelvin=wanted.kelvin, color_mode="color_temp")
        elif wanted is not None and wanted.rgb is not None:
            optimistic.update(rgb_color=list(wanted.rgb), color_mode="rgb")
        expect: Predicate | None = None
        if not self.optimistic:
            # the device's own rounding: a brightness on a 0..100 scale comes back +-3
            slack = max(1.0, 255 / self.brightness_scale)

            def expect(s: Mapping[str, Any]) -> bool:
                if s.get("state") != state:
                    return False
                if check_brightness is None:
                    return True
                reported = s.get("brightness")
                return isinstance(reported, (int, float)) and abs(
                    reported - check_brightness) <= slack

        return await self.command(tool, sends, expect, optimistic)

    # -- what each schema defines ------------------------------------------------------------

    @property
    def dimmable(self) -> bool:
        return False

    @property
    def has_white(self) -> bool:
        """A white channel of its own (`white_command_topic`): `turn_on` takes `white`."""
        return False

    @property
    def reports_brightness(self) -> bool:
        return False

    def on(self, wanted: Target) -> list[Send]:
        raise NotImplementedError

    def off(self, arguments: Mapping[str, Any]) -> list[Send]:
        raise NotImplementedError

    def _scaled_in(self, value: float) -> int:
        return max(0, min(255, round(value * 255 / self.brightness_scale)))

    def _scaled_out(self, brightness: int) -> int:
        return max(1, round(brightness * self.brightness_scale / 255))


class DefaultLight(Light):
    """The ``default`` (formerly ``basic``) schema."""

    def configure(self, opts: Options) -> None:
        opts.raw("schema")
        self.command_topic = opts.publish_topic("command_topic", required=True) or ""
        self.state_topic = opts.subscribe_topic("state_topic")
        self.state_template = opts.template("state_value_template")
        self.payload_on = opts.text("payload_on", "ON")
        self.payload_off = opts.text("payload_off", "OFF")
        self.optimistic = opts.flag("optimistic", self.state_topic is None)
        self.on_command_type = opts.choice("on_command_type", "last",
                                           ("last", "first", "brightness"))
        self.brightness_scale = opts.integer("brightness_scale", 255, low=1)
        self.bri_cmd = opts.publish_topic("brightness_command_topic")
        self.bri_cmd_tpl = opts.template("brightness_command_template")
        self.bri_stat = opts.subscribe_topic("brightness_state_topic")
        self.bri_tpl = opts.template("brightness_value_template")
        self.ct_cmd = opts.publish_topic("color_temp_command_topic")
        self.ct_cmd_tpl = opts.template("color_temp_command_template")
        self.ct_stat = opts.subscribe_topic("color_temp_state_topic")
        self.ct_tpl = opts.template("color_temp_value_template")
        self.kelvin = opts.flag("color_temp_kelvin", False)
        self.rgb_cmd = opts.publish_topic("rgb_command_topic")
        self.rgb_cmd_tpl = opts.template("rgb_command_template")
        self.rgb_stat = opts.subscribe_topic("rgb_state_topic")
        self.rgb_tpl = opts.template("rgb_value_template")
        self.rgbw_cmd = opts.publish_topic("rgbw_command_topic")
        self.rgbw_cmd_tpl = opts.template("rgbw_command_template")
        self.rgbw_stat = opts.subscribe_topic("rgbw_state_topic")
        self.rgbw_tpl = opts.template("rgbw_value_template")
        self.rgbww_cmd = opts.publish_topic("rgbww_command_topic")
        self.rgbww_cmd_tpl = opts.template("rgbww_command_template")
        self.rgbww_stat = opts.subscribe_topic("rgbww_state_topic")
        self.rgbww_tpl = opts.template("rgbww_value_template")
        self.white_cmd = opts.publish_topic("white_command_topic")
        self.white_scale = opts.integer("white_scale", 255, low=1)
        self.min_kelvin = opts.integer("min_kelvin", DEFAULT_MIN_KELVIN, low=1)
        self.max_kelvin = opts.integer("max_kelvin", DEFAULT_MAX_KELVIN, low=1)
        self.hs_cmd = opts.publish_topic("hs_command_topic")
        self.hs_cmd_tpl = opts.template("hs_command_template")
        self.hs_stat = opts.subscribe_topic("hs_state_topic")
        self.hs_tpl = opts.template("hs_value_template")
        self.xy_cmd = opts.publish_topic("xy_command_topic")
        self.xy_cmd_tpl = opts.template("xy_command_template")
        self.xy_stat = opts.subscribe_topic("xy_state_topic")
        self.xy_tpl = opts.template("xy_value_template")
        self.fx_cmd = opts.publish_topic("effect_command_topic")
        self.fx_cmd_tpl = opts.template("effect_command_template")
        self.fx_stat = opts.subscribe_topic("effect_state_topic")
        self.fx_tpl = opts.template("effect_value_template")
        self.effects = opts.text_list("effect_list")

    def attributes(self) -> dict[str, Any]:
        modes = [m for m, topic in (("color_temp", self.ct_cmd), ("rgb", self.rgb_cmd),
                                    ("rgbw", self.rgbw_cmd), ("rgbww", self.rgbww_cmd),
                                    ("hs", self.hs_cmd), ("xy", self.xy_cmd),
                                    ("white", self.white_cmd)) if topic]
        if not modes:
            modes = ["brightness" if self.bri_cmd else "onoff"]
        return {"schema": "default", "supported_color_modes": modes,
                "effect_list": list(self.effects) or None}

    @property
    def dimmable(self) -> bool:
        return self.bri_cmd is not None

    @property
    def has_white(self) -> bool:
        return self.white_cmd is not None

    @property
    def reports_brightness(self) -> bool:
        return self.bri_stat is not None

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        for topic, handler in ((self.state_topic, self._on_state),
                               (self.bri_stat, self._on_brightness),
                               (self.ct_stat, self._on_color_temp),
                               (self.rgb_stat, self._on_rgb),
                               (self.rgbw_stat, self._on_rgbw),
                               (self.rgbww_stat, self._on_rgbww),
                               (self.hs_stat, self._on_hs),
                               (self.xy_stat, self._on_xy),
                               (self.fx_stat, self._on_effect)):
            if topic is not None:
                yield topic, handler

    def _on_state(self, payload: Payload) -> None:
        text = self.value(payload, self.state_template)
        self.update({"state": on_off(payload, text, self.payload_on, self.payload_off)})

    def _number(self, payload: Payload, text: str, what: str) -> float:
        value = number(text)
        if value is None:
            raise PayloadError(f"{payload.topic}: {what}: expected a number, got {text[:40]!r}")
        return value

    def _on_brightness(self, payload: Payload) -> None:
        text = self.value(payload, self.bri_tpl)
        self.update({"brightness": self._scaled_in(self._number(payload, text, "brightness"))})

    def _on_color_temp(self, payload: Payload) -> None:
        value = self._number(payload, self.value(payload, self.ct_tpl), "color temperature")
        kelvin = round(value) if self.kelvin else mired_kelvin(value)
        self.update({"color_temp_kelvin": kelvin, "color_mode": "color_temp"})

    def _on_rgb(self, payload: Payload) -> None:
        text = self.value(payload, self.rgb_tpl)
        parts = [number(p.strip()) for p in text.split(",")]
        if len(parts) != 3 or any(p is None or not 0 <= p <= 255 for p in parts):
            raise PayloadError(f"{payload.topic}: rgb: expected r,g,b each 0..255, got "
                               f"{text[:40]!r}")
        rgb = [round(p) for p in parts if p is not None]
        self.update({"rgb_color": rgb, "hs_color": list(rgb_to_hs((rgb[0], rgb[1], rgb[2]))),
                     "color_mode": "rgb"})

    def _numbers(self, payload: Payload, template: Any, what: str, count: int,
                 high: float) -> list[float]:
        text = self.value(payload, template)
        parts = [number(p.strip()) for p in text.split(",")]
        if len(parts) != count or any(p is None or not 0 <= p <= high for p in parts):
            raise PayloadError(f"{payload.topic}: {what}: expected {count} numbers "
                               f"separated by commas, each 0..{high:g}, got {text[:40]!r}")
        return [p for p in parts if p is not None]

    def _on_rgbw(self, payload: Payload) -> None:
        r, g, b, w = (round(p) for p in self._numbers(payload, self.rgbw_tpl, "rgbw", 4, 255))
        self.update({"rgbw_color": [r, g, b, w], "rgb_color": list(rgbw_to_rgb(r, g, b, w)),
                     "color_mode": "rgbw"})

    def _on_rgbww(self, payload: Payload) -> None:
        r, g, b, cw, ww = (round(p) for p in self._numbers(payload, self.rgbww_tpl, "rgbww",
                                                           5, 255))
        rgb = rgbww_to_rgb(r, g, b, cw, ww, self.min_kelvin, self.max_kelvin)
        self.update({"rgbww_color": [r, g, b, cw, ww], "rgb_color": list(rgb),
                     "color_mode": "rgbww"})

    def _on_hs(self, payload: Payload) -> None:
        hue, sat = self._numbers(payload, self.hs_tpl, "hs", 2, 360)
        self.update({"hs_color": [hue, min(100.0, sat)], "color_mode": "hs"})

    def _on_xy(self, payload: Payload) -> None:
        x, y = self._numbers(payload, self.xy_tpl, "xy", 2, 1)
        self.update({"xy_color": [x, y], "color_mode": "xy"})

    def _on_effect(self, payload: Payload) -> None:
        self.update({"effect": self.value(payload, self.fx_tpl)})

    def on(self, wanted: Target) -> list[Send]:
        extra: list[Send] = []
        sent_brightness = False
        if wanted.white is not None and self.white_cmd is not None:
            # Home Assistant: the white level on white_scale, instead of a brightness
            level = min(round(wanted.white / 255 * self.white_scale), self.white_scale)
            extra.append((self.white_cmd, self.command_payload(None, level)))
            sent_brightness = True
        elif wanted.brightness is not None and self.bri_cmd is not None:
            value = self._scaled_out(wanted.brightness)
            extra.append((self.bri_cmd, self.command_payload(self.bri_cmd_tpl, value)))
            sent_brightness = True
        if wanted.kelvin is not None and self.ct_cmd is not None:
            value = wanted.kelvin if self.kelvin else mired_kelvin(wanted.kelvin)
            extra.append((self.ct_cmd, self.command_payload(self.ct_cmd_tpl, value)))
        if wanted.rgb is not None and wanted.white is None:
            extra.extend(self._colour(wanted))
        if wanted.effect is not None and self.fx_cmd is not None:
            extra.append((self.fx_cmd, self.command_payload(self.fx_cmd_tpl, wanted.effect)))
        on: Send = (self.command_topic, self.payload_on)
        if self.on_command_type == "first":
            return [on, *extra]
        if self.on_command_type == "brightness" and self.bri_cmd is not None:
            if not sent_brightness:  # the brightness topic is the on switch: full, or last
                last = self.current().get("brightness")
                level = last if isinstance(last, int) and last > 0 else 255
                extra.insert(0, (self.bri_cmd, self.command_payload(
                    self.bri_cmd_tpl, self._scaled_out(level))))
            return extra
        return [*extra, on]

    def _colour(self, wanted: Target) -> list[Send]:
        """The colour on the first topic the light has, in Home Assistant's order (rgb,
        rgbw, rgbww, hs, xy), converted as Home Assistant converts it (`hub.colours`)."""
        assert wanted.rgb is not None
        r, g, b = wanted.rgb
        if self.rgb_cmd is not None:
            return [(self.rgb_cmd, self.command_payload(
                self.rgb_cmd_tpl, f"{r},{g},{b}", red=r, green=g, blue=b))]
        if self.rgbw_cmd is not None:
            r, g, b, w = rgb_to_rgbw(r, g, b)
            return [(self.rgbw_cmd, self.command_payload(
                self.rgbw_cmd_tpl, f"{r},{g},{b},{w}", red=r, green=g, blue=b, white=w))]
        if self.rgbww_cmd is not None:
            r, g, b, cw, ww = rgb_to_rgbww(r, g, b, self.min_kelvin, self.max_kelvin)
            return [(self.rgbww_cmd, self.command_payload(
                self.rgbww_cmd_tpl, f"{r},{g},{b},{cw},{ww}", red=r, green=g, blue=b,
                cold_white=cw, warm_white=ww))]
        if self.hs_cmd is not None:
            hue, sat = wanted.hs if wanted.hs is not None else rgb_to_hs(wanted.rgb)
            return [(self.hs_cmd, self.command_payload(
                self.hs_cmd_tpl, f"{float(hue)},{float(sat)}", hue=hue, sat=sat))]
        if self.xy_cmd is not None:
            x, y = rgb_to_xy(wanted.rgb)
            return [(self.xy_cmd, self.command_payload(self.xy_cmd_tpl, f"{x},{y}", x=x, y=y))]
        return []

    def off(self, arguments: Mapping[str, Any]) -> list[Send]:
        return [(self.command_topic, self.payload_off)]


class JsonLight(Light):
    """The ``json`` schema."""

    def configure(self, opts: Options) -> None:
        opts.raw("schema")
        self.command_topic = opts.publish_topic("command_topic", required=True) or ""
        self.state_topic = opts.subscribe_topic("state_topic")
        self.optimistic = opts.flag("optimistic", self.state_topic is None)
        self.brightness_scale = opts.integer("brightness_scale", 255, low=1)
        self.modes = opts.text_list("supported_color_modes")
        self.kelvin = opts.flag("color_temp_kelvin", False)
        self.flash_short = opts.integer("flash_time_short", 2, low=0)
        self.flash_long = opts.integer("flash_time_long", 10, low=0)
        self.effects = opts.text_list("effect_list")
        # the flags of older configurations, before supported_color_modes
        legacy = {key: opts.flag(key, False) for key in ("brightness", "color_temp", "rgb",
                                                         "hs", "xy")}
        self.has_brightness = legacy["brightness"] or any(m != "onoff" for m in self.modes)
        self.has_color_temp = legacy["color_temp"] or "color_temp" in self.modes
        self.color_mode = next((m for m in _RGB_MODES if m in self.modes), None) or next(
            (m for m in ("rgb", "hs", "xy") if legacy[m]), None)

    def attributes(self) -> dict[str, Any]:
        modes = list(self.modes)
        if not modes:
            if self.has_color_temp:
                modes.append("color_temp")
            if self.color_mode is not None:
                modes.append(self.color_mode)
            if not modes:
                modes.append("brightness" if self.has_brightness else "onoff")
        return {"schema": "json", "supported_color_modes": modes,
                "effect_list": list(self.effects) or None}

    @property
    def dimmable(self) -> bool:
        return self.has_brightness

    @property
    def reports_brightness(self) -> bool:
        return self.has_brightness

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.state_topic is not None:
            yield self.state_topic, self._on_state

    def _on_state(self, payload: Payload) -> None:
        data = payload.json_object()
        topic = payload.topic
        changes: dict[str, Any] = {}
        if "state" in data:
            raw = data["state"]
            changes["state"] = on_off(payload, raw if isinstance(raw, str) else str(raw),
                                      "ON", "OFF") if raw is not None else None
        brightness = data.get("brightness")
        if brightness is not None:
            if isinstance(brightness, bool) or not isinstance(brightness, (int, float)):
                raise PayloadError(f"{topic}: brightness: expected a number, got {brightness!r}")
            changes["brightness"] = self._scaled_in(brightness)
        if isinstance(data.get("color_mode"), str):
            changes["color_mode"] = data["color_mode"]
        color_temp = data.get("color_temp")
        if color_temp is not None:
            if isinstance(color_temp, bool) or not isinstance(color_temp, (int, float)):
                raise PayloadError(f"{topic}: color_temp: expected a number, got {color_temp!r}")
            changes["color_temp_kelvin"] = round(color_temp) if self.kelvin else mired_kelvin(
                color_temp)
        color = data.get("color")
        if isinstance(color, dict):
            changes.update(_color_state(color, topic))
        if isinstance(data.get("effect"), str):
            changes["effect"] = data["effect"]
        if changes:
            self.update(changes)

    def on(self, wanted: Target) -> list[Send]:
        command: dict[str, Any] = {"state": "ON"}
        if wanted.brightness is not None and self.has_brightness:
            command["brightness"] = self._scaled_out(wanted.brightness)
        if wanted.kelvin is not None and self.has_color_temp:
            command["color_temp"] = wanted.kelvin if self.kelvin else mired_kelvin(wanted.kelvin)
        if wanted.rgb is not None and self.color_mode is not None:
            command["color"] = self._color(wanted)
        if wanted.effect is not None:
            command["effect"] = wanted.effect
        if wanted.flash is not None:
            command["flash"] = self.flash_short if wanted.flash == "short" else self.flash_long
        if wanted.transition is not None:
            command["transition"] = wanted.transition
        return [(self.command_topic, _json(command))]

    def _color(self, wanted: Target) -> dict[str, Any]:
        assert wanted.rgb is not None
        r, g, b = wanted.rgb
        if self.color_mode == "hs" and wanted.hs is not None:
            return {"h": wanted.hs[0], "s": wanted.hs[1]}
        if self.color_mode == "xy":
            x, y = rgb_to_xy(wanted.rgb)
            return {"x": x, "y": y}
        color: dict[str, Any] = {"r": r, "g": g, "b": b}
        if self.color_mode in ("rgbw", "rgbww"):
            color["w"] = 0
        if self.color_mode == "rgbww":
            color["c"] = 0
        return color

    def off(self, arguments: Mapping[str, Any]) -> list[Send]:
        command: dict[str, Any] = {"state": "OFF"}
        if arguments.get("transition") is not None:
            command["transition"] = arguments["transition"]
        if arguments.get("flash") is not None:
            command["flash"] = self.flash_short if arguments["flash"] == "short" else \
                self.flash_long
        return [(self.command_topic, _json(command))]


def _color_state(color: Mapping[str, Any], topic: str) -> dict[str, Any]:
    def channel(key: str, high: float) -> float:
        value = color.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                0 <= value <= high):
            raise PayloadError(f"{topic}: color.{key}: expected 0..{high:g}, got {value!r}")
        return float(value)

    if "r" in color:
        rgb = (round(channel("r", 255)), round(channel("g", 255)), round(channel("b", 255)))
        return {"rgb_color": list(rgb), "hs_color": list(rgb_to_hs(rgb))}
    if "h" in color:
        return {"hs_color": [channel("h", 360), channel("s", 100)]}
    if "x" in color:
        return {"xy_color": [channel("x", 1), channel("y", 1)]}
    return {}


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"))


class TemplateLight(Light):
    """The ``template`` schema: one command topic, whose payloads `command_on_template` and
    `command_off_template` make from the call (``state``, ``brightness`` 0..255,
    ``color_temp`` in mireds or kelvin with `color_temp_kelvin`, ``red``/``green``/``blue``
    and ``hue``/``sat``, ``effect``, ``flash``, ``transition``: only what the call gives);
    one state topic, read by `state_template`, `brightness_template`,
    `color_temp_template`, `red_template`/`green_template`/`blue_template` and
    `effect_template`. Colours are hs, as Home Assistant's template light takes them: the
    RGB sent with a colour is scaled by the brightness unless a brightness template reports
    brightness apart."""

    def configure(self, opts: Options) -> None:
        opts.raw("schema")
        self.command_topic = opts.publish_topic("command_topic", required=True) or ""
        self.on_template = opts.template("command_on_template")
        self.off_template = opts.template("command_off_template")
        for key, template in (("command_on_template", self.on_template),
                              ("command_off_template", self.off_template)):
            if template is None:
                raise opts.error(key, "missing; the template schema needs it")
        self.state_topic = opts.subscribe_topic("state_topic")
        self.optimistic = opts.flag("optimistic", self.state_topic is None)
        self.kelvin = opts.flag("color_temp_kelvin", False)
        self.effects = opts.text_list("effect_list")
        self.templates = {key: opts.template(f"{key}_template") for key in (
            "state", "brightness", "color_temp", "red", "green", "blue", "effect")}
        self.brightness_scale = 255

    def attributes(self) -> dict[str, Any]:
        t = self.templates
        modes = []
        if t["color_temp"] is not None:
            modes.append("color_temp")
        if all(t[c] is not None for c in ("red", "green", "blue")):
            modes.append("hs")
        if not modes:
            modes.append("brightness" if t["brightness"] is not None else "onoff")
        return {"schema": "template", "supported_color_modes": modes,
                "effect_list": list(self.effects) or None}

    @property
    def dimmable(self) -> bool:
        return True

    @property
    def reports_brightness(self) -> bool:
        return self.templates["brightness"] is not None and self.state_topic is not None

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.state_topic is not None:
            yield self.state_topic, self._on_state

    def _on_state(self, payload: Payload) -> None:
        t = self.templates
        changes: dict[str, Any] = {}
        state_template = t["state"]
        if state_template is not None:
            text = self.value(payload, state_template)
            changes["state"] = on_off(payload, text, "on", "off")
        if t["brightness"] is not None:
            value = number(self.value(payload, t["brightness"]))
            if value is not None:
                changes["brightness"] = max(0, min(255, round(value)))
        if t["color_temp"] is not None:
            value = number(self.value(payload, t["color_temp"]))
            if value is not None and value > 0:
                changes["color_temp_kelvin"] = round(value) if self.kelvin else mired_kelvin(
                    value)
                changes["color_mode"] = "color_temp"
        if all(t[c] is not None for c in ("red", "green", "blue")):
            parts = [number(self.value(payload, t[c])) for c in ("red", "green", "blue")]
            if all(p is not None and 0 <= p <= 255 for p in parts):
                rgb = [round(p) for p in parts if p is not None]
                changes.update(rgb_color=rgb, hs_color=list(rgb_to_hs((rgb[0], rgb[1],
                                                                        rgb[2]))),
                               color_mode="hs")
        if t["effect"] is not None:
            changes["effect"] = self.value(payload, t["effect"])
        if changes:
            self.update(changes)

    def _render(self, template: Template | None, variables: dict[str, Any]) -> str:
        assert template is not None
        try:
            return template.render(variables)
        except PayloadError as exc:
            raise ToolError(f"{self.id}: command template failed: {exc}") from None

    def on(self, wanted: Target) -> list[Send]:
        values: dict[str, Any] = {"state": "on"}
        if wanted.brightness is not None:
            values["brightness"] = int(wanted.brightness)
        if wanted.kelvin is not None:
            values["color_temp"] = (wanted.kelvin if self.kelvin
                                    else colours.kelvin_to_mired(wanted.kelvin))
        if wanted.hs is not None:
            hue, sat = wanted.hs
            if self.templates["brightness"] is not None:
                level = 255
            else:
                current = self.current().get("brightness")
                level = wanted.brightness if wanted.brightness is not None else (
                    current if isinstance(current, int) and current > 0 else 255)
            values["red"], values["green"], values["blue"] = colours.hsv_to_rgb(
                hue, sat, level / 255 * 100)
            values["hue"], values["sat"] = hue, sat
        if wanted.effect is not None:
            values["effect"] = wanted.effect
        if wanted.flash is not None:
            values["flash"] = wanted.flash
        if wanted.transition is not None:
            values["transition"] = wanted.transition
        return [(self.command_topic, self._render(self.on_template, values))]

    def off(self, arguments: Mapping[str, Any]) -> list[Send]:
        values: dict[str, Any] = {"state": "off"}
        for key in ("transition", "flash"):
            if key in arguments:
                values[key] = arguments[key]
        return [(self.command_topic, self._render(self.off_template, values))]


_WHITE = MappingProxyType({
    "type": "integer", "minimum": 0, "maximum": 255,
    "description": "Switch to the white channel at this brightness (0..255); a brightness "
                   "given with it is the white level."})


def _with_white(tool: Tool) -> Tool:
    """`turn_on` of a light with a white channel: with Home Assistant's `white`."""
    params = dict(tool.parameters)
    params["properties"] = MappingProxyType({**tool.parameters.get("properties", {}),
                                             "white": _WHITE})
    return Tool(tool.name, tool.description, MappingProxyType(params), tool.result,
                tool.timeout)
