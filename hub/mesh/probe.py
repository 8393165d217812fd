"""Failure detection: probe one member per period, directly, then through `k` others.

Each period (`probe_interval`, scaled by local health) the next member of a shuffled
round-robin list is pinged. No ack within `probe_timeout` (scaled too): `indirect_checks`
other members are asked to ping it for us; they relay its ack, or answer a nack when they
heard nothing (Lifeguard: a missing nack means *we* may be the slow one, so our own
awareness score rises instead of the peer being blamed alone). No ack by the end of the
period: the member is suspected (`Membership.suspect`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from hub.clock import Clock
from hub.mesh.awareness import Awareness
from hub.mesh.config import GossipConfig
from hub.mesh.state import NodeState
from hub.model import NodeId

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class AckWait:
    future: asyncio.Future[bool]
    nacks: int = 0
    relay: Callable[[], None] | None = field(default=None)


async def wait_for(clock: Clock, future: asyncio.Future[bool], until: float) -> bool:
    """True once `future` is set (an ack); False at `until` on the clock. The future is
    left alone on a timeout, so that a later wait on it can still see the ack."""
    if future.done():
        return True
    timer: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def ring() -> None:
        if not timer.done():
            timer.set_result(None)

    cancel = clock.call_at(until, ring)
    try:
        await asyncio.wait((future, timer), return_when=asyncio.FIRST_COMPLETED)
    finally:
        cancel()
        timer.cancel()
    return future.done()


class ProbeHost(Protocol):
    """What probing needs of `hub.mesh.membership.Membership`."""

    node: NodeId
    clock: Clock
    config: GossipConfig
    awareness: Awareness

    def state(self, node: NodeId) -> NodeState | None: ...
    def others(self) -> list[NodeState]: ...
    async def send(self, to: NodeId, message: list[Any]) -> None: ...
    def expect_ack(self) -> tuple[int, AckWait]: ...
    def forget_ack(self, seq: int) -> None: ...
    def suspect_from_probe(self, node: NodeId) -> None: ...


class Prober:
    def __init__(self, membership: ProbeHost, rng: random.Random) -> None:
        self._m = membership
        self._rng = rng
        self._order: list[NodeId] = []
        self.probes = 0
        self.failed = 0

    def next_target(self) -> NodeId | None:
        m = self._m
        for _ in range(2):
            while self._order:
                node = self._order.pop()
                state = m.state(node)
                if state is not None and not state.status.gone:
                    return node
            self._order = [s.node for s in m.others() if not s.status.gone]
            self._rng.shuffle(self._order)
        return None

    async def probe(self, target: NodeId) -> bool:
        """One probe period against `target`; True when it answered (directly or not)."""
        m = self._m
        config, clock, awareness = m.config, m.clock, m.awareness
        start = clock.monotonic()
        self.probes += 1
        seq, wait = m.expect_ack()
        try:
            await m.send(target, ["ping", seq, target, m.node])
            if await wait_for(clock, wait.future, start + awareness.scale(config.probe_timeout)):
                awareness.apply(-1)
                return True
            helpers = [
                s.node for s in m.others() if s.status.value == "alive" and s.node != target
            ]
            helpers = self._rng.sample(helpers, min(config.indirect_checks, len(helpers)))
            for helper in helpers:
                await m.send(helper, ["ireq", seq, target, m.node])
            end = start + awareness.scale(config.probe_interval)
            if await wait_for(clock, wait.future, end):
                awareness.apply(-1)
                return True
            # Lifeguard: every helper should have answered, with a nack if nothing else
            missing = len(helpers) - wait.nacks
            awareness.apply(missing if helpers else 1)
        finally:
            m.forget_ack(seq)
        self.failed += 1
        _LOGGER.debug("probe failed peer=%s nacks=%d", target, wait.nacks)
        m.suspect_from_probe(target)
        return False

    def relay(self, seq: int, target: NodeId, source: NodeId, spawn: Callable[[Awaitable[None]], None]) -> None:
        """Ping `target` on behalf of `source`; relay its ack, or a nack after the timeout."""
        m = self._m

        async def run() -> None:
            own, wait = m.expect_ack()
            try:
                await m.send(target, ["ping", own, target, m.node])
                # 80 %: the nack must be back before the prober's period ends
                until = m.clock.monotonic() + 0.8 * m.config.probe_timeout
                if await wait_for(m.clock, wait.future, until):
                    await m.send(source, ["ack", seq])
                else:
                    await m.send(source, ["nack", seq])
            finally:
                m.forget_ack(own)

        spawn(run())
