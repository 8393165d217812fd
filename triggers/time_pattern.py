"""The time_pattern trigger: when the hub's local time matches a pattern, e.g. every five
minutes (``minutes: "/5"``). Each of hours, minutes, seconds is a number, ``"*"`` or
``"/N"``; smaller units left out are 0 when a larger one is given (Home Assistant's rule).

    triggers:
      - trigger: time_pattern
        minutes: "/5"
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub.automations import Detach, TriggerAction, TriggerEvent, TriggerInfo, section
from hub.located import Located, Problems

if TYPE_CHECKING:
    from hub.runtime import Hub

_RANGES = {"hours": 24, "minutes": 60, "seconds": 60}


@dataclass(frozen=True, slots=True)
class Config:
    hours: tuple[int, ...]
    minutes: tuple[int, ...]
    seconds: tuple[int, ...]


def _values(key: str, value: Any, problems: Problems, raw: Located) -> tuple[int, ...]:
    size = _RANGES[key]
    text = str(value).strip()
    if text == "*":
        return tuple(range(size))
    try:
        if text.startswith("/"):
            step = int(text[1:])
            if step <= 0:
                raise ValueError
            return tuple(range(0, size, step))
        number = int(text)
        if not 0 <= number < size:
            raise ValueError
        return (number,)
    except ValueError:
        problems.add(raw.get(key) or raw, f"time_pattern: {key}: expected 0..{size - 1}, "
                                          f"'*' or '/N', got {value!r}")
        return (0,)


def validate(raw: Located) -> Config:
    problems = Problems()
    top = section(raw, problems, ("hours", "minutes", "seconds"))
    given = {k: top.get(k) for k in _RANGES}
    if all(v is None for v in given.values()):
        problems.add(raw, "time_pattern: give hours, minutes or seconds")
    hours = given["hours"].value if given["hours"] is not None else "*"
    minutes: Any = given["minutes"].value if given["minutes"] is not None else (
        0 if given["hours"] is not None else "*")
    seconds: Any = given["seconds"].value if given["seconds"] is not None else 0
    config = Config(_values("hours", hours, problems, raw),
                    _values("minutes", minutes, problems, raw),
                    _values("seconds", seconds, problems, raw))
    problems.raise_if_any()
    return config


def next_match(config: Config, now: datetime) -> datetime:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in range(2):
        base = day + timedelta(days=offset)
        for hour in config.hours:
            for minute in config.minutes:
                for second in config.seconds:
                    candidate = base.replace(hour=hour, minute=minute, second=second)
                    if candidate > now:
                        return candidate
    raise AssertionError("a pattern matches every day")  # pragma: no cover


async def attach(hub: Hub, config: Config, action: TriggerAction, info: TriggerInfo) -> Detach:
    engine = hub.automations
    cancel: list[Callable[[], None]] = []

    def schedule() -> None:
        due = next_match(config, hub.clock.now().astimezone())

        def fire() -> None:
            engine.spawn(action(TriggerEvent({"now": due.isoformat()}, "time pattern")))
            schedule()

        cancel[:] = [engine.timers.call_at_wall(due.timestamp(), fire)]

    schedule()

    def detach() -> None:
        for one in cancel:
            one()
        cancel.clear()

    return detach
