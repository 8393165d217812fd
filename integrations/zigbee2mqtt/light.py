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

from hub import colours
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
    __slots__ = (
        "_bright",
        "_bright_max",
        "_color",
        "_ct",
        "_effect",
        "_hs",
        "_off",
        "_on",
        "_state",
        "_toggle",
        "_xy",
    )

    def __init__(self, ctx: Context, expose: Expose, suffix: str,
                 effect: Expose | None) -> None:
        state = expose.feature("state")
        assert state is not None
        bright = expose.feature("brightness")
        ct = expose.feature("color_temp")
        xy = expose.feature("color_xy")
        hs = expose.feature("color_hs")
        names = [f.name for f in expose.features]
        prefer_hs = (xy is not None and hs is not None
                     and names.index("color_hs") < names.index("color_xy"))
        if prefer_hs:
            xy = None  # Zigbee2MQTT announces hs only when hs comes first
        elif xy is not None:
            hs = None  # ... and xy only otherwise: Home Assistant sends what it announces
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
        self._hs = hs is not None and hs.settable
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
            if ct.settable or (color is not None and color.settable):
                keep.append("color_temp_kelvin")
                low, high = ct.value_min, ct.value_max
                if low and high:
                    attributes["min_color_temp_kelvin"] = colours.mired_to_kelvin(high)
                    attributes["max_color_temp_kelvin"] = colours.mired_to_kelvin(low)
        if color is not None:
            readers[color.property] = _color_reader
            modes.append("xy" if xy is not None else "hs")
            if color.settable:
                keep += ["hs_color", "rgb_color", "color_name"]
                if "color_temp_kelvin" not in keep:
                    keep.append("color_temp_kelvin")  # sent as a colour, as HA does
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
        kelvin = args.get("color_temp_kelvin")
        if kelvin is not None and self._ct is not None and self._ct.settable:
            ct = self._ct
            mired = _kelvin_to_mired(kelvin, ct)
            payload[ct.property] = mired
            checks.append(lambda r: close(r.get(ct.property), mired, max(2, mired * 0.01)))
        colour = self._colour(args)
        if colour is not None and self._color is not None:
            cprop = self._color.property
            payload[cprop] = colour
            if "x" in colour:
                x, y = colour["x"], colour["y"]
                checks.append(lambda r: _xy_close(r.get(cprop), x, y))
            else:
                h, s = colour["h"], colour["s"]
                checks.append(lambda r: _hs_close(r.get(cprop), h, s))
        if "effect" in args and self._effect is not None:
            payload[self._effect.property] = args["effect"]
        if "duration" in args:
            payload["on_time"] = args["duration"]  # Zigbee's on-with-timed-off: the light
            # turns itself off, so the hub keeps no timer that a restart could lose
        payload.update(extra)
        return Command(payload, lambda r: all(check(r) for check in checks))

    def _level(self, args: Mapping[str, Any], state: Mapping[str, Any]) -> int | None:
        """The brightness to send on Zigbee2MQTT's scale, or None to leave it; worked out
        as Home Assistant's light service and MQTT JSON light do it."""
        wanted: float
        if "brightness_pct" in args:
            wanted = round(args["brightness_pct"] * 255 / 100)
        elif "brightness" in args:
            wanted = args["brightness"]
        elif "brightness_step_pct" in args or "brightness_step" in args:
            reported = state.get("brightness") if state.get("state") == "on" else 0
            now = float(reported) if is_number(reported) else 0.0  # type: ignore[arg-type]
            if "brightness_step" in args:
                wanted = now + args["brightness_step"]
            else:
                pct = round(now / 255 * 100)
                wanted = round((pct + args["brightness_step_pct"]) / 100 * 255)
            wanted = min(255, max(0, wanted))
        else:
            return None
        if wanted <= 0:
            return 0
        return max(1, round(float(wanted) * self._bright_max / 255))

    def _colour(self, args: Mapping[str, Any]) -> dict[str, float] | None:
        """The ``color`` Home Assistant sends for the call: hs when the light takes hs,
        else xy (Wide RGB D65); a colour temperature the light cannot take as such goes
        as a colour."""
        if not (self._hs or self._xy):
            return None
        hs: tuple[float, float] | None = None
        rgb: tuple[int, int, int] | None = None
        if "hs_color" in args:
            hs = (float(args["hs_color"][0]), float(args["hs_color"][1]))
        elif "rgb_color" in args:
            r, g, b = args["rgb_color"]
            rgb = (int(r), int(g), int(b))
        elif "color_name" in args:
            rgb = colours.name_to_rgb(args["color_name"])
        elif "color_temp_kelvin" in args and not (self._ct is not None and self._ct.settable):
            hs = colours.kelvin_to_hs(args["color_temp_kelvin"])
        else:
            return None
        if hs is None and rgb is not None:
            if self._hs:
                hs = colours.rgb_to_hs(*rgb)
            else:
                x, y = colours.rgb_to_xy(*rgb)
                return {"x": x, "y": y}
        assert hs is not None
        if self._hs:
            return {"h": hs[0], "s": hs[1]}
        x, y = colours.hs_to_xy(*hs)
        return {"x": x, "y": y}


def _kelvin_to_mired(kelvin: float, ct: Expose) -> int:
    """Kelvin clamped to the light's range (its mireds turned to kelvin), then mireds:
    both floored, as Home Assistant converts them."""
    if ct.value_max:
        kelvin = max(kelvin, colours.mired_to_kelvin(ct.value_max))
    if ct.value_min:
        kelvin = min(kelvin, colours.mired_to_kelvin(ct.value_min))
    return colours.kelvin_to_mired(kelvin)


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
    out["color_temp_kelvin"] = colours.mired_to_kelvin(value)


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
    rh, rs = reported.get("hue", reported.get("h")), reported.get("saturation", reported.get("s"))
    if rh is None:
        return "x" in reported  # a light that reports only xy after an hs command
    return close(rh, hue, 2) and close(rs, sat, 2)
