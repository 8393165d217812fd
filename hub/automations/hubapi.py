"""What the automation engine needs of a running hub.

The engine sits below the runtime (it cannot import `Hub`), so the runtime hands itself in
and the engine sees it through this protocol: the clock, the bus, the registry, the
fabric, the store, the configuration, tool calls and routing (loaded on first use).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from hub.clock import Clock
from hub.config import HubConfig
from hub.events import EventBus
from hub.fabric import Fabric
from hub.model import ToolResult
from hub.registry import Registry
from hub.store import Store

if TYPE_CHECKING:
    from hub.routing.language import Resolution
    from hub.routing.service import Routing


class HubApi(Protocol):
    config: HubConfig
    clock: Clock
    bus: EventBus
    store: Store
    fabric: Fabric
    registry: Registry

    async def call(
        self,
        capability_id: str,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> ToolResult: ...

    async def routing(self) -> Routing: ...

    async def resolve(self, text: str, context: Mapping[str, Any] | None = None
                      ) -> Resolution: ...
