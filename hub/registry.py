"""The registry: the live capabilities of this hub and the local handlers of their tools.

Capabilities are immutable values; a change replaces the value and publishes an event on
the bus. `set_state` is the hot path of every device update, so it touches no database:
it marks the capability's state dirty, and a background task writes what is dirty to the
store at most every `flush_interval` seconds, and once more on exit (write-behind). A
crash loses at most that interval of state; definitions are re-registered on start anyway.

Definitions and states are dirtied apart: a state change rewrites only the small state
row, an add or re-registration the definition (tool schemas and all). A flush hands the
store references to the current values, which are immutable, and the store encodes them
on its own thread, so the event loop's share is O(dirty ids): swap the sets, look the
values up. (Encoding 1,000 capabilities on the loop took 35-65 ms and was the p99 of
ingest latency.) Values nested in a state (a parsed payload's lists and dicts) are read
by the store's thread too: whoever sets a state must not change them afterwards.

What survives a restart: each capability's definition and last state. Availability and
load are live facts: restored capabilities come back ``available=False`` with the reason
``no provider`` (and load 0) until whoever provides them registers them again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import difflib
import logging
import math
from collections.abc import Mapping
from types import MappingProxyType, TracebackType
from typing import Any, Self

from hub.clock import Clock, SystemClock
from hub.errors import ConfigError, PayloadError, RegistryError
from hub.events import (
    AvailabilityChanged,
    CapabilityAdded,
    CapabilityRemoved,
    CapabilityUpdated,
    EventBus,
    StateChanged,
)
from hub.inputs import state_problem
from hub.model import Capability, NodeId, ToolHandler
from hub.store import Store

_LOGGER = logging.getLogger(__name__)


NO_PROVIDER = "no provider"
"""The `Capability.reason` of one that nothing on this node serves (yet)."""
_MISSING = object()
_KNOWN_SHOWN = 5
"""How many ids an unknown-id error lists."""
_RESYNC_S = 1.0
"""How often (clock seconds) event stamps re-read the wall clock; see `Registry._now`."""
_COPIED = tuple(f.name for f in dataclasses.fields(Capability) if f.name != "state")
_new = object.__new__
_set = object.__setattr__


def _with_state(cap: Capability, state: Mapping[str, Any]) -> Capability:
    """``dataclasses.replace(cap, state=state)`` for the hot path, at half the cost (1.5
    against 3.2 us per call on the bench machine): replace() looks up the fields and
    calls ``__init__`` with keywords on every call. This fills a fresh instance's slots
    directly, which skips ``__init__``; that is only right while `Capability` has no
    ``__post_init__`` (tests/test_registry.py checks), and for `Capability` itself, not a
    subclass with fields of its own.
    """
    if type(cap) is not Capability:
        return dataclasses.replace(cap, state=state)
    new = _new(Capability)
    for name in _COPIED:
        _set(new, name, getattr(cap, name))
    _set(new, "state", state)
    return new


class Registry:
    """``async with Registry(bus, node_id=..., store=...) as registry``.

    Enter restores the snapshot from the store; exit writes what is still dirty. The
    registry can be used without entering it (no store, nothing persisted), as tests and
    tools such as ``atmosphere route`` do.
    """

    def __init__(
        self,
        bus: EventBus,
        *,
        node_id: NodeId,
        store: Store | None = None,
        clock: Clock | None = None,
        flush_interval: float = 2.0,
    ) -> None:
        if not flush_interval > 0:
            raise ConfigError(f"registry flush_interval must be > 0 seconds, got {flush_interval}")
        self._bus = bus
        self._node_id = node_id
        self._store = store
        self._clock: Clock = clock or SystemClock()
        self._monotonic = self._clock.monotonic
        self._wall_offset = 0.0
        self._synced = -math.inf  # the first stamp reads the wall clock
        self._flush_interval = flush_interval
        self._caps: dict[str, Capability] = {}
        self._handlers: dict[str, ToolHandler] = {}
        # write-behind bookkeeping: ids whose definition (and state) to save, ids whose
        # state only to save, ids to delete; deleted ids are in neither dirty set
        self._dirty: set[str] = set()
        self._dirty_states: set[str] = set()
        self._deleted: set[str] = set()
        self._wake = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._running = False
        # set by `stopping()`: withdrawals keep their stored rows (see there)
        self._stopping = False
        self._withdrawn: dict[str, Capability] = {}
        self.flushes = 0
        """Snapshots written so far (for diagnostics and benchmarks)."""

    async def __aenter__(self) -> Self:
        if self._running:
            raise RegistryError("the registry is already running; it cannot be entered twice")
        if self._store is not None:
            restored = await self._store.load_capabilities()
            for cap in restored:
                if cap.id in self._caps:
                    continue  # registered before the restore: the live one wins
                # nothing serves it until its provider registers it again
                cap = dataclasses.replace(cap, available=False, load=0.0, reason=NO_PROVIDER)
                self._caps[cap.id] = cap
                self._bus.publish(CapabilityAdded(cap, time=self._now()))
            _LOGGER.info("registry restored capabilities=%d", len(restored))
            self._flusher = asyncio.create_task(self._flush_loop(), name="registry.flush")
            if self._dirty or self._dirty_states or self._deleted:
                self._wake.set()
        self._running = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._running = False
        task, self._flusher = self._flusher, None
        if task is not None:
            task.cancel()
            # wait() rather than `await task`: the CancelledError is the task's, not ours
            await asyncio.wait([task])
        try:
            await self.flush()
        except Exception:
            if exc is not None:  # do not hide the error that is already propagating
                _LOGGER.exception(
                    "registry snapshot lost on exit dirty=%d",
                    len(self._dirty | self._dirty_states),
                )
                return
            raise

    # -- reading -------------------------------------------------------------------------

    def get(self, capability_id: str) -> Capability:
        """The capability `capability_id`; `RegistryError` naming close matches if unknown."""
        cap = self._caps.get(capability_id)
        if cap is None:
            raise RegistryError(self._unknown(capability_id))
        return cap

    def find(self, capability_id: str) -> Capability | None:
        return self._caps.get(capability_id)

    def all(self) -> tuple[Capability, ...]:
        return tuple(self._caps.values())

    def handler(self, capability_id: str) -> ToolHandler | None:
        """The local tool handler, or None (unknown id, or provided by another node)."""
        return self._handlers.get(capability_id)

    def __contains__(self, capability_id: object) -> bool:
        return capability_id in self._caps

    def __len__(self) -> int:
        return len(self._caps)

    # -- changing ------------------------------------------------------------------------

    def add(self, capability: Capability, handler: ToolHandler | None = None) -> Capability:
        """Register `capability` (and its local `handler`), or replace the registration.

        A capability without a node is this node's. Re-registering an id emits
        `CapabilityUpdated` (plus `StateChanged` / `AvailabilityChanged` when those
        differ) and keeps the last state when the new value brings none. The handler is
        replaced too: None means the tools are not served here. Returns the stored value.
        """
        if not capability.id:
            raise RegistryError(f"a capability needs an id (type={capability.type!r})")
        if not capability.node:
            capability = dataclasses.replace(capability, node=self._node_id)
        old = self._caps.get(capability.id)
        if old is not None and not capability.state and old.state:
            capability = dataclasses.replace(capability, state=old.state)
        self._caps[capability.id] = capability
        if handler is None:
            self._handlers.pop(capability.id, None)
        else:
            self._handlers[capability.id] = handler
        self._touch(capability.id)
        now = self._now()
        if old is None:
            _LOGGER.debug("capability added capability=%s", capability.id)
            self._bus.publish(CapabilityAdded(capability, time=now))
            return capability
        self._bus.publish(CapabilityUpdated(capability, time=now))
        if capability.state != old.state:
            self._bus.publish(StateChanged(capability.id, old.state, capability.state, time=now))
        if capability.available != old.available:
            self._bus.publish(AvailabilityChanged(capability.id, capability.available, time=now))
        return capability

    def remove(self, capability_id: str) -> bool:
        """Withdraw a capability; returns False (and emits nothing) if it was not there."""
        cap = self._caps.pop(capability_id, None)
        if cap is None:
            return False
        self._handlers.pop(capability_id, None)
        if self._store is not None and self._stopping:
            self._keep_withdrawn(cap)
        elif self._store is not None:
            self._dirty.discard(capability_id)
            self._dirty_states.discard(capability_id)
            self._deleted.add(capability_id)
            self._wake.set()
        _LOGGER.debug("capability removed capability=%s", capability_id)
        self._bus.publish(CapabilityRemoved(capability_id, time=self._now()))
        return True

    def set_state(
        self, capability_id: str, changes: Mapping[str, Any], *, replace: bool = False
    ) -> bool:
        """Merge `changes` into the state (or replace it whole); True if anything changed.

        Emits `StateChanged` only on a change. No I/O: the store is written behind. A
        value neither the store nor the API can write (a number that is not finite, text
        with a lone surrogate) refuses the change with PayloadError.
        """
        cap = self._caps.get(capability_id)
        if cap is None:
            raise RegistryError(self._unknown(capability_id))
        problem = state_problem(changes)
        if problem is not None:
            # the integrations check at their edge; this is the last line before the store
            raise PayloadError(f"{capability_id}: {problem}")
        old = cap.state
        if replace:
            if old == changes:
                return False
            new: Mapping[str, Any] = MappingProxyType(dict(changes))
        else:
            for key, value in changes.items():
                if old.get(key, _MISSING) != value:
                    break
            else:
                return False
            # a proxy's copy() copies the dict under it in C: 2.5x faster than dict(proxy)
            merged = old.copy() if type(old) is MappingProxyType else dict(old)
            merged.update(changes)
            new = MappingProxyType(merged)
        self._caps[capability_id] = _with_state(cap, new)
        if self._store is not None:
            self._dirty_states.add(capability_id)
            self._wake.set()
        self._bus.publish(StateChanged(capability_id, old, new, time=self._now()))
        return True

    def set_available(self, capability_id: str, available: bool) -> bool:
        """Mark a capability (un)available; True and `AvailabilityChanged` if it changed."""
        cap = self.get(capability_id)
        if cap.available == available:
            return False
        # a reason says why it is unavailable: it goes when the capability comes back
        reason = cap.reason if not available else ""
        self._caps[capability_id] = dataclasses.replace(cap, available=available, reason=reason)
        if self._store is not None:  # the state row carries the last availability
            self._dirty_states.add(capability_id)
            self._wake.set()
        self._bus.publish(AvailabilityChanged(capability_id, available, time=self._now()))
        return True

    def set_load(self, capability_id: str, load: float) -> None:
        """Record how busy a capability is (0.0 idle .. 1.0 saturated; clamped). No event:
        load changes too often to announce; the mesh and the router read it when needed."""
        if math.isnan(load):
            raise RegistryError(f"{capability_id}: load must be a number in 0..1, got NaN")
        cap = self.get(capability_id)
        self._caps[capability_id] = dataclasses.replace(cap, load=min(1.0, max(0.0, load)))

    # -- persistence ---------------------------------------------------------------------

    async def flush(self) -> None:
        """Write dirty capabilities to the store now (and delete removed ones).

        Runs on the loop in O(dirty ids); encoding and SQL run on the store's thread.
        """
        store = self._store
        if store is None or not (self._dirty or self._dirty_states or self._deleted):
            return
        dirty, self._dirty = self._dirty, set()
        states, self._dirty_states = self._dirty_states, set()
        deleted, self._deleted = self._deleted, set()
        # snapshot before the first await: later changes belong to the next flush (the
        # values are immutable, so references are a snapshot)
        withdrawn, self._withdrawn = self._withdrawn, {}
        caps = {**withdrawn, **self._caps} if withdrawn else self._caps
        defined = [cap for i in dirty if (cap := caps.get(i)) is not None]
        changed = [cap for i in states if i not in dirty and (cap := caps.get(i)) is not None]
        try:
            await store.save_changes(defined=defined, states=changed, deleted=deleted)
        except BaseException:
            # put back what was not written, unless a newer add or remove superseded it
            self._dirty |= dirty - self._deleted
            self._dirty_states |= states - self._deleted
            self._deleted |= deleted - self._dirty
            self._withdrawn = {**withdrawn, **self._withdrawn}
            raise
        self.flushes += 1
        _LOGGER.debug(
            "registry flushed definitions=%d states=%d deleted=%d",
            len(defined),
            len(changed),
            len(deleted),
        )

    async def _flush_loop(self) -> None:
        while True:
            await self._wake.wait()
            # batch: everything that changes during the interval goes in one transaction
            await self._clock.sleep(self._flush_interval)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:
                _LOGGER.exception(
                    "registry snapshot not saved, retrying in %.1f s dirty=%d",
                    self._flush_interval,
                    len(self._dirty | self._dirty_states),
                )
                self._wake.set()

    # -- stopping ------------------------------------------------------------------------

    def stopping(self) -> None:
        """The hub is stopping: from now on a withdrawal keeps what the store has.

        Integrations withdraw their capabilities on exit, which `remove` would delete from
        the store; then a clean restart would lose every definition and last state that a
        crash keeps. After this call, `remove` still takes the capability out of the
        registry (and emits `CapabilityRemoved`), but the store keeps its definition and
        last state, marked unavailable, for the next start to restore.
        """
        self._stopping = True

    def _keep_withdrawn(self, cap: Capability) -> None:
        self._withdrawn[cap.id] = dataclasses.replace(cap, available=False, load=0.0)
        self._dirty_states.add(cap.id)  # the definition too if it is dirty already
        self._wake.set()

    # -- helpers -------------------------------------------------------------------------

    def _touch(self, capability_id: str) -> None:
        if self._store is not None:
            self._deleted.discard(capability_id)
            self._dirty.add(capability_id)
            self._wake.set()

    def _now(self) -> float:
        """Wall-clock seconds for event stamps: the clock's monotonic time plus an offset
        re-read from ``now()`` at most `_RESYNC_S` clock seconds old. Every event needs
        one, and a monotonic read costs 0.1 us against 0.4 us for building a datetime; a
        step of the wall clock (NTP at boot on a board without RTC) shows within a second.
        """
        mono = self._monotonic()
        if not 0.0 <= mono - self._synced < _RESYNC_S:
            wall = self._clock.now().timestamp()
            self._wall_offset, self._synced = wall - mono, mono
            return wall
        return self._wall_offset + mono

    def _unknown(self, capability_id: str) -> str:
        ids = sorted(self._caps)
        if not ids:
            return f'No capability "{capability_id}": none is registered yet.'
        close = difflib.get_close_matches(capability_id, ids, n=_KNOWN_SHOWN, cutoff=0.5)
        shown = close + [i for i in ids if i not in close][: _KNOWN_SHOWN - len(close)]
        more = f"... ({len(ids)} in all)" if len(ids) > len(shown) else ""
        return f'No capability "{capability_id}". Known: {", ".join(shown)}{more}'
