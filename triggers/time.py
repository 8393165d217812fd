"""The time trigger: every day at given times of the hub's local time zone.

    triggers:
      - trigger: time
        at: ["07:00:00", "19:30"]

A time taken from an entity (``at: input_datetime.wake_up``) or with an offset is not
supported and is refused by name. Times missed while the hub was down are not caught up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from hub.automations import Detach, TriggerAction, TriggerEvent, TriggerInfo, section
from hub.automations.conditions import parse_time
from hub.located import Located, Problems, as_list

if TYPE_CHECKING:
    from hub.runtime import Hub


@dataclass(frozen=True, slots=True)
class Config:
    at: tuple[time, ...]


def validate(raw: Located) -> Config:
    problems = Problems()
    top = section(raw, problems, ("at", "weekday"))
    if top.get("weekday") is not None:
        problems.add(top.get("weekday") or raw, "time trigger: 'weekday' is not supported; "
                                                "add a time condition with weekday")
    node = top.get("at")
    times: list[time] = []
    if node is None:
        problems.add(raw, "time trigger: 'at' is required")
    for item in as_list(node, problems) if node is not None else ():
        if item.is_mapping or (isinstance(item.value, str) and "." in item.value
                               and ":" not in item.value):
            problems.add(item, "time trigger: a time from an entity (input_datetime, sensor) "
                               "or with an offset is not supported; write a time such as "
                               "'07:00:00'")
            continue
        try:
            times.append(parse_time(str(item.value)))
        except ValueError:
            problems.add(item, f"time trigger: expected a time such as '07:00:00', got "
                               f"{item.describe()}")
    problems.raise_if_any()
    return Config(tuple(times))


def next_time(now: datetime, at: time) -> datetime:
    candidate = now.replace(hour=at.hour, minute=at.minute, second=at.second,
                            microsecond=at.microsecond)
    return candidate if candidate > now else candidate + timedelta(days=1)


async def attach(hub: Hub, config: Config, action: TriggerAction, info: TriggerInfo) -> Detach:
    engine = hub.automations
    cancels: dict[time, object] = {}

    def schedule(at: time) -> None:
        now = hub.clock.now().astimezone()
        due = next_time(now, at)

        def fire() -> None:
            engine.spawn(action(TriggerEvent({"now": due.isoformat()}, f"time {at}")))
            schedule(at)

        cancels[at] = engine.timers.call_at_wall(due.timestamp(), fire)

    for at in config.at:
        schedule(at)

    def detach() -> None:
        for cancel in cancels.values():
            cancel()  # type: ignore[operator]
        cancels.clear()

    return detach
