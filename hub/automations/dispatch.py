"""Indexes from events to the triggers waiting for them: one bus listener each, and a
dict lookup per event, so matching costs the same with 10 automations or 10,000.

- state changes by capability id (state, numeric_state triggers; wait_template wakes on any),
- device triggers (`TriggerFired`) by (capability id, trigger name),
- bus events by Home Assistant style name (``state_changed``, ``trigger_fired``, the
  `event` action's own names),
- webhooks by id, hub start and shutdown.

MQTT triggers subscribe on the fabric directly: its subscriptions already sit in a
`TopicTree` (one broker subscription per filter, matching costs the topic's depth).
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from hub.automations.helpers import state_dict
from hub.clock import Clock
from hub.events import Event, EventBus, StateChanged, TriggerFired
from hub.registry import Registry

_LOGGER = logging.getLogger(__name__)
Cancel = Callable[[], None]
T = TypeVar("T")
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class FiredEvent(Event):
    """An event fired by the `event` action (or a webhook of a plugin): name and data."""

    event_type: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Webhook:
    callback: Callable[[Mapping[str, Any]], None]
    methods: tuple[str, ...]
    local_only: bool


def event_name(event: Event) -> str:
    if isinstance(event, FiredEvent):
        return event.event_type
    return _CAMEL.sub("_", type(event).__name__).lower()


def event_data(event: Event, registry: Registry) -> dict[str, Any]:
    """An event's data as the event platform shows it (``trigger.event.data``)."""
    if isinstance(event, FiredEvent):
        return dict(event.data)
    if isinstance(event, StateChanged):
        capability = registry.find(event.capability_id)
        name = capability.name if capability is not None else ""
        return {"entity_id": event.capability_id,
                "old_state": state_dict(event.capability_id, event.old, True, name),
                "new_state": state_dict(event.capability_id, event.new, True, name)}
    data: dict[str, Any] = {}
    for item in fields(event):
        if item.name != "time":
            value = getattr(event, item.name)
            data[item.name] = dict(value) if isinstance(value, Mapping) else (
                value.id if hasattr(value, "id") else value)
    return data


def _remove(listeners: dict[Any, list[T]], key: Any, item: T) -> Cancel:
    def cancel() -> None:
        items = listeners.get(key)
        if items is not None and item in items:
            items.remove(item)
            if not items:
                del listeners[key]

    return cancel


class Dispatch:
    def __init__(self, bus: EventBus, registry: Registry, clock: Clock) -> None:
        self._bus = bus
        self.registry = registry
        self._clock = clock
        self._state: dict[str, list[Callable[[StateChanged], None]]] = defaultdict(list)
        self._any_state: list[Callable[[], None]] = []
        self._fired: dict[tuple[str, str], list[Callable[[TriggerFired], None]]] = (
            defaultdict(list))
        self._events: dict[str, list[Callable[[str, dict[str, Any]], None]]] = defaultdict(list)
        self._webhooks: dict[str, Webhook] = {}
        self._lifecycle: dict[str, list[Callable[[], None]]] = defaultdict(list)
        self._changed: dict[str, float] = {}
        self._cancels: list[Cancel] = []
        self.started_at = clock.monotonic()

    def start(self) -> None:
        self.started_at = self._clock.monotonic()
        self._cancels = [self._bus.listen(StateChanged, self._on_state),
                         self._bus.listen(TriggerFired, self._on_fired),
                         self._bus.listen(Event, self._on_event)]

    def stop(self) -> None:
        for cancel in self._cancels:
            cancel()
        self._cancels = []

    # -- registering ---------------------------------------------------------------------

    def on_state(self, capability_id: str, callback: Callable[[StateChanged], None]) -> Cancel:
        self._state[capability_id].append(callback)
        return _remove(self._state, capability_id, callback)

    def on_any_state(self, callback: Callable[[], None]) -> Cancel:
        self._any_state.append(callback)

        def cancel() -> None:
            if callback in self._any_state:
                self._any_state.remove(callback)

        return cancel

    def on_fired(self, capability_id: str, name: str,
                 callback: Callable[[TriggerFired], None]) -> Cancel:
        key = (capability_id, name)
        self._fired[key].append(callback)
        return _remove(self._fired, key, callback)

    def on_event(self, name: str, callback: Callable[[str, dict[str, Any]], None]) -> Cancel:
        self._events[name].append(callback)
        return _remove(self._events, name, callback)

    def on_webhook(self, webhook_id: str, callback: Callable[[Mapping[str, Any]], None], *,
                   methods: tuple[str, ...] = ("POST", "PUT"), local_only: bool = True
                   ) -> Cancel:
        if webhook_id in self._webhooks:
            raise ValueError(f"webhook id {webhook_id!r} is already used by another trigger")
        hook = Webhook(callback, methods, local_only)
        self._webhooks[webhook_id] = hook

        def cancel() -> None:
            if self._webhooks.get(webhook_id) is hook:
                del self._webhooks[webhook_id]

        return cancel

    def on_lifecycle(self, event: str, callback: Callable[[], None]) -> Cancel:
        self._lifecycle[event].append(callback)
        return _remove(self._lifecycle, event, callback)

    # -- delivering ----------------------------------------------------------------------

    def webhook(self, webhook_id: str, method: str, local: bool,
                request: Mapping[str, Any]) -> str | None:
        """Deliver a webhook call; None when delivered, else why not (for the HTTP 4xx)."""
        hook = self._webhooks.get(webhook_id)
        if hook is None:
            return "unknown"
        if method not in hook.methods:
            return "method"
        if hook.local_only and not local:
            return "remote"
        hook.callback(request)
        return None

    def lifecycle(self, event: str) -> None:
        for callback in tuple(self._lifecycle.get(event, ())):
            callback()

    def binds(self, capability_id: str, name: str) -> bool:
        """Whether a capability trigger waits for this device trigger."""
        return bool(self._fired.get((capability_id, name)))

    def since_change(self, capability_id: str) -> float | None:
        """Seconds since the capability's state last changed (since start if it did not)."""
        last = self._changed.get(capability_id, self.started_at)
        return self._clock.monotonic() - last

    def _on_state(self, event: StateChanged) -> None:
        self._changed[event.capability_id] = self._clock.monotonic()
        for callback in tuple(self._state.get(event.capability_id, ())):
            callback(event)
        for wake in tuple(self._any_state):
            wake()

    def _on_fired(self, event: TriggerFired) -> None:
        for callback in tuple(self._fired.get((event.capability_id, event.trigger), ())):
            callback(event)

    def _on_event(self, event: Event) -> None:
        name = event_name(event)
        listeners = self._events.get(name)
        if not listeners:
            return
        data = event_data(event, self.registry)
        for callback in tuple(listeners):
            callback(name, data)
