"""Lights: a `light` expose with `state` and optionally `brightness`, `color_temp`,
`color_xy` and `color_hs` features.

State follows Home Assistant: ``state`` on/off, ``brightness`` 0..255 (Zigbee2MQTT's scale
is 0..`value_max`, usually 254), ``color_temp`` in mireds and ``color_temp_kelvin``,
``xy_color``, ``hs_color``, ``color_mode``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from integrations.zigbee2mqtt import colour
from integrations.zigbee2mqtt.entity import (
    BadValue,
    Command,
    Context,
    Entity,
    Reader,
    binary_reader,
    close,
    describe,
    gettable,
    is_number,
    settable,
)
from integrations.zigbee2mqtt.exposes import Expose
from integrations.zigbee2mqtt.tools import enum, tool

_COLOR_MODES: Mapping[str, str] = MappingProxyType(
    {"xy": "xy", "hs": "hs", "color_temp": "color_temp"})


class Light(Entity):
    __slots__ = ("_bright", "_bright_max", "_color", "_ct", "_effect", "_off", "_on", "_state",
                 "_toggle", "_xy")

    def __init__(self, ctx: Context, expose: Expose, suffix: str,
                 effect: Expose | None) -> None:
        state = expose.feature("state")
        assert state is not None
        bright = expose.feature("brightness")
        ct = expose.feature("color_temp")
        xy = expose.feature("color_xy")
        hs = expose.feature("color_hs")
        color = xy or hs
        self._state = state.property
        self._on = state.value_on if state.value_on is not None else "ON"
        self._off = state.value_off if state.value_off is not None else "OFF"
        self._toggle = state.value_toggle if state.value_toggle is not None else "TOGGLE"
        self._bright = bright.property if bright is not None else ""
        self._bright_max = (bright.value_max or 254) if bright is not None else 254
        self._ct = ct
        self._color = color
        self._xy = xy is not None and xy.settable
        self._effect = effect if settable(effect) else None

        readers: dict[str, Reader] = {state.property: binary_reader(state, "state", "on", "off")}
        modes: list[str] = []
        keep = ["transition", "duration"]
        schemas: dict[str, Any] = {}
        attributes: dict[str, Any] = {}
        if bright is not None:
            readers[bright.property] = _brightness_reader(bright)
            modes.append("brightness")
            if bright.settable:
                keep += ["brightness", "brightness_pct", "brightness_step",
                         "brightness_step_pct"]
        if ct is not None:
            readers[ct.property] = _color_temp_reader
            modes.append("color_temp")
            if ct.settable:
                keep.append("color_temp_kelvin")
                low, high = ct.value_min, ct.value_max
                if low and high:
                    attributes["min_color_temp_kelvin"] = round(1_000_000 / high)
                    attributes["max_color_temp_kelvin"] = round(1_000_000 / low)
        if color is not None:
            readers[color.property] = _color_reader
            modes.append("xy" if xy is not None else "hs")
            if color.settable:
                keep += ["hs_color", "rgb_color", "color_name"]
        mode_key = "color_mode" + (f"_{expose.endpoint}" if expose.endpoint else "")
        readers[mode_key] = _color_mode_reader
        if self._effect is not None:
            schemas["effect"] = enum("A light effect.", self._effect.values)
        attributes["supported_color_modes"] = modes or ["onoff"]
        timeout = ctx.tool_timeout
        name = ctx.name if not suffix else f"{ctx.name} {suffix}"
        capability = ctx.capability("light", suffix, name=name, attributes=attributes, tools=(
            tool("light", "turn_on", timeout, keep, schemas=schemas),
            tool("light", "turn_off", timeout, ["transition"]),
            tool("light", "toggle", timeout, ["transition"]),
            tool("light", "get_state", timeout),
        ))
        super().__init__(capability, readers, gettable(state, bright, ct, color))

    def command(self, tool: str, args: Mapping[str, Any], state: Mapping[str, Any]) -> Command:
        prop = self._state
        extra = {"transition": args["transition"]} if "transition" in args else {}
        if tool == "turn_off":
            return self._off_command(extra)
        if tool == "toggle":
            payload = {prop: self._toggle, **extra}
            current = state.get("state")
            if current in ("on", "off"):
                want = self._off if current == "on" else self._on
                return Command(payload, lambda r: r.get(prop) == want)
            return Command(payload, lambda r: prop in r)
        if tool != "turn_on":
            return super().command(tool, args, state)
        return self._on_command(args, state, extra)

    def _off_command(self, extra: Mapping[str, Any]) -> Command:
        prop, off = self._state, self._off
        return Command({prop: off, **extra}, lambda r: r.get(prop) == off)

    def _on_command(self, args: Mapping[str, Any], state: Mapping[str, Any],
                    extra: dict[str, Any]) -> Command:
        prop, on = self._state, self._on
        payload: dict[str, Any] = {prop: on}
        checks: list[Any] = [lambda r: r.get(prop) == on]
        level = self._level(args, state)
        if level == 0:
            return self._off_command(extra)  # brightness 0 means off, as in Home Assistant
        if level is not None and self._bright:
            key = self._bright
            payload[key] = level
            checks.append(lambda r: close(r.get(key), level, 1))
        if "color_temp_kelvin" in args and self._ct is not None:
            ct = self._ct
            mired = round(1_000_000 / args["color_temp_kelvin"])
            if ct.value_min is not None:
                mired = max(mired, round(ct.value_min))
            if ct.value_max is not None:
                mired = min(mired, round(ct.value_max))
            payload[ct.property] = mired
            checks.append(lambda r: close(r.get(ct.property), mired, max(2, mired * 0.01)))
        rgb = self._rgb(args)
        if rgb is not None and self._color is not None:
            cprop = self._color.property
            if self._xy:
                x, y = colour.rgb_to_xy(*rgb)
                payload[cprop] = {"x": x, "y": y}
                checks.append(lambda r: _xy_close(r.get(cprop), x, y))
            else:
                h, s = colour.rgb_to_hs(*rgb) if "hs_color" not in args else args["hs_color"]
                payload[cprop] = {"hue": h, "saturation": s}
                checks.append(lambda r: _hs_close(r.get(cprop), h, s))
        if "effect" in args and self._effect is not None:
            payload[self._effect.property] = args["effect"]
        if "duration" in args:
            payload["on_time"] = args["duration"]  # Zigbee's on-with-timed-off: the light
            # turns itself off, so the hub keeps no timer that a restart could lose
        payload.update(extra)
        return Command(payload, lambda r: all(check(r) for check in checks))

    def _level(self, args: Mapping[str, Any], state: Mapping[str, Any]) -> int | None:
        """The brightness to send on Zigbee2MQTT's scale, or None to leave it."""
        top = self._bright_max
        wanted: float
        if "brightness_pct" in args:
            wanted = args["brightness_pct"] * 255 / 100
        elif "brightness" in args:
            wanted = args["brightness"]
        elif "brightness_step_pct" in args or "brightness_step" in args:
            now = state.get("brightness", 0) if state.get("state") == "on" else 0
            step = args.get("brightness_step")
            if step is None:
                step = args["brightness_step_pct"] * 255 / 100
            wanted = min(255, max(0, now + step))
        else:
            return None
        if wanted <= 0:
            return 0
        return max(1, round(float(wanted) * top / 255))

    @staticmethod
    def _rgb(args: Mapping[str, Any]) -> tuple[float, float, float] | None:
        if "rgb_color" in args:
            r, g, b = args["rgb_color"]
            return r, g, b
        if "color_name" in args:
            return colour.name_to_rgb(args["color_name"])
        if "hs_color" in args:
            return colour.hs_to_rgb(*args["hs_color"])
        return None


def build(ctx: Context, expose: Expose, suffix: str, device_exposes: tuple[Expose, ...]
          ) -> Light | None:
    if expose.feature("state") is None:
        return None  # a light without on/off is not something Home Assistant calls a light
    effect = next((e for e in device_exposes if e.type == "enum" and e.name == "effect"), None)
    return Light(ctx, expose, suffix, effect)


def _brightness_reader(feature: Expose) -> Reader:
    top = feature.value_max or 254
    expected = f"expected 0..{top:g}"

    def read(value: Any, out: dict[str, Any]) -> None:
        if not is_number(value) or not 0 <= value <= top:
            raise BadValue(f"{expected}, got {describe(value)}")
        out["brightness"] = round(value * 255 / top)

    return read


def _color_temp_reader(value: Any, out: dict[str, Any]) -> None:
    if not is_number(value) or value <= 0:
        raise BadValue(f"expected a positive number of mireds, got {describe(value)}")
    out["color_temp"] = value
    out["color_temp_kelvin"] = round(1_000_000 / value)


def _color_reader(value: Any, out: dict[str, Any]) -> None:
    if not isinstance(value, dict):
        raise BadValue(f"expected an object with x and y or hue and saturation, "
                         f"got {describe(value)}")
    x, y = value.get("x"), value.get("y")
    if x is not None or y is not None:
        if not (is_number(x) and is_number(y)):
            raise BadValue(f"x and y must be numbers, got {describe(value)}")
        out["xy_color"] = [x, y]
    hue = value.get("hue", value.get("h"))
    sat = value.get("saturation", value.get("s"))
    if hue is not None or sat is not None:
        if not (is_number(hue) and is_number(sat)):
            raise BadValue(f"hue and saturation must be numbers, got {describe(value)}")
        out["hs_color"] = [hue, sat]


def _color_mode_reader(value: Any, out: dict[str, Any]) -> None:
    if not isinstance(value, str):
        raise BadValue(f"expected text, got {describe(value)}")
    out["color_mode"] = _COLOR_MODES.get(value, value)


def _xy_close(reported: Any, x: float, y: float) -> bool:
    return (isinstance(reported, dict) and close(reported.get("x"), x, 0.01)
            and close(reported.get("y"), y, 0.01))


def _hs_close(reported: Any, hue: float, sat: float) -> bool:
    if not isinstance(reported, dict):
        return False
    if "hue" not in reported:
        return "x" in reported  # a light that reports only xy after an hs command
    return close(reported.get("hue"), hue, 2) and close(reported.get("saturation"), sat, 2)
