"""The capability trigger: a device trigger of a capability fires (`TriggerFired`), e.g. a
camera's ``person_detected`` or a button's ``single``. Capability ids contain dots, so
the capability and the trigger name are separate keys:

    triggers:
      - trigger: capability
        capability: camera.front_door
        name: person_detected

Variables: ``trigger.capability`` (and ``trigger.entity_id``), ``trigger.name``,
``trigger.payload``, ``trigger.intent``, ``trigger.priority``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.automations import Detach, TriggerAction, TriggerEvent, TriggerInfo, section
from hub.events import TriggerFired
from hub.located import Located, Problems

if TYPE_CHECKING:
    from hub.runtime import Hub


@dataclass(frozen=True, slots=True)
class Config:
    capability: str
    name: str


def validate(raw: Located) -> Config:
    problems = Problems()
    top = section(raw, problems, ("capability", "name"))
    config = Config(top.text("capability", ""), top.text("name", ""))
    for key in ("capability", "name"):
        if not getattr(config, key) and top.get(key) is None:
            problems.add(raw, f"capability trigger: '{key}' is required")
    problems.raise_if_any()
    return config


async def attach(hub: Hub, config: Config, action: TriggerAction, info: TriggerInfo) -> Detach:
    engine = hub.automations

    def on_fired(event: TriggerFired) -> None:
        variables = {"capability": event.capability_id, "entity_id": event.capability_id,
                     "name": event.trigger, "payload": dict(event.payload),
                     "intent": event.intent, "priority": event.priority}
        engine.spawn(action(TriggerEvent(variables, f"{event.trigger} of {event.capability_id}")))

    return engine.dispatch.on_fired(config.capability, config.name, on_fired)
