"""Home Assistant's ways of writing a duration: ``30`` (seconds), ``"00:05:00"``,
``"05:00"`` (hours and minutes), ``{minutes: 5, seconds: 3}``, or a template that renders
one of those (only where Home Assistant allows it at run time: `delay`, `timeout`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hub.located import Located, Problems

_UNITS = {"days": 86400.0, "hours": 3600.0, "minutes": 60.0, "seconds": 1.0,
          "milliseconds": 0.001}
_CLOCK = re.compile(r"^\s*(-)?(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?\s*$")


def parse_duration(value: Any) -> float:
    """Seconds from a duration as written; ValueError saying what is accepted."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration, got {value}")  # noqa: TRY004
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"a duration cannot be negative ({value})")
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return parse_duration(float(text))
        except ValueError:
            pass
        match = _CLOCK.match(text)
        if match is None or match.group(1):
            raise ValueError(
                f"expected a duration such as 30, '00:05:00' or {{minutes: 5}}, got {value!r}"
            )
        hours, minutes, seconds = match.group(2), match.group(3), match.group(4)
        if seconds is None:  # "HH:MM", as Home Assistant reads it
            return int(hours) * 3600.0 + int(minutes) * 60.0
        return int(hours) * 3600.0 + int(minutes) * 60.0 + float(seconds)
    if isinstance(value, Mapping):
        total = 0.0
        for key, amount in value.items():
            unit = _UNITS.get(key)
            if unit is None:
                raise ValueError(f"unknown duration unit {key!r}; use {', '.join(_UNITS)}")
            if isinstance(amount, bool) or not isinstance(amount, (int, float)):
                raise ValueError(f"{key}: expected a number, got {amount!r}")  # noqa: TRY004
            total += float(amount) * unit
        if total < 0:
            raise ValueError("a duration cannot be negative")
        return total
    raise ValueError(f"expected a duration, got {value!r}")


def is_template(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def read_duration(node: Located, problems: Problems, *, template: bool = False) -> Any:
    """Seconds, or the template text when `template` allows one; None after a problem."""
    value = node.plain()
    if is_template(value):
        if template:
            return value
        problems.add(node, "a template is not supported here; write a fixed duration")
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        problems.add(node, str(exc))
        return None


def timedelta_dict(seconds: float) -> dict[str, Any]:
    """What `trigger.for` and `wait.remaining` look like in a template."""
    whole = int(seconds)
    text = f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    return {"seconds": whole, "total_seconds": seconds, "text": text}
