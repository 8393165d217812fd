"""The hub's start and shutdown, in Home Assistant's words (``trigger: homeassistant``,
``event: start`` or ``shutdown``); ``trigger: atmosphere`` is the same.

Start fires once every automation is attached; shutdown fires when the hub begins to
stop, and its runs get a few seconds (SHUTDOWN_GRACE) to finish.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.automations import Detach, TriggerAction, TriggerEvent, TriggerInfo, section
from hub.located import Located, Problems

if TYPE_CHECKING:
    from hub.runtime import Hub

EVENTS = ("start", "shutdown")


@dataclass(frozen=True, slots=True)
class Config:
    event: str


def validate(raw: Located) -> Config:
    problems = Problems()
    top = section(raw, problems, ("event",))
    event = top.text("event", "")
    if event not in EVENTS:
        problems.add(top.get("event") or raw, f"'event' must be one of {', '.join(EVENTS)}, "
                                              f"got {event or 'nothing'!r}")
    problems.raise_if_any()
    return Config(event)


async def attach(hub: Hub, config: Config, action: TriggerAction, info: TriggerInfo) -> Detach:
    engine = hub.automations

    def on_event() -> None:
        engine.spawn(action(TriggerEvent({"event": config.event}, f"hub {config.event}")))

    return engine.dispatch.on_lifecycle(config.event, on_event)
