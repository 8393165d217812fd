"""A running hub's membership: the transport over its fabric, the protocol, the will.

    async with Gossip(fabric, signing_key, clock=clock, bus=bus) as gossip:
        gossip.membership.members()

On exit the node leaves (others see "left") before the transport closes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Self

import nacl.signing

from hub.clock import Clock
from hub.events import EventBus
from hub.fabric import Fabric
from hub.mesh.config import GossipConfig
from hub.mesh.membership import Membership
from hub.mesh.mqtt_transport import MqttTransport
from hub.mesh.status import StatusWatch
from hub.model import NodeId

_LOGGER = logging.getLogger(__name__)


class Gossip:
    def __init__(
        self,
        fabric: Fabric,
        signing_key: nacl.signing.SigningKey,
        *,
        clock: Clock,
        bus: EventBus,
        config: GossipConfig | None = None,
        meta: str = "",
        lookup: Callable[[NodeId], bytes | None] | None = None,
    ) -> None:
        """`lookup`: the trusted peers' public keys; without it any self-certified key
        is heard (see `hub.mesh.mqtt_transport`)."""
        self._fabric = fabric
        self._key = signing_key
        self._clock = clock
        self._bus = bus
        self._config = config or GossipConfig.lan()
        self._meta = meta
        self._lookup = lookup
        self._stack: AsyncExitStack | None = None
        self.membership: Membership
        self.transport: MqttTransport

    async def __aenter__(self) -> Self:
        async with AsyncExitStack() as stack:
            self.transport = await stack.enter_async_context(
                MqttTransport(self._fabric, self._key, clock=self._clock, lookup=self._lookup)
            )
            self.membership = await stack.enter_async_context(
                Membership(self.transport.node, self.transport, clock=self._clock,
                           config=self._config, bus=self._bus, meta=self._meta)
            )
            await stack.enter_async_context(StatusWatch(self._fabric, self.membership, self._clock))
            self._stack = stack.pop_all()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is None:
            return
        if self._fabric.connected:
            await self.membership.leave()
        await stack.aclose()
