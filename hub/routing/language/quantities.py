"""The quantities an utterance mentions: percentages, degrees, kelvin, colours, times.

This module only reads: it finds "30 percent", "72 degrees f", "warm white", "halfway",
"for 10 minutes" and "code 1234" in normalised text, without deciding what they are for.
`hub.routing.language.arguments` maps them onto a tool's fields once the domain is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.routing.language.colours import COLOURS, WHITES

_NUMBER = r"(\d+(?:\.\d+)?)"
_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "moment": 1}
_UNIT = r"(seconds?|minutes?|hours?)"
_FRACTIONS = (
    (r"\bthree quarters?\b|\b3 quarters?\b", 75.0),
    (r"\b(?:half ?way|half open|half closed|half|50 50)\b", 50.0),
    (r"\b(?:a |1 |one )?quarter\b", 25.0),
    (r"\b(?:a |1 )?third\b", 33.0),
)
_FULL = r"\b(?:full|fully|maximum|max|100 percent|all the way|brightest|highest)\b"
_LOWEST = r"\b(?:minimum|lowest|dimmest|min)\b"
_SPEEDS = {"low": 33.0, "lowest": 33.0, "medium": 66.0, "mid": 66.0, "high": 100.0,
           "highest": 100.0, "full": 100.0, "max": 100.0, "maximum": 100.0}  # fmt: skip
# Mode words, heard as modes only after "to"/"into"/"on" or before "mode": "cool the
# bedroom down" is a temperature change, "set the ac to cooling" a mode.
_HVAC = (
    ("heat (?:and|or) cool|heat cool", "heat_cool"),
    ("fan only|fan", "fan_only"),
    ("heat|heating", "heat"),
    ("cool|cooling|air conditioning", "cool"),
    ("auto|automatic", "auto"),
    ("dry|dehumidify|dehumidifying", "dry"),
    ("eco", "eco"),
    ("off", "off"),
)
_ALARM_MODES = (
    (r"\b(?:away|leaving|out)\b", "away"),
    (r"\b(?:night|sleep|bedtime)\b", "night"),
    (r"\b(?:home|stay|staying|in the house)\b", "home"),
    (r"\b(?:vacation|holiday)\b", "vacation"),
)


PATTERN_TEXTS: tuple[str, ...] = (
    *(p for p, _ in _FRACTIONS),
    _FULL,
    _LOWEST,
    *_SPEEDS,
    *(w for w, _ in _HVAC),
    *(p for p, _ in _ALARM_MODES),
    "degrees celsius fahrenheit centigrade kelvin percent",
    "seconds minutes hours position brightness volume speed code",
)


@dataclass(frozen=True, slots=True)
class Quantities:
    """What was found; None where nothing was said."""

    percent: float | None = None
    """An absolute percentage: "to 30 percent", "halfway", "full brightness"."""
    step: float | None = None
    """A relative percentage: "by 20 percent" (unsigned; the verb gives the sign)."""
    number: float | None = None
    """A bare number: "set it to 21", "volume 4"."""
    degrees: float | None = None
    degree_unit: str = ""
    """"c", "f" or "" when only "degrees" was said."""
    kelvin: int | None = None
    colour: str | None = None
    speed: float | None = None
    """A fan speed word as a percentage: low 33, medium 66, high 100."""
    hvac_mode: str | None = None
    alarm_mode: str | None = None
    duration: float | None = None
    """Seconds: "for 10 minutes"."""
    transition: float | None = None
    """Seconds: "over 30 seconds", "fade ... slowly"."""
    delay: float | None = None
    """Seconds: "in 5 minutes"."""
    code: str | None = None
    low: float | None = None
    high: float | None = None
    """A temperature range: "between 18 and 22", "the low to 65 and the high to 72"."""
    range_unit: str = ""
    preset: str | None = None
    """A climate preset: "eco", "away", "sleep", "boost", "comfort", "home"."""
    fan_mode: str | None = None
    """A climate fan mode: "fan to auto", "fan on high"."""
    flash: str | None = None
    """ "flash the lights": long, or short for "a quick flash"."""
    mentions_position: bool = False
    mentions_brightness: bool = False
    mentions_volume: bool = False
    mentions_speed: bool = False
    mentions_humidity: bool = False
    mentions_colour: bool = False



def _seconds(text: str, lead: str) -> tuple[float, str] | None:
    """ "for 10 minutes", "for half an hour", "over a minute": seconds and the words said."""
    # (pattern, group holding the count or "" for one, group holding the unit, factor)
    forms: tuple[tuple[str, int, int, float], ...] = (
        (rf"\b{lead} {_NUMBER} {_UNIT}", 1, 2, 1.0),
        (rf"\b{lead} (?:an?|1) (minute|hour) and a half\b", 0, 1, 1.5),
        (rf"\b{lead} half an? (hour|minute)\b", 0, 1, 0.5),
        (rf"\b{lead} (?:an?|1) (second|minute|hour)\b", 0, 1, 1.0),
    )
    for pattern, count, unit, factor in forms:
        match = re.search(pattern, text)
        if match:
            amount = float(match.group(count)) if count else 1.0
            return amount * factor * _unit(match.group(unit)), match.group(0)
    return None


def _unit(word: str) -> int:
    return _SECONDS[word.rstrip("s")]


_TEMP = rf"{_NUMBER} ?(?:degrees? )?(c|f|celsius|centigrade|fahrenheit)?"
_RANGES = (
    re.compile(rf"\bbetween (?:low )?{_TEMP} and (?:high )?{_TEMP}"),
    re.compile(rf"\bfrom {_TEMP} (?:to|up to) {_TEMP}"),
    re.compile(rf"\bto {_TEMP} and {_TEMP}"),
)
_LOW = r"\b(?:low|lowest|minimum|min|bottom|lower)\b"
_HIGH = r"\b(?:high|highest|maximum|max|top|upper)\b"


def _range(text: str) -> tuple[float, float, str] | None:
    """A (low, high, unit) temperature range, if one is said."""
    for pattern in _RANGES:
        match = pattern.search(text)
        if match:
            a, b = float(match.group(1)), float(match.group(3))
            unit = (match.group(2) or match.group(4) or "")[:1]
            return min(a, b), max(a, b), unit
    low = re.search(rf"{_LOW}(?: \w+){{0,6}}? {_TEMP}", text)
    high = re.search(rf"{_HIGH}(?: \w+){{0,6}}? {_TEMP}", text)
    if low and high and low.group(1) != high.group(1):
        unit = (low.group(2) or high.group(2) or "")[:1]
        return float(low.group(1)), float(high.group(1)), unit
    return None


def _longest(table: dict[str, str] | dict[str, int], text: str) -> str | None:
    found = [name for name in table if re.search(rf"\b{name}\b", text)]
    return max(found, key=len) if found else None


def read(text: str) -> Quantities:
    """Read every quantity in normalised `text`."""
    values: dict[str, object] = {}
    rest = text

    white = _longest(dict(WHITES), rest)
    if white is not None:
        values["kelvin"] = WHITES[white]
        rest = re.sub(rf"\b{white}\b", " ", rest)
    match = re.search(rf"\b{_NUMBER} ?(?:k|kelvin)\b", rest)
    if match and float(match.group(1)) >= 1000:
        values["kelvin"] = int(float(match.group(1)))
        rest = rest.replace(match.group(0), " ")

    for lead, key in (("for", "duration"), ("over", "transition"), ("in", "delay")):
        found = _seconds(rest, lead)
        if found is not None:
            values[key] = found[0]
            rest = rest.replace(found[1], " ")

    match = re.search(r"\bcode (?:is )?(\d{3,8})\b", rest) or re.search(
        r"\b(\d{4,8}) (?:is the )?code\b", rest
    )
    if match:
        values["code"] = match.group(1)
        rest = rest.replace(match.group(0), " ")

    found_range = _range(rest)
    if found_range is not None:
        values["low"], values["high"], values["range_unit"] = found_range
        rest = re.sub(rf"\b{_NUMBER}\b", " ", rest)
    match = re.search(r"\b(eco|away|sleep|boost|comfort|home|vacation) (?:mode|preset)\b"
                      r"|\bpreset (?:to |mode to )?(eco|away|sleep|boost|comfort|home|none)\b", rest)
    if match:
        values["preset"] = match.group(1) or match.group(2)
    match = re.search(r"\bfan (?:mode )?(?:to |on |at )?(auto|low|medium|high|on|off|diffuse|quiet)\b", rest)
    if match:
        values["fan_mode"] = match.group(1)
    if re.search(r"\b(?:flash|blink|strobe)\w*\b", rest):
        values["flash"] = "short" if re.search(r"\b(?:quick|short|once|briefly)\b", rest) else "long"
    # "by 2 degrees", "by 20 percent": a step, whatever its unit.
    match = re.search(rf"\bby {_NUMBER}(?: (?:percent|pct|points?|degrees?)\b)?", rest)
    if match:
        values["step"] = float(match.group(1))
        rest = rest.replace(match.group(0), " ")
    match = re.search(rf"\b{_NUMBER} (?:degrees? )?(c|f|celsius|centigrade|fahrenheit)\b", rest)
    if match:
        values["degrees"] = float(match.group(1))
        values["degree_unit"] = "f" if match.group(2).startswith("f") else "c"
        rest = rest.replace(match.group(0), " ")
    else:
        match = re.search(rf"\b{_NUMBER} degrees?\b", rest)
        if match:
            values["degrees"] = float(match.group(1))
            rest = rest.replace(match.group(0), " ")

    match = re.search(rf"\b{_NUMBER} ?(?:percent|pct)\b", rest)
    if match:
        values["percent"] = float(match.group(1))
        rest = rest.replace(match.group(0), " ")
    elif re.search(_FULL, rest):
        values["percent"] = 100.0
    elif re.search(_LOWEST, rest):
        values["percent"] = 1.0
    else:
        for pattern, value in _FRACTIONS:
            if re.search(pattern, rest):
                values["percent"] = value
                break

    numbers = re.findall(rf"\b{_NUMBER}\b", rest)
    if numbers:
        values["number"] = float(numbers[-1])

    # "the bedroom light blue": "light" names the lamp, the colour is blue.
    rest_for_colour = re.sub(
        r"(?<=\w )(?<!\bto )(?<!\ba )(?<!\bit )(?<!\bin )(?<!\bbe )(?<!\bof )"
        r"\b(light|lights|lamp) (?=\w)",
        r"\1 _ ",
        rest,
    )
    colour = _longest(dict(COLOURS), rest_for_colour)
    if colour is not None:
        values["colour"] = COLOURS[colour]

    match = re.search(r"\b(low|lowest|medium|mid|high|highest|full|max|maximum)\b", rest)
    if match:
        values["speed"] = _SPEEDS[match.group(1)]
    for words, mode in _HVAC:
        if re.search(
            rf"\b(?:(?:to|into) (?:the )?|on )(?:{words})(?: only)?\b|\b(?:{words}) mode\b", rest
        ):
            values["hvac_mode"] = mode
            break
    for pattern, mode in _ALARM_MODES:
        if re.search(pattern, rest):
            values["alarm_mode"] = mode
            break

    return Quantities(
        mentions_position=bool(re.search(r"\b(?:position|way|open|closed|halfway)\b", text)),
        mentions_brightness=bool(re.search(r"\b(?:brightness|bright|brighter|dim)\b", text)),
        mentions_volume=bool(re.search(r"\b(?:volume|loud|louder|quieter|quiet)\b", text)),
        mentions_speed=bool(re.search(r"\bspeed\b", text)),
        mentions_humidity=bool(re.search(r"\bhumidity\b", text)),
        mentions_colour=bool(re.search(r"\bcolou?rs?\b", text)),

        **values,  # type: ignore[arg-type]
    )
