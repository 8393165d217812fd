"""How gossip travels: best-effort packets, one-to-all announcements, reliable exchanges.

The split is memberlist's: probes and piggybacked updates are small and may be lost
(`send`, `packets`); a full-state push-pull needs an answer (`exchange`, served by the
handler given to `serve`). `announce` reaches every node listening (the gossip topic on
MQTT): how a new node is found without a seed list. Implementations:
`hub.mesh.mqtt_transport.MqttTransport` over the fabric, `hub.mesh.sim.SimTransport` in
the simulator. Both are used as ``async with``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

from hub.model import NodeId

ExchangeHandler = Callable[[NodeId, bytes], bytes]
"""Answers a push-pull request with our own state; runs on the loop and must not block."""


@dataclass(frozen=True, slots=True)
class Received:
    sender: NodeId
    packet: bytes


class Transport(Protocol):
    @property
    def node(self) -> NodeId: ...

    async def send(self, to: NodeId, packet: bytes) -> None:
        """Best effort: may be lost, never raises for an unreachable peer."""
        ...

    async def announce(self, packet: bytes) -> None:
        """Best effort, to every node listening."""
        ...

    def packets(self) -> AsyncIterator[Received]: ...

    async def exchange(self, to: NodeId, body: bytes, timeout: float) -> bytes:
        """Send `body`, return the peer's answer; `MeshError` when none within `timeout`."""
        ...

    def serve(self, handler: ExchangeHandler) -> None:
        """Answer exchanges with `handler` from now on."""
        ...
