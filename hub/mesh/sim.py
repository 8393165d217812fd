"""The simulated network: the real protocol over in-memory links, on a `ManualClock`.

    network = SimNetwork(clock, loss=0.05, latency=0.01, seed=1)
    transport = network.transport(NodeId("a"))      # a SimTransport
    network.partition({"a", "b"}, {"c"})            # until network.heal()

Packets are delivered `latency` seconds later on the clock (plus up to `jitter`), lost
with probability `loss`, never across a partition, and never to a stopped node
(`network.kill(node)`: a crash, nothing more is sent or received). Exchanges are reliable
but fail across a partition or to a dead node, like a TCP connection would. Everything
draws from one seeded random generator: a run is reproducible.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import AsyncIterator, Iterable
from types import TracebackType
from typing import Self

from hub.clock import ManualClock
from hub.errors import MeshError
from hub.mesh.transport import ExchangeHandler, Received
from hub.model import NodeId


class SimNetwork:
    def __init__(
        self,
        clock: ManualClock,
        *,
        loss: float = 0.0,
        latency: float = 0.005,
        jitter: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.clock = clock
        self.loss = loss
        self.latency = latency
        self.jitter = jitter
        self.random = random.Random(seed)
        self._nodes: dict[NodeId, SimTransport] = {}
        self._side: dict[NodeId, int] = {}
        self._dead: set[NodeId] = set()
        self.sent = 0
        self.lost = 0
        self.in_flight = 0

    def transport(self, node: NodeId) -> SimTransport:
        transport = SimTransport(self, node)
        self._nodes[node] = transport
        self._dead.discard(node)
        return transport

    def kill(self, node: NodeId) -> None:
        """The node crashes: it sends and receives nothing more."""
        self._dead.add(node)

    def partition(self, *sides: Iterable[str]) -> None:
        self._side = {NodeId(n): i for i, side in enumerate(sides) for n in side}

    def heal(self) -> None:
        self._side = {}

    def reachable(self, a: NodeId, b: NodeId) -> bool:
        if a in self._dead or b in self._dead or b not in self._nodes:
            return False
        return self._side.get(a, -1) == self._side.get(b, -1)

    def _linked(self, a: NodeId, b: NodeId) -> bool:
        return b not in self._dead and self._side.get(a, -1) == self._side.get(b, -1)

    def pending(self) -> int:
        """Packets delivered to a queue but not yet read by their node."""
        return sum(len(t._queue) for t in self._nodes.values())

    async def run(self, seconds: float, step: float = 0.01) -> None:
        """Move the clock `seconds` forward in `step`s, letting every node's tasks handle
        what arrived after each step (they run on the test's event loop)."""
        end = self.clock.monotonic() + seconds
        while self.clock.monotonic() < end - 1e-9:
            self.clock.advance(min(step, end - self.clock.monotonic()))
            await self.settle()

    async def settle(self) -> None:
        """Let the tasks run until every delivered packet has been read."""
        for _ in range(10_000):
            await _next_turn()
            if not self.pending():
                break
        for _ in range(3):
            await _next_turn()

    def _delay(self) -> float:
        return self.latency + (self.random.random() * self.jitter if self.jitter else 0.0)

    def _post(self, sender: NodeId, to: NodeId, packet: bytes) -> None:
        self.sent += 1
        if not self.reachable(sender, to) or (self.loss and self.random.random() < self.loss):
            self.lost += 1
            return
        target = self._nodes[to]
        self.in_flight += 1

        def arrive() -> None:  # sent is sent: the sender may have crashed meanwhile
            self.in_flight -= 1
            if self._linked(sender, to):
                target._arrive(Received(sender, packet))

        self.clock.call_at(self.clock.monotonic() + self._delay(), arrive)


async def _next_turn() -> None:
    """One turn of the event loop (not a wait: no time passes on any clock)."""
    future = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(future.set_result, None)
    await future


class SimTransport:
    """One node's end of a `SimNetwork` (see there)."""

    def __init__(self, network: SimNetwork, node: NodeId) -> None:
        self._network = network
        self._node = node
        self._queue: deque[Received] = deque()
        self._wakeup: asyncio.Event | None = None
        self._handler: ExchangeHandler | None = None

    @property
    def node(self) -> NodeId:
        return self._node

    async def __aenter__(self) -> Self:
        self._wakeup = asyncio.Event()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._network.kill(self._node)

    async def send(self, to: NodeId, packet: bytes) -> None:
        self._network._post(self._node, to, packet)

    async def announce(self, packet: bytes) -> None:
        for other in tuple(self._network._nodes):
            if other != self._node:
                self._network._post(self._node, other, packet)

    async def packets(self) -> AsyncIterator[Received]:
        wakeup = self._wakeup
        if wakeup is None:
            raise MeshError("SimTransport: read packets inside `async with transport`")
        while True:
            while self._queue:
                yield self._queue.popleft()
            wakeup.clear()
            await wakeup.wait()

    def serve(self, handler: ExchangeHandler) -> None:
        self._handler = handler

    async def exchange(self, to: NodeId, body: bytes, timeout: float) -> bytes:
        network = self._network
        clock = network.clock
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

        def fail(why: str) -> None:
            if not future.done():
                future.set_exception(MeshError(f"push-pull with peer={to} failed: {why}"))

        def answer(reply: bytes) -> None:
            if not future.done() and network.reachable(to, self._node):
                future.set_result(reply)

        def arrive() -> None:
            peer = network._nodes.get(to)
            if peer is None or peer._handler is None or not network.reachable(self._node, to):
                return  # the timeout reports it
            reply = peer._handler(self._node, body)
            clock.call_at(clock.monotonic() + network._delay(), lambda: answer(reply))

        if network.reachable(self._node, to):
            clock.call_at(clock.monotonic() + network._delay(), arrive)
        cancel = clock.call_at(clock.monotonic() + timeout, lambda: fail(f"no answer in {timeout:g} s"))
        try:
            return await future
        finally:
            cancel()

    def _arrive(self, received: Received) -> None:
        self._queue.append(received)
        if self._wakeup is not None:
            self._wakeup.set()
