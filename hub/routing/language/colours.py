"""Colour words and white tones, as Home Assistant's `color_name` and `color_temp_kelvin`.

`COLOURS` maps what people say to a CSS colour name (the values `light.turn_on` accepts as
`color_name`); `WHITES` maps named white tones to a colour temperature in kelvin, the way
bulbs are sold ("warm white" 2700 K, "daylight" 6500 K).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

COLOURS: Mapping[str, str] = MappingProxyType({
    "red": "red", "dark red": "darkred", "crimson": "crimson", "maroon": "maroon",
    "scarlet": "red", "ruby": "crimson", "burgundy": "maroon",
    "orange": "orange", "dark orange": "darkorange", "amber": "orange", "coral": "coral",
    "salmon": "salmon", "tomato": "tomato", "peach": "peachpuff", "apricot": "orange",
    "yellow": "yellow", "gold": "gold", "golden": "gold", "lemon": "yellow",
    "light yellow": "lightyellow", "khaki": "khaki",
    "green": "green", "light green": "lightgreen", "dark green": "darkgreen",
    "lime": "lime", "lime green": "limegreen", "forest green": "forestgreen",
    "sea green": "seagreen", "olive": "olive", "mint": "mediumspringgreen",
    "spring green": "springgreen", "emerald": "mediumseagreen", "chartreuse": "chartreuse",
    "teal": "teal", "turquoise": "turquoise", "cyan": "cyan", "aqua": "aqua",
    "aquamarine": "aquamarine",
    "blue": "blue", "light blue": "lightblue", "dark blue": "darkblue", "navy": "navy",
    "navy blue": "navy", "sky blue": "skyblue", "baby blue": "lightblue",
    "royal blue": "royalblue", "midnight blue": "midnightblue", "steel blue": "steelblue",
    "azure": "azure", "cobalt": "blue",
    "purple": "purple", "violet": "violet", "indigo": "indigo", "lavender": "lavender",
    "lilac": "plum", "plum": "plum", "orchid": "orchid", "mauve": "plum",
    "magenta": "magenta", "fuchsia": "fuchsia",
    "pink": "pink", "hot pink": "hotpink", "deep pink": "deeppink", "light pink": "lightpink",
    "rose": "pink",
    "white": "white", "beige": "beige", "ivory": "ivory", "brown": "brown",
    "chocolate": "chocolate", "tan": "tan", "silver": "silver", "gray": "gray",
})  # fmt: skip

WHITES: Mapping[str, int] = MappingProxyType({
    "candlelight": 1900, "candle light": 1900, "extra warm white": 2200,
    "warm white": 2700, "warm light": 2700, "soft white": 3000,
    "neutral white": 4000, "natural white": 4000,
    "cool white": 5000, "cold white": 5000, "bright white": 5000,
    "daylight": 6500, "day light": 6500,
})  # fmt: skip
