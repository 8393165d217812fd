"""Colour conversions between Home Assistant's fields and what Zigbee lights take.

Zigbee colour lights work in CIE xy (most) or hue/saturation; Home Assistant callers say
``rgb_color``, ``hs_color`` or a CSS ``color_name``. The hub converts, so that it knows the
exact value it asked for and can recognise it in the light's confirmation.
"""

from __future__ import annotations

import colorsys

from hub.errors import ToolError

# sRGB (D65) to CIE XYZ, the standard matrix of IEC 61966-2-1
_M = ((0.4124, 0.3576, 0.1805), (0.2126, 0.7152, 0.0722), (0.0193, 0.1192, 0.9505))
_WHITE = (0.3127, 0.329)


def _linear(channel: float) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def rgb_to_xy(r: float, g: float, b: float) -> tuple[float, float]:
    lin = (_linear(r), _linear(g), _linear(b))
    x, y, z = (sum(m * c for m, c in zip(row, lin)) for row in _M)
    total = x + y + z
    if total <= 0:
        return _WHITE  # black has no chromaticity: white point, brightness says the rest
    return round(x / total, 4), round(y / total, 4)


def rgb_to_hs(r: float, g: float, b: float) -> tuple[float, float]:
    h, s, _v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
    return round(h * 360, 1), round(s * 100, 1)


def hs_to_rgb(hue: float, saturation: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb((hue % 360) / 360, saturation / 100, 1.0)
    return round(r * 255), round(g * 255), round(b * 255)


def name_to_rgb(name: str) -> tuple[int, int, int]:
    """A CSS colour name (as Home Assistant's ``color_name`` takes) as RGB."""
    from PIL import ImageColor  # imported on first use: hub start-up stays lean

    try:
        rgb = ImageColor.getrgb(name.replace(" ", ""))
    except ValueError:
        raise ToolError(f"color_name: unknown colour {name!r}; use a CSS colour name such "
                        "as 'red', 'orange' or 'lightblue'") from None
    return int(rgb[0]), int(rgb[1]), int(rgb[2])
