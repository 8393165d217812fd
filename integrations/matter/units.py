"""Matter's units to Home Assistant's, exactly as the Matter specification defines them.

Colour maths here is a small local helper (xy from RGB); it will move to the shared colour
module when that lands."""

from __future__ import annotations

import math
from typing import Any


def number(value: Any) -> float | None:
    """A reading, or None for null / not a finite number (an unknown measurement)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def scaled(value: Any, divisor: float, digits: int = 2) -> float | None:
    reading = number(value)
    return None if reading is None else round(reading / divisor, digits)


def illuminance_lux(value: Any) -> float | None:
    """MeasuredValue = 10,000 x log10(lux) + 1; 0 means too dark to measure."""
    reading = number(value)
    if reading is None:
        return None
    if reading <= 0:
        return 0.0
    return round(10 ** ((reading - 1) / 10000), 2)


def level_to_brightness(level: Any) -> int | None:
    """LevelControl's CurrentLevel 0..254 to Home Assistant's brightness 0..255."""
    reading = number(level)
    return None if reading is None else round(max(0.0, min(254.0, reading)) * 255 / 254)


def pct_to_level(pct: float) -> int:
    return max(0, min(254, round(pct * 254 / 100)))


def brightness_to_level(brightness: float) -> int:
    return max(0, min(254, round(brightness * 254 / 255)))


def mireds_to_kelvin(mireds: Any) -> int | None:
    reading = number(mireds)
    return None if reading is None or reading <= 0 else round(1_000_000 / reading)


def kelvin_to_mireds(kelvin: float) -> int:
    return max(1, min(65279, round(1_000_000 / kelvin)))


def rgb_to_xy(red: float, green: float, blue: float) -> tuple[float, float]:
    """sRGB (0..255) to CIE 1931 xy (wide-gamut D65 matrix), rounded to 4 places."""
    def linear(c: float) -> float:
        c /= 255
        return ((c + 0.055) / 1.055) ** 2.4 if c > 0.04045 else c / 12.92
    r, g, b = linear(red), linear(green), linear(blue)
    x = r * 0.4124 + g * 0.3576 + b * 0.1805
    y = r * 0.2126 + g * 0.7152 + b * 0.0722
    z = r * 0.0193 + g * 0.1192 + b * 0.9505
    total = x + y + z
    if total == 0:
        return (0.3127, 0.3290)  # black has no chromaticity: the white point
    return (round(x / total, 4), round(y / total, 4))


def percent100ths_to_position(value: Any) -> int | None:
    """WindowCovering's 0 (open) .. 10000 (closed) to HA's position 0 (closed) .. 100."""
    reading = number(value)
    return None if reading is None else round(100 - reading / 100)
