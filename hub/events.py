"""Typed events and the in-process event bus.

Listeners are synchronous and must not block: they run inside `EventBus.publish`, on the
hot path of every state update. Slow consumers use `subscribe()`, which hands them a
bounded queue; when it overflows the oldest events are dropped and counted.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hub.model import Capability

_LOGGER = logging.getLogger(__name__)

Cancel = Callable[[], None]


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event; `time` is wall-clock seconds since the epoch (UTC)."""

    time: float = field(default=0.0, kw_only=True)


@dataclass(frozen=True, slots=True)
class StateChanged(Event):
    capability_id: str
    old: Mapping[str, Any]
    new: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AvailabilityChanged(Event):
    capability_id: str
    available: bool


@dataclass(frozen=True, slots=True)
class CapabilityAdded(Event):
    capability: Capability


@dataclass(frozen=True, slots=True)
class CapabilityUpdated(Event):
    capability: Capability


@dataclass(frozen=True, slots=True)
class CapabilityRemoved(Event):
    capability_id: str


@dataclass(frozen=True, slots=True)
class TriggerFired(Event):
    capability_id: str
    trigger: str
    intent: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)
    priority: int = 0


@dataclass(frozen=True, slots=True)
class BadInput(Event):
    """A malformed message was dropped; `source` names where it came from (a topic)."""

    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class MemberEvent(Event):
    """A change in the mesh's membership (`hub.mesh`); `node` is the member's node id."""

    node: str
    incarnation: int = 0


@dataclass(frozen=True, slots=True)
class MemberJoined(MemberEvent):
    pass


@dataclass(frozen=True, slots=True)
class MemberAlive(MemberEvent):
    """A suspect refuted the suspicion (a higher incarnation): alive again."""


@dataclass(frozen=True, slots=True)
class MemberSuspect(MemberEvent):
    pass


@dataclass(frozen=True, slots=True)
class MemberDead(MemberEvent):
    pass


@dataclass(frozen=True, slots=True)
class MemberLeft(MemberEvent):
    """The member said goodbye (a clean stop): not a failure."""


E = TypeVar("E", bound=Event)


class EventBus:
    def __init__(self) -> None:
        self._listeners: dict[type[Event], list[Callable[[Any], None]]] = defaultdict(list)
        self.errors = 0
        self.dropped = 0

    def listen(self, event_type: type[E], callback: Callable[[E], None]) -> Cancel:
        """Call `callback` for every event of `event_type` (or a subclass of it)."""
        listeners = self._listeners[event_type]
        listeners.append(callback)

        def cancel() -> None:
            if callback in listeners:
                listeners.remove(callback)

        return cancel

    def publish(self, event: Event) -> None:
        for cls in type(event).__mro__:
            listeners = self._listeners.get(cls)
            if not listeners:
                continue
            for callback in tuple(listeners):
                try:
                    callback(event)
                except Exception:  # a broken listener must not break the publisher
                    self.errors += 1
                    _LOGGER.exception("event listener failed event=%s", type(event).__name__)

    @asynccontextmanager
    async def subscribe(
        self, *event_types: type[Event], maxsize: int = 1000
    ) -> AsyncIterator[AsyncIterator[Event]]:
        """Yield an async iterator of events of the given types (all events if none)."""
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)

        def put(event: Event) -> None:
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(event)

        cancels = [self.listen(t, put) for t in (event_types or (Event,))]

        async def iterate() -> AsyncIterator[Event]:
            while True:
                yield await queue.get()

        try:
            yield iterate()
        finally:
            for cancel in cancels:
                cancel()
