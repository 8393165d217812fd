"""`for:` of the state and numeric_state triggers: a condition that must hold for a while.

Each pending hold is a timer on the wall clock and a row in the store (kind ``for``, keyed
by the trigger and the capability): a restart in the middle restores it with its original
due time if the state still matches, and a hold that fell due during the downtime fires
once at start. Detaching cancels the timers; the rows are dropped unless the hub is
stopping (then they wait for the next start).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hub.automations.platform import TriggerInfo
from hub.clock import Cancel

if TYPE_CHECKING:
    from hub.automations.engine import Automations


class Hold:
    def __init__(self, engine: Automations, info: TriggerInfo, seconds: float,
                 fire: Callable[[dict[str, Any]], None]) -> None:
        self._engine = engine
        self._info = info
        self._seconds = seconds
        self._fire = fire
        self._prefix = f"for:{info.key}:"
        self._pending: dict[str, tuple[Cancel, dict[str, Any]]] = {}

    def holding(self, entity_id: str) -> bool:
        return entity_id in self._pending

    def start(self, entity_id: str, variables: dict[str, Any], due: float | None = None) -> None:
        if entity_id in self._pending:
            return
        timers = self._engine.timers
        if due is None:
            due = timers.wall() + self._seconds
        cancel = timers.call_at_wall(due, lambda: self._due(entity_id))
        self._pending[entity_id] = (cancel, variables)
        self._engine.spawn(timers.save(self._prefix + entity_id, self._info.automation, "for",
                                       due, variables), name="automations.hold.save")

    def stop(self, entity_id: str) -> None:
        pending = self._pending.pop(entity_id, None)
        if pending is not None:
            pending[0]()
            self._engine.spawn(self._engine.timers.delete(self._prefix + entity_id),
                               name="automations.hold.delete")

    def restore(self, still: Callable[[str], bool]) -> None:
        """Take over the holds stored before a restart whose state still matches."""
        for key, due, variables in self._engine.held(self._prefix):
            entity_id = key[len(self._prefix):]
            if still(entity_id):
                self._pending.pop(entity_id, None)
                self.start(entity_id, variables, due)
            else:
                self._engine.spawn(self._engine.timers.delete(key),
                                   name="automations.hold.delete")

    def _due(self, entity_id: str) -> None:
        pending = self._pending.pop(entity_id, None)
        if pending is None:
            return

        async def fire() -> None:
            # the row goes before the run starts: at most once, even if killed right here
            await self._engine.timers.delete(self._prefix + entity_id)
            self._fire(pending[1])

        self._engine.spawn(fire(), name="automations.hold.fire")

    def detach(self) -> None:
        stopping = self._engine.stopping
        for entity_id, (cancel, _) in list(self._pending.items()):
            cancel()
            if not stopping:
                self._engine.spawn(self._engine.timers.delete(self._prefix + entity_id),
                                   name="automations.hold.delete")
        self._pending.clear()
