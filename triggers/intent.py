"""The intent trigger: a device trigger fires whose intent text is close in meaning to a
phrase. Device triggers carry an intent text ("person at front door", from the trigger's
template); this matches it against the phrase with the router's embedding model:

    triggers:
      - trigger: intent
        phrase: someone is at the door       # or a list of phrases
        threshold: 0.5                       # cosine similarity; the default is measured
        capability: camera.front_door        # optional: only this capability's triggers

Variables: ``trigger.intent`` (the event's text), ``trigger.phrase`` (the one matched),
``trigger.similarity``, ``trigger.capability`` (and ``trigger.entity_id``),
``trigger.name``, ``trigger.payload``, ``trigger.priority``, ``trigger.area``.
The model loads when the first device trigger arrives, not at start (docs/agents.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.automations import Detach, TriggerAction, TriggerEvent, TriggerInfo, section
from hub.automations.intents import DEFAULT_THRESHOLD
from hub.events import TriggerFired
from hub.located import Located, Problems

if TYPE_CHECKING:
    from hub.runtime import Hub


@dataclass(frozen=True, slots=True)
class Config:
    phrases: tuple[str, ...]
    threshold: float = DEFAULT_THRESHOLD
    capability: str = ""


def validate(raw: Located) -> Config:
    problems = Problems()
    top = section(raw, problems, ("phrase", "threshold", "capability"))
    phrases = top.texts("phrase")
    if not phrases and top.get("phrase") is None:
        problems.add(raw, "intent trigger: 'phrase' is required (what the event should mean, "
                          "e.g. 'someone is at the door')")
    config = Config(phrases, top.number("threshold", DEFAULT_THRESHOLD, low=0, high=1),
                    top.text("capability", ""))
    problems.raise_if_any()
    return config


async def attach(hub: Hub, config: Config, action: TriggerAction, info: TriggerInfo) -> Detach:
    engine = hub.automations

    def matched(phrase: str) -> Callable[[TriggerFired, str, float], None]:
        def fire(event: TriggerFired, text: str, similarity: float) -> None:
            if config.capability and event.capability_id != config.capability:
                return
            capability = hub.registry.find(event.capability_id)
            variables = {"capability": event.capability_id, "entity_id": event.capability_id,
                         "name": event.trigger, "payload": dict(event.payload),
                         "intent": text, "phrase": phrase,
                         "similarity": round(similarity, 3), "priority": event.priority,
                         "area": capability.area if capability is not None else ""}
            engine.spawn(action(TriggerEvent(variables, f"'{text}' means '{phrase}'")))

        return fire

    cancels = [engine.intents.add(phrase, config.threshold, matched(phrase))
               for phrase in config.phrases]

    def detach() -> None:
        for cancel in cancels:
            cancel()

    return detach
