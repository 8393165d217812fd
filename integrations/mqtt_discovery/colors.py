"""What a `light.turn_on` call asks for, worked out once for both light schemas."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub import colours
from hub.errors import ToolError

RGB = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Target:
    """The wanted light state; None for what the call does not change."""

    brightness: int | None = None
    """0..255 (Home Assistant's scale); 0 means off."""
    kelvin: int | None = None
    rgb: RGB | None = None
    hs: tuple[float, float] | None = None
    transition: float | None = None
    flash: str | None = None
    effect: str | None = None
    white: int | None = None
    """The white channel's brightness 0..255 (`white`; a brightness given with it wins)."""


def _clamp(value: float, low: int = 0, high: int = 255) -> int:
    return max(low, min(high, round(value)))


def target(args: Mapping[str, Any], current: Mapping[str, Any], what: str) -> Target:
    """Read the `light.turn_on` arguments against the current state (for the steps)."""
    now = current.get("brightness")
    if not isinstance(now, (int, float)):
        now = 255 if current.get("state") == "on" else 0
    brightness: int | None = None
    if "brightness_pct" in args:
        brightness = _clamp(args["brightness_pct"] * 255 / 100)
    elif "brightness" in args:
        brightness = _clamp(args["brightness"])
    elif "brightness_step_pct" in args:
        brightness = _clamp(now + args["brightness_step_pct"] * 255 / 100)
    elif "brightness_step" in args:
        brightness = _clamp(now + args["brightness_step"])
    rgb: RGB | None = None
    hs: tuple[float, float] | None = None
    if "rgb_color" in args:
        r, g, b = (int(v) for v in args["rgb_color"])
        rgb = (r, g, b)
    elif "color_name" in args:
        rgb = named(str(args["color_name"]), what)
    elif "hs_color" in args:
        h, s = (float(v) for v in args["hs_color"])
        hs = (h, min(100.0, s))
        rgb = hs_to_rgb(*hs)
    if rgb is not None and hs is None:
        hs = rgb_to_hs(rgb)
    kelvin = args.get("color_temp_kelvin")
    white: int | None = None
    if "white" in args:
        white = brightness if brightness is not None else _clamp(args["white"])
        brightness = None
    return Target(
        brightness=brightness, kelvin=int(kelvin) if kelvin is not None else None,
        rgb=rgb, hs=hs, transition=args.get("transition"), flash=args.get("flash"),
        effect=args.get("effect"), white=white,
    )


def named(name: str, what: str) -> RGB:
    """A CSS colour name (``"purple"``), as Home Assistant's `color_name` takes."""
    try:
        return colours.name_to_rgb(name)
    except colours.ColourError as exc:
        raise ToolError(f"{what}: {exc}") from None


def hs_to_rgb(hue: float, saturation: float) -> RGB:
    return colours.hs_to_rgb(hue, saturation)


def rgb_to_hs(rgb: RGB) -> tuple[float, float]:
    return colours.rgb_to_hs(*rgb)


def rgb_to_xy(rgb: RGB) -> tuple[float, float]:
    """CIE 1931 xy of an RGB colour by Home Assistant's Wide RGB D65 conversion."""
    return colours.rgb_to_xy(*rgb)


def mired_kelvin(value: float) -> int:
    """Mireds to kelvin and back (the same formula both ways, floored as Home Assistant)."""
    return colours.mired_to_kelvin(value) if value > 0 else 0
