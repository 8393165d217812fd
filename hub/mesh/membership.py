"""Membership: who is in the mesh, alive or not, agreed by gossip (SWIM with Lifeguard).

    async with Membership(node, transport, clock=clock, bus=bus) as membership:
        await membership.join([seed])          # or found through transport.announce
        membership.members()                   # snapshots: node, status, incarnation
        await membership.leave()               # others see "left", not "dead"

This module holds the rules for news about a member (memberlist's ``state.go``): an
update wins over what we hold by incarnation (`hub.mesh.state`); a suspicion starts a
Lifeguard timer (`hub.mesh.suspicion`) that ends in "dead" unless refuted; news about
ourselves is refuted with a higher incarnation. The mechanisms are one module each:
probing (`probe`), the broadcast queue (`broadcast`), local health (`awareness`),
anti-entropy (`pushpull`), the wire (`messages`), the transport (`transport`), the knobs
(`config`). Events on the bus: `MemberJoined`, `MemberSuspect`, `MemberAlive`,
`MemberDead`, `MemberLeft`. Time comes only from the injected clock.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import Awaitable, Iterable
from types import TracebackType
from typing import Self

from hub.clock import Clock
from hub.errors import MeshError, PayloadError
from hub.events import (
    EventBus,
    MemberAlive,
    MemberDead,
    MemberEvent,
    MemberJoined,
    MemberLeft,
    MemberSuspect,
)
from hub.logthrottle import LogThrottle
from hub.mesh.awareness import Awareness
from hub.mesh.broadcast import BroadcastQueue
from hub.mesh.config import GossipConfig
from hub.mesh.delegate import Delegate, NoDelegate
from hub.mesh.messages import Message, decode, encode_one
from hub.mesh.probe import AckWait, Prober
from hub.mesh.pushpull import decode_state, encode_state
from hub.mesh.state import Member, NodeState, Status
from hub.mesh.suspicion import Suspicion
from hub.mesh.transport import Received, Transport
from hub.model import NodeId

_LOGGER = logging.getLogger(__name__)

MAX_META = 512
"""Bytes of node metadata carried in every alive message."""


class Membership:
    def __init__(
        self,
        node: NodeId,
        transport: Transport,
        *,
        clock: Clock,
        config: GossipConfig | None = None,
        bus: EventBus | None = None,
        delegate: Delegate | None = None,
        meta: str = "",
        seed: int | None = None,
        loops: bool = True,
    ) -> None:
        """`loops=False` runs only the receive loop: the caller drives rounds by hand
        (`probe`, `gossip`, `pushpull`), as memberlist's tests do."""
        if len(meta.encode()) > MAX_META:
            raise MeshError(f"node metadata is {len(meta.encode())} bytes; at most {MAX_META}")
        self.node = node
        self.clock = clock
        self.config = config or GossipConfig.lan()
        self.awareness = Awareness(self.config.awareness_max_multiplier)
        self._transport = transport
        self._bus = bus
        self._delegate: Delegate = delegate or NoDelegate()
        self._rng = random.Random(seed)
        self._states: dict[NodeId, NodeState] = {}
        self._me = NodeState(node, 0, Status.ALIVE, clock.monotonic())
        self._me.meta = meta
        self._states[node] = self._me
        self._suspicions: dict[NodeId, Suspicion] = {}
        self._queue = BroadcastQueue(lambda: self.config.retransmit_limit(self.count()))
        self._acks: dict[int, AckWait] = {}
        self._seq = itertools.count(1)
        self._prober = Prober(self, self._rng)
        self._throttle = LogThrottle(clock)
        self._tasks: asyncio.TaskGroup | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._leaving = False
        self._loops = loops
        self.bad_packets = 0
        self.refutations = 0

    # -- the API ----------------------------------------------------------------------------

    def members(self) -> list[Member]:
        """Every member we know, ourselves included, tombstones (dead, left) too."""
        return [s.snapshot() for s in self._states.values()]

    def member(self, node: NodeId) -> Member | None:
        state = self._states.get(node)
        return state.snapshot() if state is not None else None

    def count(self) -> int:
        """Members not known to be gone, ourselves included (the N of the formulas)."""
        return sum(1 for s in self._states.values() if not s.status.gone)

    @property
    def incarnation(self) -> int:
        return self._me.incarnation

    def broadcast(self, key: str, data: str) -> None:
        """Piggyback `data` to others' `Delegate.notify` (see `hub.mesh.delegate`)."""
        self._queue.queue(f"user:{key}", encode_one(["user", data]))

    def update_meta(self, meta: str) -> None:
        """New metadata for this node: a higher incarnation, gossiped as an alive."""
        if len(meta.encode()) > MAX_META:
            raise MeshError(f"node metadata is {len(meta.encode())} bytes; at most {MAX_META}")
        self._me.meta = meta
        self._me.incarnation += 1
        self._queue.queue(self.node, self._alive_message())

    def seed(self, nodes: Iterable[NodeId]) -> None:
        """Know `nodes` as alive at incarnation 0 without gossiping it (a simulator's
        starting view: every node already joined)."""
        now = self.clock.monotonic()
        for node in nodes:
            if node != self.node and node not in self._states:
                self._states[node] = NodeState(node, 0, Status.ALIVE, now)

    async def join(self, seeds: Iterable[NodeId]) -> int:
        """Push-pull with each seed; the number that answered."""
        answered = 0
        for seed in seeds:
            if seed != self.node and await self.pushpull(seed):
                answered += 1
        return answered

    async def leave(self) -> None:
        """Tell the mesh we are going: a dead message about ourselves, from ourselves."""
        self._leaving = True
        packet = b"[" + encode_one(["dead", self.node, self._me.incarnation, self.node]) + b"]"
        self._me.status = Status.LEFT
        await self._transport.announce(packet)

    # -- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self._transport.serve(self._answer_pushpull)
        self._tasks = asyncio.TaskGroup()
        await self._tasks.__aenter__()
        create = self._tasks.create_task
        self._track(create(self._receive_loop(), name="mesh.receive"))
        if self._loops:
            self._track(create(self._probe_loop(), name="mesh.probe"))
            self._track(create(self._gossip_loop(), name="mesh.gossip"))
            self._track(create(self._pushpull_loop(), name="mesh.pushpull"))
        alive = self._alive_message()
        self._queue.queue(self.node, alive)
        await self._transport.announce(b"[" + alive + b"]")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for suspicion in self._suspicions.values():
            suspicion.stop()
        self._suspicions.clear()
        tasks, self._tasks = self._tasks, None
        if tasks is not None:
            for task in tuple(self._running):
                task.cancel()
            await tasks.__aexit__(None, None, None)

    def _spawn(self, work: Awaitable[None]) -> None:
        if self._tasks is None:
            if asyncio.iscoroutine(work):
                work.close()
            return
        self._track(self._tasks.create_task(self._guard(work), name="mesh.relay"))

    def _track(self, task: asyncio.Task[None]) -> None:
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    @staticmethod
    async def _guard(work: Awaitable[None]) -> None:
        try:
            await work
        except MeshError as exc:
            _LOGGER.debug("mesh task failed: %s", exc)

    # -- loops ----------------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        async for received in self._transport.packets():
            await self.receive(received)

    async def _probe_loop(self) -> None:
        config, clock = self.config, self.clock
        await clock.sleep(self._rng.random() * config.probe_interval)  # spread the ticks
        while True:
            start = clock.monotonic()
            self.reap()
            target = self._prober.next_target() if not self._leaving else None
            if target is not None:
                await self._prober.probe(target)
            await clock.sleep(
                max(0.0, start + self.awareness.scale(config.probe_interval) - clock.monotonic())
            )

    async def _gossip_loop(self) -> None:
        config, clock = self.config, self.clock
        await clock.sleep(self._rng.random() * config.gossip_interval)
        while True:
            await clock.sleep(config.gossip_interval)
            await self.gossip()

    async def _pushpull_loop(self) -> None:
        config, clock = self.config, self.clock
        if config.pushpull_interval <= 0:
            return
        await clock.sleep(self._rng.random() * config.pushpull_interval)
        while True:
            candidates = [s.node for s in self.others() if s.status is Status.ALIVE]
            if candidates:
                await self.pushpull(self._rng.choice(candidates))
            # Serf's reconnect: after a partition both sides hold the other as dead and
            # neither would gossip or exchange with it again; one try per period heals it
            dead = [s.node for s in self.others() if s.status is Status.DEAD]
            if dead:
                self._spawn(self._reconnect(self._rng.choice(dead)))
            await clock.sleep(config.pushpull_period(self.count()))

    async def _reconnect(self, node: NodeId) -> None:
        if await self.pushpull(node):
            _LOGGER.info("reached a member believed dead peer=%s", node)

    # -- one round of each mechanism (tests call them directly) ---------------------------------

    async def gossip(self) -> int:
        """Send queued updates to `gossip_nodes` random members; the packets sent."""
        if not len(self._queue):
            return 0
        now = self.clock.monotonic()
        dead_time = self.config.gossip_to_the_dead_time
        candidates = [
            s.node
            for s in self.others()
            if not s.status.gone or (s.status is Status.DEAD and now - s.since < dead_time)
        ]
        sent = 0
        for target in self._rng.sample(candidates, min(self.config.gossip_nodes, len(candidates))):
            updates = self._queue.take(1, self.config.packet_budget)
            if not updates:
                break
            await self._transport.send(target, b"[" + b",".join(updates) + b"]")
            sent += 1
        return sent

    async def probe(self, target: NodeId) -> bool:
        return await self._prober.probe(target)

    async def pushpull(self, peer: NodeId) -> bool:
        body = encode_state(list(self._states.values()), self._delegate.local_state())
        try:
            answer = await self._transport.exchange(peer, body, self.config.exchange_timeout)
        except MeshError as exc:
            _LOGGER.debug("push-pull failed peer=%s: %s", peer, exc)
            return False
        try:
            self._merge(peer, answer)
        except PayloadError as exc:
            self._bad(peer, str(exc))
            return False
        return True

    # -- receiving ----------------------------------------------------------------------------

    async def receive(self, received: Received) -> None:
        sender = received.sender
        try:
            messages = decode(received.packet)
        except PayloadError as exc:
            self._bad(sender, str(exc))
            return
        for message in messages:
            await self._handle(sender, message)

    async def _handle(self, sender: NodeId, message: Message) -> None:
        kind = message[0]
        if kind == "ping":
            _, seq, target, _source = message
            if target == self.node:
                await self.send(sender, ["ack", seq])
        elif kind == "ireq":
            _, seq, target, source = message
            self._prober.relay(seq, NodeId(target), NodeId(source), self._spawn)
        elif kind == "ack":
            wait = self._acks.get(message[1])
            if wait is not None and not wait.future.done():
                wait.future.set_result(True)
        elif kind == "nack":
            wait = self._acks.get(message[1])
            if wait is not None:
                wait.nacks += 1
        elif kind == "alive":
            _, node, incarnation, meta = message
            self.alive(NodeId(node), incarnation, meta, sender=sender)
        elif kind == "suspect":
            _, node, incarnation, accuser = message
            self.suspect(NodeId(node), incarnation, NodeId(accuser))
        elif kind == "dead":
            _, node, incarnation, accuser = message
            self.dead(NodeId(node), incarnation, NodeId(accuser))
        elif kind == "user":
            self._delegate.notify(sender, message[1])
        else:  # "pp" only travels in exchanges
            self._bad(sender, f"unexpected {kind!r} in a gossip packet")

    def _answer_pushpull(self, sender: NodeId, body: bytes) -> bytes:
        try:  # merged first: a refutation it causes goes back in the answer
            self._merge(sender, body)
        except PayloadError as exc:
            self._bad(sender, str(exc))
        return encode_state(list(self._states.values()), self._delegate.local_state())

    def _merge(self, sender: NodeId, body: bytes) -> None:
        rows, app_state = decode_state(body)
        for node, incarnation, status, meta in rows:
            if status is Status.ALIVE:
                self.alive(node, incarnation, meta)
            elif status is Status.LEFT:
                self.alive(node, incarnation, meta)  # known first, so that it can leave
                self.dead(node, incarnation, node)
            else:  # suspect, or dead: suspect, so that it may still refute
                self.alive(node, incarnation, meta)
                self.suspect(node, incarnation, sender)
        if app_state:
            self._delegate.merge_remote_state(sender, app_state)

    # -- sending ---------------------------------------------------------------------------------

    async def send(self, to: NodeId, message: Message) -> None:
        """`message` with as many queued updates as fit piggybacked."""
        head = encode_one(message)
        updates = self._queue.take(1, self.config.packet_budget - len(head))
        await self._transport.send(to, b"[" + b",".join([head, *updates]) + b"]")

    def expect_ack(self) -> tuple[int, AckWait]:
        seq = next(self._seq)
        wait = AckWait(asyncio.get_running_loop().create_future())
        self._acks[seq] = wait
        return seq, wait

    def forget_ack(self, seq: int) -> None:
        self._acks.pop(seq, None)

    # -- the rules ---------------------------------------------------------------------------------

    def state(self, node: NodeId) -> NodeState | None:
        return self._states.get(node)

    def others(self) -> list[NodeState]:
        return [s for s in self._states.values() if s.node != self.node]

    def alive(self, node: NodeId, incarnation: int, meta: str = "", *, sender: NodeId | None = None) -> None:
        if node == self.node:
            if incarnation > self._me.incarnation and not self._leaving:
                self._refute(incarnation)
            return
        state = self._states.get(node)
        now = self.clock.monotonic()
        if state is None:
            state = NodeState(node, incarnation, Status.ALIVE, now)
            state.meta = meta
            self._states[node] = state
            self._queue.queue(node, encode_one(["alive", node, incarnation, meta]))
            self._emit(MemberJoined, state)
            if sender == node:
                self._welcome(node)
            return
        if incarnation <= state.incarnation:
            if state.status.gone and sender == node:
                self._welcome(node)  # restarted at an old incarnation: our view makes it refute
            return
        self._stop_suspicion(node)
        before = state.status
        state.incarnation = incarnation
        state.meta = meta
        self._queue.queue(node, encode_one(["alive", node, incarnation, meta]))
        if before is not Status.ALIVE:
            state.status = Status.ALIVE
            state.since = now
            self._emit(MemberAlive if before is Status.SUSPECT else MemberJoined, state)
            if before.gone and sender == node:
                self._welcome(node)

    def suspect(self, node: NodeId, incarnation: int, accuser: NodeId) -> None:
        state = self._states.get(node)
        if state is None or incarnation < state.incarnation:
            return
        suspicion = self._suspicions.get(node)
        if suspicion is not None:
            if suspicion.confirm(accuser):
                self._queue.queue(node, encode_one(["suspect", node, incarnation, accuser]))
            return
        if state.status is not Status.ALIVE:
            return
        if node == self.node:
            self._refute(incarnation)
            return
        self._queue.queue(node, encode_one(["suspect", node, incarnation, accuser]))
        state.incarnation = incarnation
        state.status = Status.SUSPECT
        state.since = self.clock.monotonic()
        n = self.count()
        k = self.config.suspicion_mult - 2
        if n - 2 < k:
            k = 0
        least = self.config.suspicion_timeout(n)
        self._suspicions[node] = Suspicion(
            accuser,
            k,
            least,
            least * self.config.suspicion_max_timeout_mult,
            self.clock,
            lambda: self._suspicion_expired(node, incarnation),
        )
        _LOGGER.info("member suspect peer=%s incarnation=%d accuser=%s", node, incarnation, accuser)
        self._emit(MemberSuspect, state)

    def suspect_from_probe(self, node: NodeId) -> None:
        state = self._states.get(node)
        if state is not None:
            self.suspect(node, state.incarnation, self.node)

    def dead(self, node: NodeId, incarnation: int, accuser: NodeId) -> None:
        state = self._states.get(node)
        if state is None or incarnation < state.incarnation:
            return
        self._stop_suspicion(node)
        if state.status.gone and node != self.node:
            return
        if node == self.node:
            if not self._leaving:
                self._refute(incarnation)
            return
        left = accuser == node
        self._queue.queue(node, encode_one(["dead", node, incarnation, accuser]))
        state.incarnation = incarnation
        state.status = Status.LEFT if left else Status.DEAD
        state.since = self.clock.monotonic()
        _LOGGER.info("member %s peer=%s incarnation=%d", state.status.value, node, incarnation)
        self._emit(MemberLeft if left else MemberDead, state)

    def offline(self, node: NodeId) -> None:
        """Fast evidence that `node`'s process is gone (its broker will): declare it dead
        now rather than after probes and a suspicion; if it is in fact alive it refutes."""
        state = self._states.get(node)
        if state is not None and not state.status.gone and node != self.node:
            self.dead(node, state.incarnation, self.node)

    def departed(self, node: NodeId) -> None:
        """`node` said it left (its clean-exit status)."""
        state = self._states.get(node)
        if state is not None and node != self.node:
            self.dead(node, state.incarnation, node)

    def reap(self) -> int:
        """Forget tombstones older than `tombstone_time`; the number forgotten."""
        horizon = self.clock.monotonic() - self.config.tombstone_time
        old = [n for n, s in self._states.items() if s.status.gone and s.since < horizon and n != self.node]
        for node in old:
            del self._states[node]
        return len(old)

    # -- helpers ------------------------------------------------------------------------------------

    def _refute(self, incarnation: int) -> None:
        self._me.incarnation = max(self._me.incarnation, incarnation) + 1
        self.refutations += 1
        self.awareness.apply(1)
        self._queue.queue(self.node, self._alive_message())
        _LOGGER.info("refuting a suspicion of ourselves incarnation=%d", self._me.incarnation)

    def _alive_message(self) -> bytes:
        return encode_one(["alive", self.node, self._me.incarnation, self._me.meta])

    def _welcome(self, node: NodeId) -> None:
        # A newcomer announced itself: a few of us (not all) hand it the whole view.
        others = max(1, self.count() - 1)
        if self._rng.random() < min(1.0, 2 * self.config.gossip_nodes / others):
            self._spawn(self._welcome_pushpull(node))

    async def _welcome_pushpull(self, node: NodeId) -> None:
        await self.pushpull(node)

    def _suspicion_expired(self, node: NodeId, incarnation: int) -> None:
        self._suspicions.pop(node, None)
        state = self._states.get(node)
        if state is not None and state.status is Status.SUSPECT and state.incarnation == incarnation:
            self.dead(node, incarnation, self.node)

    def _stop_suspicion(self, node: NodeId) -> None:
        suspicion = self._suspicions.pop(node, None)
        if suspicion is not None:
            suspicion.stop()

    def _emit(self, kind: type[MemberEvent], state: NodeState) -> None:
        if self._bus is not None:
            self._bus.publish(
                kind(node=state.node, incarnation=state.incarnation, time=self.clock.now().timestamp())
            )

    def _bad(self, sender: NodeId, why: str) -> None:
        self.bad_packets += 1
        if self._throttle.allow(f"bad:{sender}"):
            _LOGGER.warning("gossip dropped peer=%s bad=%d: %s", sender, self.bad_packets, why)


