"""Firing push triggers: one place that applies a trigger's throttle and puts the typed
event on the bus, so every integration behaves the same."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.clock import Clock
from hub.events import EventBus, TriggerFired
from hub.model import Trigger


class TriggerFiring:
    """`fire(capability_id, trigger, payload, **fields)` puts a `TriggerFired` on the bus
    unless the same trigger of the same capability fired less than `trigger.throttle`
    seconds ago. The intent text is the trigger's template filled from `fields` (unknown
    placeholders stay as they are)."""

    def __init__(self, bus: EventBus, clock: Clock) -> None:
        self._bus = bus
        self._clock = clock
        self._last: dict[tuple[str, str], float] = {}
        self.throttled = 0

    def fire(
        self, capability_id: str, trigger: Trigger, payload: Mapping[str, Any] | None = None,
        **fields: str,
    ) -> bool:
        now = self._clock.monotonic()
        key = (capability_id, trigger.name)
        last = self._last.get(key)
        if last is not None and trigger.throttle and now - last < trigger.throttle:
            self.throttled += 1
            return False
        self._last[key] = now
        self._bus.publish(TriggerFired(
            capability_id, trigger.name, intent=fill(trigger.intent, fields),
            payload=dict(payload or {}), priority=trigger.priority,
            time=self._clock.now().timestamp(),
        ))
        return True


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, fields: Mapping[str, str]) -> str:
    """``"person at {area} door"`` with area=front -> ``"person at front door"``."""
    if "{" not in template:
        return template
    try:
        return template.format_map(_Keep(fields))
    except (ValueError, IndexError):  # a stray brace in a user's template: keep it literal
        return template
