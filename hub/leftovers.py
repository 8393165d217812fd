"""Leftovers: capabilities that nobody provides any more, and taking them away.

The registry restores every capability it saved; a restored one waits, unavailable, for
its provider to register it again. Some never return. What the hub does about them:

- **Removed from the configuration.** Configuration is the truth for what it declares: a
  capability the configuration declared at an earlier start (source ``config``) and no
  longer declares is withdrawn at start, from the registry and the store, logged at INFO.
- **Not claimed in time.** A restored capability that no provider registers again is
  withdrawn once nothing has been heard of it for `stale_after` (``registry:
  stale_after:``, 7 days by default), counted from the last time it was written to the
  store. A hub that was itself off that long gives providers at least `START_GRACE`
  (capped at `stale_after`) after its start, so that a bridge whose retained messages come
  a moment late does not lose its devices.
- **Removed by hand** (`remove`, i.e. ``DELETE /api/capabilities/{id}`` and ``atmosphere
  capabilities remove ID``). Allowed for a restored capability nobody has claimed, and for
  another node's. Refused (`CapabilityInUse`) for what this hub's configuration declares or
  a provider running here registered: it would come back at the next start or
  announcement, so the message says where to remove it instead.

"Claimed" means registered (added or replaced) in the registry since this start.
"""

from __future__ import annotations

import asyncio
import logging
from types import TracebackType
from typing import Self

from hub.clock import Cancel, Clock
from hub.errors import CapabilityInUse
from hub.events import CapabilityAdded, CapabilityRemoved, CapabilityUpdated, EventBus
from hub.model import Capability, NodeId
from hub.registry import Registry
from hub.store import Store

_LOGGER = logging.getLogger(__name__)

START_GRACE = 3600.0
"""Seconds after a start during which no restored capability is withdrawn as stale (at
most `stale_after`)."""
CONFIG_SOURCE = "config"
"""The source of capabilities declared in configuration.yaml (see hub/config/schema.py)."""


class Leftovers:
    """``async with Leftovers(registry, ...)``, entered right after the registry restored
    its snapshot and before anything registers capabilities (the configuration's, the
    integrations'): what is in the registry then is what was restored."""

    def __init__(
        self,
        registry: Registry,
        bus: EventBus,
        clock: Clock,
        *,
        node: NodeId,
        store: Store | None,
        configured: tuple[Capability, ...],
        stale_after: float,
    ) -> None:
        self._registry = registry
        self._bus = bus
        self._clock = clock
        self._node = node
        self._store = store
        self._configured = frozenset(c.id for c in configured)
        self._stale_after = stale_after
        self._unclaimed: set[str] = set()
        self._last_heard: dict[str, float] = {}
        self._not_before = 0.0
        self._cancels: list[Cancel] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        restored = [c for c in self._registry.all() if not c.available]
        self._unclaimed = {c.id for c in restored}
        self._cancels = [
            self._bus.listen(CapabilityAdded, lambda e: self._claimed(e.capability.id)),
            self._bus.listen(CapabilityUpdated, lambda e: self._claimed(e.capability.id)),
            self._bus.listen(CapabilityRemoved, lambda e: self._claimed(e.capability_id)),
        ]
        for capability in restored:
            if capability.source == CONFIG_SOURCE and capability.id not in self._configured:
                self._registry.remove(capability.id)
                _LOGGER.info(
                    "capability withdrawn: no longer in the configuration capability=%s",
                    capability.id,
                )
        if self._store is not None and self._unclaimed:
            self._last_heard = await self._store.last_written()
        started = self._clock.now().timestamp()
        self._not_before = started + min(START_GRACE, self._stale_after)
        self._task = asyncio.create_task(self._sweep(), name="leftovers.sweep")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for cancel in self._cancels:
            cancel()
        self._cancels = []
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task])

    def unclaimed(self, capability_id: str) -> bool:
        """True for a capability restored from the store that nothing registered since."""
        return capability_id in self._unclaimed

    def remove(self, capability_id: str) -> Capability:
        """Remove a capability by hand; `CapabilityInUse` if it would only come back.

        Raises RegistryError (naming close ids) for an unknown one. Returns what was removed.
        """
        capability = self._registry.get(capability_id)
        mine = capability.node in (self._node, "")
        if mine and capability_id not in self._unclaimed:
            if capability.source == CONFIG_SOURCE or capability_id in self._configured:
                raise CapabilityInUse(
                    f"{capability_id} is declared in the configuration (capabilities: in "
                    "configuration.yaml or a file it includes): remove it there and restart "
                    "the hub"
                )
            provider = f"the integration '{capability.source}'" if capability.source else (
                "a provider")
            raise CapabilityInUse(
                f"{capability_id} is provided by {provider} running on this hub, which would "
                "register it again: remove the device from its integration (or the "
                "integration from configuration.yaml); only capabilities no provider has "
                "registered since the hub started can be removed"
            )
        self._registry.remove(capability_id)
        _LOGGER.info("capability removed by request capability=%s", capability_id)
        return capability

    def _claimed(self, capability_id: str) -> None:
        self._unclaimed.discard(capability_id)

    def _deadline(self, capability_id: str) -> float:
        heard = self._last_heard.get(capability_id, self._not_before)
        return max(heard + self._stale_after, self._not_before)

    async def _sweep(self) -> None:
        """Withdraw each unclaimed capability at its deadline. Claims only take ids away,
        so sleeping until the earliest deadline left and looking again is enough."""
        while self._unclaimed:
            now = self._clock.now().timestamp()
            for capability_id in sorted(self._unclaimed):
                if self._deadline(capability_id) > now:
                    continue
                heard = self._last_heard.get(capability_id)
                self._registry.remove(capability_id)  # its event takes it out of the set
                self._unclaimed.discard(capability_id)
                _LOGGER.info(
                    "capability withdrawn: its provider has not registered it for %.0f s"
                    " capability=%s last_heard=%s",
                    self._stale_after,
                    capability_id,
                    "unknown" if heard is None else f"{heard:.0f}",
                )
            if self._unclaimed:
                soonest = min(self._deadline(i) for i in self._unclaimed)
                await self._clock.sleep(max(0.0, soonest - now))
