"""The state trigger: a capability's state (or one attribute) changes, optionally from/to
given values, optionally held `for:` a while (durable: see hub/automations/holds.py).

    triggers:
      - trigger: state
        entity_id: [binary_sensor.hall_motion]
        from: "off"
        to: "on"
        for: "00:02:00"

``to: ~`` (written, empty) fires on state changes only, not on attribute changes; with no
from/to at all, any change fires, attributes included (Home Assistant's rule).
"""

from __future__ import annotations

from collections.abc import Callable
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
from hub.automations.holds import Hold
from hub.events import StateChanged
from hub.located import Located, Problems, as_list

if TYPE_CHECKING:
    from hub.runtime import Hub

_ANY: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Config:
    entity_ids: tuple[str, ...]
    from_: tuple[str | None, ...] | None
    to: tuple[str | None, ...] | None
    not_from: tuple[str, ...] = ()
    not_to: tuple[str, ...] = ()
    attribute: str | None = None
    hold: float = 0.0
    states_only: bool = False
    """`to: ~` or `from: ~`: attribute-only changes do not fire."""


def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _values(node: Located | None, problems: Problems) -> tuple[str | None, ...] | None:
    if node is None or node.is_null:
        return None
    return tuple(text(item.value) for item in as_list(node, problems))


def validate(raw: Located) -> Config:
    problems = Problems()
    top = section(raw, problems, ("entity_id", "from", "to", "not_from", "not_to",
                                  "attribute", "for", "match"))
    entity_ids = top.texts("entity_id")
    if not entity_ids:
        problems.add(raw, "state trigger: 'entity_id' is required")
    if "from" in raw and "not_from" in raw:
        problems.add(raw, "state trigger: use 'from' or 'not_from', not both")
    if "to" in raw and "not_to" in raw:
        problems.add(raw, "state trigger: use 'to' or 'not_to', not both")
    hold = top.get("for")
    seconds = read_duration(hold, problems) if hold is not None else 0.0
    to_node, from_node = raw.get("to"), raw.get("from")
    config = Config(
        entity_ids=entity_ids,
        from_=_values(from_node, problems), to=_values(to_node, problems),
        not_from=tuple(v for v in _values(top.get("not_from"), problems) or () if v),
        not_to=tuple(v for v in _values(top.get("not_to"), problems) or () if v),
        attribute=top.optional_text("attribute"), hold=seconds or 0.0,
        states_only=(to_node is not None and to_node.is_null)
        or (from_node is not None and from_node.is_null),
    )
    problems.raise_if_any()
    return config


def _value(config: Config, state: dict[str, Any]) -> str | None:
    if config.attribute is not None:
        return text(state["attributes"].get(config.attribute))
    return str(state["state"])


def _to_ok(config: Config, new: str | None) -> bool:
    if config.to is not None and new not in config.to:
        return False
    return new not in config.not_to


async def attach(hub: Hub, config: Config, action: TriggerAction, info: TriggerInfo) -> Detach:
    engine = hub.automations
    registry = hub.registry

    def fire(variables: dict[str, Any]) -> None:
        entity = variables["entity_id"]
        engine.spawn(action(TriggerEvent(variables, f"state of {entity}")))

    hold = Hold(engine, info, config.hold, fire) if config.hold else None

    def on_change(event: StateChanged) -> None:
        capability = registry.find(event.capability_id)
        name = capability.name if capability is not None else ""
        old = state_dict(event.capability_id, event.old, True, name)
        new = state_dict(event.capability_id, event.new, True, name)
        old_value, new_value = _value(config, old), _value(config, new)
        if hold is not None and hold.holding(event.capability_id):
            if not _to_ok(config, new_value) or (config.to is None and new_value != old_value
                                                  and config.attribute is None):
                hold.stop(event.capability_id)
            return
        if config.attribute is not None or config.states_only:
            if old_value == new_value:
                return
        elif (config.from_ is not None or config.to is not None or config.not_to
              or config.not_from) and old_value == new_value:
            return  # from/to given: an attribute-only change is not a state change
        if config.from_ is not None and old_value not in config.from_:
            return
        if old_value in config.not_from or not _to_ok(config, new_value):
            return
        variables = {"entity_id": event.capability_id, "from_state": old, "to_state": new,
                     "attribute": config.attribute,
                     "for": timedelta_dict(config.hold) if config.hold else None}
        if hold is not None:
            hold.start(event.capability_id, variables)
        else:
            fire(variables)

    cancels: list[Callable[[], None]] = [engine.dispatch.on_state(e, on_change)
                                         for e in config.entity_ids]
    if hold is not None:
        def still(entity_id: str) -> bool:
            capability = registry.find(entity_id)
            if capability is None:
                return False
            current = state_dict(entity_id, capability.state, True)
            return _to_ok(config, _value(config, current))

        hold.restore(still)

    def detach() -> None:
        for cancel in cancels:
            cancel()
        cancels.clear()
        if hold is not None:
            hold.detach()

    return detach
