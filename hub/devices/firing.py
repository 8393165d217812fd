"""Firing push triggers: one place that applies a trigger's throttle and puts the typed
event on the bus, so every integration behaves the same."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from hub.clock import Clock
from hub.events import EventBus, TriggerFired
from hub.model import Trigger

MAX_THROTTLED = 10_000
"""(capability, trigger) pairs whose last firing is remembered for their throttle; past
that the least recently fired pair is forgotten (counted in `forgotten`): capabilities
come and go, and their ids may come from the network."""


class TriggerFiring:
    """`fire(capability_id, trigger, payload, **fields)` puts a `TriggerFired` on the bus
    unless the same trigger of the same capability fired less than `trigger.throttle`
    seconds ago. The intent text is the trigger's template filled from `fields` (unknown
    placeholders stay as they are). Only triggers with a throttle are remembered."""

    def __init__(self, bus: EventBus, clock: Clock, *, max_throttled: int = MAX_THROTTLED) -> None:
        self._bus = bus
        self._clock = clock
        self._max = max_throttled
        self._last: OrderedDict[tuple[str, str], float] = OrderedDict()
        self.throttled = 0
        self.forgotten = 0

    def __len__(self) -> int:
        return len(self._last)

    def fire(
        self, capability_id: str, trigger: Trigger, payload: Mapping[str, Any] | None = None,
        **fields: str,
    ) -> bool:
        if trigger.throttle:
            now = self._clock.monotonic()
            key = (capability_id, trigger.name)
            last = self._last.get(key)
            if last is not None and now - last < trigger.throttle:
                self.throttled += 1
                return False
            self._last[key] = now
            self._last.move_to_end(key)
            if len(self._last) > self._max:
                self._last.popitem(last=False)
                self.forgotten += 1
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
