"""Colour conversions exactly as Home Assistant's colour helpers make them.

Every integration that turns a `light.turn_on` call into what a device takes goes through
here, so a colour command sends the very numbers Home Assistant would send:

- **xy** (CIE 1931) uses the "Wide RGB D65" matrices Home Assistant, Philips Hue and
  Zigbee2MQTT use, not sRGB's: pure red is (0.701, 0.299), not (0.640, 0.330). xy values
  are rounded to three decimals, as Home Assistant rounds them.
- **hs** is hue 0..360 and saturation 0..100, rounded to three decimals; back to RGB the
  channels are truncated (``int``), as Home Assistant does.
- **kelvin** to RGB follows Tanner Helland's approximation, clamped to 1,000..40,000 K;
  kelvin <-> mireds is ``floor(1,000,000 / value)`` both ways.
- **gamut**: a light's reachable triangle (`Gamut`); a colour outside it is moved to the
  closest point on the triangle's edge.
- **color_name**: the CSS colour names (spaces and case ignored).

The functions are pure and raise `ColourError` (a `ToolError`: it reaches the caller of a
tool) only for a colour name nobody knows.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass

from hub.errors import ToolError

RGB = tuple[int, int, int]
XY = tuple[float, float]
HS = tuple[float, float]


class ColourError(ToolError):
    """A colour the hub cannot read (an unknown colour name)."""


# -- gamut ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gamut:
    """The triangle of xy colours a light can make: its red, green and blue corners."""

    red: XY
    green: XY
    blue: XY

    def __contains__(self, point: object) -> bool:
        if not isinstance(point, tuple) or len(point) != 2:
            return False
        return in_gamut((float(point[0]), float(point[1])), self)


GAMUT_A = Gamut((0.704, 0.296), (0.2151, 0.7106), (0.138, 0.08))
GAMUT_B = Gamut((0.675, 0.322), (0.409, 0.518), (0.167, 0.04))
GAMUT_C = Gamut((0.6915, 0.3083), (0.17, 0.7), (0.1532, 0.0475))
"""Philips Hue's published gamuts, as Home Assistant's Hue integration names them."""


def _cross(a: XY, b: XY) -> float:
    return a[0] * b[1] - a[1] * b[0]


def in_gamut(xy: XY, gamut: Gamut) -> bool:
    """True when `xy` lies inside `gamut`'s triangle (its edges included)."""
    red = gamut.red
    v1 = (gamut.green[0] - red[0], gamut.green[1] - red[1])
    v2 = (gamut.blue[0] - red[0], gamut.blue[1] - red[1])
    q = (xy[0] - red[0], xy[1] - red[1])
    area = _cross(v1, v2)
    if area == 0:
        return False
    s = _cross(q, v2) / area
    t = _cross(v1, q) / area
    return s >= 0.0 and t >= 0.0 and s + t <= 1.0


def _closest_on_segment(a: XY, b: XY, p: XY) -> XY:
    ab = (b[0] - a[0], b[1] - a[1])
    ap = (p[0] - a[0], p[1] - a[1])
    length2 = ab[0] * ab[0] + ab[1] * ab[1]
    t = 0.0 if length2 == 0 else (ap[0] * ab[0] + ap[1] * ab[1]) / length2
    t = min(1.0, max(0.0, t))
    return (a[0] + ab[0] * t, a[1] + ab[1] * t)


def closest_in_gamut(xy: XY, gamut: Gamut) -> XY:
    """`xy` itself when the light can make it, else the nearest point on the triangle's
    edge (red-green first, then blue-red, then green-blue on ties, as Home Assistant)."""
    if in_gamut(xy, gamut):
        return xy
    best: XY = xy
    lowest = math.inf
    for a, b in ((gamut.red, gamut.green), (gamut.blue, gamut.red),
                 (gamut.green, gamut.blue)):
        point = _closest_on_segment(a, b, xy)
        distance = math.hypot(xy[0] - point[0], xy[1] - point[1])
        if distance < lowest:
            lowest, best = distance, point
    return best


# -- rgb <-> xy ----------------------------------------------------------------------------


def _to_linear(channel: float) -> float:
    return ((channel + 0.055) / 1.055) ** 2.4 if channel > 0.04045 else channel / 12.92


def _to_gamma(channel: float) -> float:
    return 12.92 * channel if channel <= 0.0031308 else 1.055 * channel ** (1 / 2.4) - 0.055


def rgb_to_xy_brightness(r: float, g: float, b: float,
                         gamut: Gamut | None = None) -> tuple[float, float, int]:
    """xy (rounded to 3 decimals) and brightness 0..255 of an RGB colour; black is
    (0, 0, 0)."""
    if r + g + b == 0:
        return 0.0, 0.0, 0
    lr, lg, lb = _to_linear(r / 255), _to_linear(g / 255), _to_linear(b / 255)
    # Wide RGB D65
    big_x = lr * 0.664511 + lg * 0.154324 + lb * 0.162028
    big_y = lr * 0.283881 + lg * 0.668433 + lb * 0.047685
    big_z = lr * 0.000088 + lg * 0.072310 + lb * 0.986039
    total = big_x + big_y + big_z
    x, y = big_x / total, big_y / total
    brightness = round(min(big_y, 1.0) * 255)
    if gamut is not None:
        x, y = closest_in_gamut((x, y), gamut)
    return round(x, 3), round(y, 3), brightness


def rgb_to_xy(r: float, g: float, b: float, gamut: Gamut | None = None) -> XY:
    x, y, _ = rgb_to_xy_brightness(r, g, b, gamut)
    return x, y


def xy_brightness_to_rgb(x: float, y: float, brightness: float,
                         gamut: Gamut | None = None) -> RGB:
    """The RGB colour of `xy` at `brightness` (0..255); channels truncated to integers."""
    if gamut is not None:
        x, y = closest_in_gamut((x, y), gamut)
    level = brightness / 255
    if level == 0:
        return (0, 0, 0)
    if y == 0:
        y = 1e-11
    big_y = level
    big_x = big_y / y * x
    big_z = big_y / y * (1 - x - y)
    # Wide RGB D65, inverse
    channels = (
        big_x * 1.656492 - big_y * 0.354851 - big_z * 0.255038,
        -big_x * 0.707196 + big_y * 1.655397 + big_z * 0.036152,
        big_x * 0.051713 - big_y * 0.121364 + big_z * 1.011530,
    )
    corrected = [max(0.0, _to_gamma(c)) for c in channels]
    top = max(corrected)
    if top > 1:
        corrected = [c / top for c in corrected]
    return int(corrected[0] * 255), int(corrected[1] * 255), int(corrected[2] * 255)


def xy_to_rgb(x: float, y: float, gamut: Gamut | None = None) -> RGB:
    return xy_brightness_to_rgb(x, y, 255, gamut)


# -- rgb <-> hs ----------------------------------------------------------------------------


def rgb_to_hsv(r: float, g: float, b: float) -> tuple[float, float, float]:
    """Hue 0..360, saturation and value 0..100, each rounded to 3 decimals."""
    h, s, v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
    return round(h * 360, 3), round(s * 100, 3), round(v * 100, 3)


def rgb_to_hs(r: float, g: float, b: float) -> HS:
    h, s, _ = rgb_to_hsv(r, g, b)
    return h, s


def hsv_to_rgb(hue: float, saturation: float, value: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(hue / 360, saturation / 100, value / 100)
    return int(r * 255), int(g * 255), int(b * 255)


def hs_to_rgb(hue: float, saturation: float) -> RGB:
    return hsv_to_rgb(hue, saturation, 100)


def xy_to_hs(x: float, y: float, gamut: Gamut | None = None) -> HS:
    return rgb_to_hs(*xy_to_rgb(x, y, gamut))


def hs_to_xy(hue: float, saturation: float, gamut: Gamut | None = None) -> XY:
    return rgb_to_xy(*hs_to_rgb(hue, saturation), gamut)


# -- rgbw ----------------------------------------------------------------------------------


def _match_max(inputs: tuple[float, ...], outputs: tuple[float, ...]) -> tuple[int, ...]:
    top_out = max(outputs)
    factor = 0.0 if top_out == 0 else max(inputs) / top_out
    return tuple(round(c * factor) for c in outputs)


def rgb_to_rgbw(r: int, g: int, b: int) -> tuple[int, int, int, int]:
    """White is the common part of the three channels; the result is scaled back to the
    input's brightest channel."""
    w = min(r, g, b)
    out = _match_max((r, g, b), (r - w, g - w, b - w, w))
    return out[0], out[1], out[2], out[3]


def rgbw_to_rgb(r: int, g: int, b: int, w: int) -> RGB:
    out = _match_max((r, g, b, w), (r + w, g + w, b + w))
    return out[0], out[1], out[2]


DEFAULT_MIN_KELVIN = 2000
DEFAULT_MAX_KELVIN = 6535
"""Home Assistant's colour temperature range of a light that does not give its own."""


def _white_point(ratio: float, min_kelvin: float, max_kelvin: float) -> tuple[float, ...]:
    """The RGB of the white channels mixed `ratio` warm (0 all cold, 1 all warm)."""
    max_mired = kelvin_to_mired(min_kelvin)
    min_mired = kelvin_to_mired(max_kelvin)
    mired = min_mired + ratio * (max_mired - min_mired)
    return kelvin_to_rgb(mired_to_kelvin(mired)) if mired else kelvin_to_rgb(0)


def rgb_to_rgbww(r: int, g: int, b: int, min_kelvin: float = DEFAULT_MIN_KELVIN,
                 max_kelvin: float = DEFAULT_MAX_KELVIN) -> tuple[int, int, int, int, int]:
    """Home Assistant's split of a colour for a light with cold and warm white channels:
    the white of both at equal level (the mired midpoint of the light's range) is taken out
    of the colour, and the result scaled back to the input's brightest channel."""
    w_r, w_g, w_b = _white_point(0.5, min_kelvin, max_kelvin)
    level = min(r / w_r if w_r else 0, g / w_g if w_g else 0, b / w_b if w_b else 0)
    white = round(level * 255)
    out = _match_max((r, g, b), (r - w_r * level, g - w_g * level, b - w_b * level,
                                 white, white))
    return out[0], out[1], out[2], out[3], out[4]


def rgbww_to_rgb(r: int, g: int, b: int, cw: int, ww: int,
                 min_kelvin: float = DEFAULT_MIN_KELVIN,
                 max_kelvin: float = DEFAULT_MAX_KELVIN) -> RGB:
    """The colour an rgbww light shows, as Home Assistant derives it: the white channels'
    mix (their colour temperature) at the brighter one's level, added to the colour."""
    ratio = ww / (cw + ww) if cw + ww else 0.5
    w_r, w_g, w_b = _white_point(ratio, min_kelvin, max_kelvin)
    level = max(cw, ww) / 255
    out = _match_max((r, g, b, cw, ww), (r + w_r * level, g + w_g * level, b + w_b * level))
    return out[0], out[1], out[2]


# -- colour temperature --------------------------------------------------------------------


def _clamp(value: float) -> float:
    return min(255.0, max(0.0, value))


def kelvin_to_rgb(kelvin: float) -> tuple[float, float, float]:
    """The RGB colour of a black body at `kelvin` (clamped to 1,000..40,000 K); channels
    are floats, as Home Assistant leaves them."""
    t = min(40000.0, max(1000.0, kelvin)) / 100
    red = 255.0 if t <= 66 else _clamp(329.698727446 * (t - 60) ** -0.1332047592)
    if t <= 66:
        green = _clamp(99.4708025861 * math.log(t) - 161.1195681661)
    else:
        green = _clamp(288.1221695283 * (t - 60) ** -0.0755148492)
    if t >= 66:
        blue = 255.0
    elif t <= 19:
        blue = 0.0
    else:
        blue = _clamp(138.5177312231 * math.log(t - 10) - 305.0447927307)
    return red, green, blue


def kelvin_to_hs(kelvin: float) -> HS:
    return rgb_to_hs(*kelvin_to_rgb(kelvin))


def kelvin_to_xy(kelvin: float, gamut: Gamut | None = None) -> XY:
    """What Home Assistant sends an xy-only light asked for a colour temperature."""
    return hs_to_xy(*kelvin_to_hs(kelvin), gamut)


def kelvin_to_mired(kelvin: float) -> int:
    return math.floor(1_000_000 / kelvin)


def mired_to_kelvin(mired: float) -> int:
    return math.floor(1_000_000 / mired)


# -- names ---------------------------------------------------------------------------------


def name_to_rgb(name: str) -> RGB:
    """A CSS colour name (``"purple"``, ``"light blue"``) as RGB, as `color_name` takes."""
    from PIL import ImageColor  # loaded on first use: colour names are rare

    key = name.replace(" ", "").lower()
    if key and key.isalpha() and key in ImageColor.colormap:
        # getrgb caches a name's tuple in the colormap in place of its hex text
        r, g, b = ImageColor.getrgb(key)[:3]
        return int(r), int(g), int(b)
    raise ColourError(f"color_name: unknown colour {name!r}; use a CSS colour name such as "
                      "'red', 'orange' or 'lightblue'")


def name_to_xy(name: str, gamut: Gamut | None = None) -> XY:
    return rgb_to_xy(*name_to_rgb(name), gamut)
