"""The routing service of a running hub: the embedder (loaded on first use), the capability
index that follows the event bus, the router, and the language resolver.

Nothing here loads the model at start-up: an idle hub stays small, and the first routed
request pays the load (~0.1-0.3 s). All methods are synchronous and may block on the model;
the `Hub` calls them through `asyncio.to_thread`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hub.clock import Cancel, Clock
from hub.events import CapabilityAdded, CapabilityRemoved, CapabilityUpdated, EventBus
from hub.model import Capability, NodeId, WorkUnit
from hub.routing.embedder import Embedder
from hub.routing.gradient import GradientTable
from hub.routing.index import CapabilityIndex
from hub.routing.language import Resolution, Resolver
from hub.routing.router import Decision, Router


class Routing:
    def __init__(
        self,
        capabilities: Callable[[], tuple[Capability, ...]],
        live: Callable[[str], Capability | None],
        *,
        node: NodeId,
        clock: Clock,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        models_dir: Path | None = None,
        threads: int = 1,
    ) -> None:
        self._capabilities = capabilities
        self.embedder = Embedder(model_path, tokenizer_path, threads=threads,
                                 quantised_dir=models_dir)
        self.index = CapabilityIndex(self.embedder)
        self.gradient = GradientTable(clock)
        self.router = Router(
            self.index, local_node=node, clock=clock, gradient=self.gradient, live=live
        )
        self._resolver: Resolver | None = None
        self._lock = threading.Lock()

    def attach(self, bus: EventBus) -> Cancel:
        """Follow capability events: the index queues them (no model work on the loop), and
        the resolver's catalogue is rebuilt at the next request."""
        cancels = [self.index.attach(bus)] + [
            bus.listen(kind, self._invalidate)
            for kind in (CapabilityAdded, CapabilityUpdated, CapabilityRemoved)
        ]

        def cancel() -> None:
            for each in cancels:
                each()

        return cancel

    def _invalidate(self, _event: object) -> None:
        self._resolver = None

    def resolver(self) -> Resolver:
        with self._lock:
            if self._resolver is None:
                self._resolver = Resolver(self._capabilities(), embedder=self.embedder)
            return self._resolver

    def resolve(self, text: str, context: Mapping[str, Any] | None = None) -> Resolution:
        """Language to tool: capability kind, tool, targets and arguments for `text`."""
        return self.resolver().resolve(text, context)

    def route(self, work: WorkUnit) -> Decision:
        """Rank the candidates for `work`; raises NoCapableNode when none fits."""
        return self.router.route(work)
