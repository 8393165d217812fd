"""The numeric_state trigger: a capability's value (its state, an attribute, or a
template of it) crosses into the range above/below, optionally held `for:` a while.
It fires on the crossing: a value already in range when attached fires only after it
leaves the range and comes back (Home Assistant's rule).

    triggers:
      - trigger: numeric_state
        entity_id: sensor.living_room_temperature
        above: 25
        for: {minutes: 10}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.automations import (
    Detach,
    TriggerAction,
    TriggerEvent,
    TriggerInfo,
    read_duration,
    section,
    state_dict,
    timedelta_dict,
)
from hub.automations.conditions import limit, numeric_between
from hub.automations.holds import Hold
from hub.errors import AtmosphereError
from hub.events import StateChanged
from hub.located import Located, Problems

if TYPE_CHECKING:
    from hub.runtime import Hub


@dataclass(frozen=True, slots=True)
class Config:
    entity_ids: tuple[str, ...]
    above: float | str | None
    below: float | str | None
    attribute: str | None = None
    value_template: str | None = None
    hold: float = 0.0


def validate(raw: Located) -> Config:
    problems = Problems()
    top = section(raw, problems, ("entity_id", "above", "below", "attribute",
                                  "value_template", "for"))
    entity_ids = top.texts("entity_id")
    if not entity_ids:
        problems.add(raw, "numeric_state trigger: 'entity_id' is required")
    above, below = limit(top, "above"), limit(top, "below")
    if above is None and below is None:
        problems.add(raw, "numeric_state trigger: give 'above', 'below' or both")
    if isinstance(above, float) and isinstance(below, float) and above >= below:
        problems.add(raw, f"'above' ({above:g}) must be less than 'below' ({below:g}): a value "
                          "can never be above and below those at once; you probably want "
                          "two different triggers")
    hold = top.get("for")
    seconds = read_duration(hold, problems) if hold is not None else 0.0
    config = Config(entity_ids, above, below, top.optional_text("attribute"),
                    top.optional_text("value_template"), seconds or 0.0)
    problems.raise_if_any()
    return config


async def attach(hub: Hub, config: Config, action: TriggerAction, info: TriggerInfo) -> Detach:
    engine = hub.automations
    registry = hub.registry

    def limit_value(value: float | str | None) -> float | None:
        if value is None or isinstance(value, float):
            return value
        capability = registry.find(value)
        state: Any = capability.state.get("state") if capability is not None else None
        try:
            return float(state) if state is not None else None
        except (TypeError, ValueError):
            return None

    def matches(state: dict[str, Any]) -> bool:
        raw: Any = state["attributes"].get(config.attribute) if config.attribute else \
            state["state"]
        if config.value_template is not None:
            try:
                raw = engine.renderer.text(config.value_template, {"state": state})
            except AtmosphereError:
                return False
        return numeric_between(raw, limit_value(config.above), limit_value(config.below))

    def fire(variables: dict[str, Any]) -> None:
        engine.spawn(action(TriggerEvent(variables, f"numeric state of {variables['entity_id']}")))

    hold = Hold(engine, info, config.hold, fire) if config.hold else None

    def on_change(event: StateChanged) -> None:
        capability = registry.find(event.capability_id)
        name = capability.name if capability is not None else ""
        old = state_dict(event.capability_id, event.old, True, name)
        new = state_dict(event.capability_id, event.new, True, name)
        now_in = matches(new)
        if not now_in:
            if hold is not None:
                hold.stop(event.capability_id)
            return
        if matches(old) or (hold is not None and hold.holding(event.capability_id)):
            return  # no crossing
        variables = {"entity_id": event.capability_id, "from_state": old, "to_state": new,
                     "above": config.above, "below": config.below,
                     "for": timedelta_dict(config.hold) if config.hold else None}
        if hold is not None:
            hold.start(event.capability_id, variables)
        else:
            fire(variables)

    cancels = [engine.dispatch.on_state(e, on_change) for e in config.entity_ids]
    if hold is not None:
        def still(entity_id: str) -> bool:
            capability = registry.find(entity_id)
            return capability is not None and matches(
                state_dict(entity_id, capability.state, True))

        hold.restore(still)

    def detach() -> None:
        for cancel in cancels:
            cancel()
        cancels.clear()
        if hold is not None:
            hold.detach()

    return detach
