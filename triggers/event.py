"""The event trigger: an event on the hub's bus, by Home Assistant style name:
``state_changed``, ``trigger_fired``, ``capability_added``, ``availability_changed``...,
and the names fired by the `event` action. ``event_data`` must be a subset of the data.

    triggers:
      - trigger: event
        event_type: doorbell_pressed
        event_data: {button: front}

Variables: ``trigger.event.event_type``, ``trigger.event.data``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hub.automations import Detach, TriggerAction, TriggerEvent, TriggerInfo, section
from hub.located import Located, Problems, as_mapping

if TYPE_CHECKING:
    from hub.runtime import Hub


@dataclass(frozen=True, slots=True)
class Config:
    event_types: tuple[str, ...]
    event_data: Mapping[str, Any] = field(default_factory=dict)


def validate(raw: Located) -> Config:
    problems = Problems()
    top = section(raw, problems, ("event_type", "event_data", "context"))
    if top.get("context") is not None:
        problems.add(top.get("context") or raw, "event trigger: 'context' is not supported "
                                                "(events carry no user context here)")
    types = top.texts("event_type")
    if not types:
        problems.add(raw, "event trigger: 'event_type' is required")
    data_node = top.get("event_data")
    data = data_node.plain() if data_node is not None and as_mapping(data_node, problems) else {}
    config = Config(types, data or {})
    problems.raise_if_any()
    return config


def contains(data: Any, wanted: Any) -> bool:
    if isinstance(wanted, Mapping):
        return isinstance(data, Mapping) and all(
            k in data and contains(data[k], v) for k, v in wanted.items())
    return bool(data == wanted)


async def attach(hub: Hub, config: Config, action: TriggerAction, info: TriggerInfo) -> Detach:
    engine = hub.automations

    def on_event(name: str, data: dict[str, Any]) -> None:
        if config.event_data and not contains(data, config.event_data):
            return
        engine.spawn(action(TriggerEvent({"event": {"event_type": name, "data": data}},
                                         f"event '{name}'")))

    cancels = [engine.dispatch.on_event(name, on_event) for name in config.event_types]

    def detach() -> None:
        for cancel in cancels:
            cancel()

    return detach
