"""SWIM with Lifeguard on the simulated network: the real protocol code, a ManualClock,
deterministic (one seeded random generator per network and per node)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace

import pytest

from hub.clock import ManualClock
from hub.events import (
    Event,
    EventBus,
    MemberAlive,
    MemberDead,
    MemberJoined,
    MemberLeft,
    MemberSuspect,
)
from hub.mesh import GossipConfig, Membership, SimNetwork, Status
from hub.mesh.config import GossipConfig as Config
from hub.mesh.suspicion import remaining
from hub.model import NodeId

FAST = replace(GossipConfig.lan(), pushpull_interval=0)  # push-pull only when a test asks


class Cluster:
    def __init__(self, network: SimNetwork, nodes: dict[NodeId, Membership], buses: dict[NodeId, EventBus]) -> None:
        self.network = network
        self.nodes = nodes
        self.seen: list[tuple[str, Event]] = []
        for name, bus in buses.items():
            bus.listen(Event, lambda e, name=name: self.seen.append((name, e)))

    @property
    def events(self) -> list[Event]:
        """What the live nodes saw (a crashed node's own view is left out)."""
        return [e for observer, e in self.seen if observer in self.live]

    def view(self, observer: str, node: str) -> Status | None:
        member = self.nodes[NodeId(observer)].member(NodeId(node))
        return member.status if member else None

    def everyone_sees(self, node: str, status: Status) -> bool:
        return all(self.view(o, node) is status for o in self.nodes if o != node and o in self.live)

    @property
    def live(self) -> set[str]:
        return {n for n in self.nodes if self.network.reachable(NodeId(n), NodeId(n))}


async def until_done(network: SimNetwork, task: asyncio.Future[bool], limit: float = 30.0) -> bool:
    """Run the simulated network until `task` finishes (a probe lasts a scaled interval)."""
    end = network.clock.monotonic() + limit
    while not task.done() and network.clock.monotonic() < end:
        await network.run(0.1)
    return await task


@asynccontextmanager
async def cluster(
    n: int, *, config: GossipConfig = FAST, loss: float = 0.0, seed: int = 1, join: bool = True,
    loops: bool = True,
) -> AsyncIterator[Cluster]:
    clock = ManualClock()
    network = SimNetwork(clock, loss=loss, latency=0.005, seed=seed)
    buses = {NodeId(f"n{i:02d}"): EventBus() for i in range(n)}
    names = [NodeId(f"n{i:02d}") for i in range(n)]
    async with AsyncExitStack() as stack:
        nodes: dict[NodeId, Membership] = {}
        for i, name in enumerate(names):
            transport = await stack.enter_async_context(network.transport(name))
            nodes[name] = await stack.enter_async_context(
                Membership(name, transport, clock=clock, config=config, bus=buses[name], seed=seed * 1000 + i, loops=loops)
            )
        await network.settle()
        result = Cluster(network, nodes, buses)
        if join:
            await network.run(0.5)
        yield result


async def test_nodes_find_each_other_through_the_announcement() -> None:
    async with cluster(5) as c:
        for observer in c.nodes:
            assert sorted(m.node for m in c.nodes[observer].members()) == sorted(c.nodes)
            assert all(m.status is Status.ALIVE for m in c.nodes[observer].members())
        joined = [e for e in c.events if isinstance(e, MemberJoined)]
        assert len(joined) == 5 * 4


async def test_join_through_a_seed_learns_the_whole_view() -> None:
    clock = ManualClock()
    network = SimNetwork(clock, seed=3)
    async with AsyncExitStack() as stack:
        nodes = {}
        network.partition({"a", "b"}, {"c"})  # c's announcement reaches nobody
        for i, x in enumerate("abc"):
            transport = await stack.enter_async_context(network.transport(NodeId(x)))
            nodes[x] = await stack.enter_async_context(
                Membership(NodeId(x), transport, clock=clock, config=FAST, seed=i)
            )
        await network.run(0.1)
        network.heal()
        c = nodes["c"]
        assert c.member(NodeId("a")) is None
        joining = asyncio.ensure_future(c.join([NodeId("a")]))
        await network.run(0.1)
        assert await joining == 1
        assert {m.node for m in c.members()} == {"a", "b", "c"}
        assert nodes["a"].member(NodeId("c")) is not None


async def test_a_crashed_node_is_probed_suspected_then_dead_everywhere() -> None:
    async with cluster(6) as c:
        c.network.kill(NodeId("n03"))
        await c.network.run(3.0)
        assert any(isinstance(e, MemberSuspect) and e.node == "n03" for e in c.events)
        await c.network.run(30.0)
        assert c.everyone_sees("n03", Status.DEAD)
        assert not any(isinstance(e, MemberDead) and e.node != "n03" for e in c.events)


async def test_indirect_probe_saves_a_node_whose_direct_link_is_lost() -> None:
    async with cluster(4, loops=False) as c:
        a, b = c.nodes[NodeId("n00")], NodeId("n01")
        real = c.network.reachable
        c.network.reachable = lambda x, y: real(x, y) and {x, y} != {"n00", "n01"}  # type: ignore[method-assign]
        probing = asyncio.ensure_future(a.probe(b))
        assert await until_done(c.network, probing) is True  # answered through a helper
        assert c.view("n00", "n01") is Status.ALIVE


async def test_a_suspected_node_refutes_with_a_higher_incarnation() -> None:
    async with cluster(4) as c:
        c.nodes[NodeId("n00")].suspect(NodeId("n02"), 0, NodeId("n00"))
        assert c.view("n00", "n02") is Status.SUSPECT
        await c.network.run(2.0)
        victim = c.nodes[NodeId("n02")]
        assert victim.incarnation == 1 and victim.refutations == 1
        assert c.everyone_sees("n02", Status.ALIVE)
        assert any(isinstance(e, MemberAlive) and e.node == "n02" and e.incarnation == 1 for e in c.events)
        # an old suspicion arriving late changes nothing
        c.nodes[NodeId("n01")].suspect(NodeId("n02"), 0, NodeId("n03"))
        assert c.view("n01", "n02") is Status.ALIVE


async def test_lifeguard_a_node_that_misses_nacks_raises_its_own_awareness() -> None:
    async with cluster(5, loops=False) as c:
        a = c.nodes[NodeId("n00")]
        c.network.kill(NodeId("n04"))
        # n00 is cut from everyone: no ack, no nack comes back
        c.network.partition({"n00"}, {"n01", "n02", "n03", "n04"})
        probing = asyncio.ensure_future(a.probe(NodeId("n04")))
        assert await until_done(c.network, probing) is False
        assert a.awareness.score == 3  # three helpers asked, no nack from any
        c.network.heal()
        b = c.nodes[NodeId("n01")]
        probing = asyncio.ensure_future(b.probe(NodeId("n04")))
        assert await until_done(c.network, probing) is False
        assert b.awareness.score == 0  # every helper answered with a nack: not our fault


def test_suspicion_timeout_shrinks_with_confirmations() -> None:
    assert remaining(0, 3, 0.0, 2.0, 30.0) == 30.0
    assert remaining(3, 3, 0.0, 2.0, 30.0) == 2.0
    assert 2.0 < remaining(1, 3, 0.0, 2.0, 30.0) < 30.0
    assert remaining(1, 3, 5.0, 2.0, 30.0) == remaining(1, 3, 0.0, 2.0, 30.0) - 5.0


def test_config_formulas() -> None:
    lan = Config.lan()
    assert lan.suspicion_timeout(10) == 4.0
    assert lan.suspicion_timeout(1000) == pytest.approx(12.0)
    assert lan.retransmit_limit(100) == 4 * 3
    assert lan.pushpull_period(32) == 30.0 and lan.pushpull_period(64) == 60.0
    assert Config.wan().probe_interval > lan.probe_interval > Config.local().probe_interval


async def test_a_clean_leave_is_left_not_dead() -> None:
    async with cluster(4) as c:
        await c.nodes[NodeId("n02")].leave()
        c.network.kill(NodeId("n02"))
        await c.network.run(20.0)
        assert c.everyone_sees("n02", Status.LEFT)
        assert any(isinstance(e, MemberLeft) and e.node == "n02" for e in c.events)
        assert not any(isinstance(e, MemberDead) for e in c.events)


async def test_offline_will_is_dead_at_once_and_the_living_refute_it() -> None:
    async with cluster(3) as c:
        c.nodes[NodeId("n00")].offline(NodeId("n01"))
        assert c.view("n00", "n01") is Status.DEAD
        await c.network.run(2.0)  # n01 is alive: it hears it and refutes
        assert c.everyone_sees("n01", Status.ALIVE)
        assert c.nodes[NodeId("n01")].incarnation == 1


async def test_pushpull_converges_after_a_partition_heals() -> None:
    config = replace(FAST, pushpull_interval=5.0)
    async with cluster(6, config=config) as c:
        c.network.partition({"n00", "n01", "n02"}, {"n03", "n04", "n05"})
        await c.network.run(40.0)
        assert c.view("n00", "n04") is Status.DEAD and c.view("n04", "n00") is Status.DEAD
        c.network.heal()
        await c.network.run(40.0)
        for node in c.nodes:
            assert c.everyone_sees(node, Status.ALIVE), node


async def test_tombstones_are_kept_then_forgotten() -> None:
    config = replace(FAST, tombstone_time=60.0)
    async with cluster(3, config=config) as c:
        a = c.nodes[NodeId("n00")]
        c.network.kill(NodeId("n02"))
        await c.network.run(30.0)
        assert c.view("n00", "n02") is Status.DEAD
        a.alive(NodeId("n02"), 0)  # a stale alive in flight: the tombstone wins
        assert c.view("n00", "n02") is Status.DEAD
        assert a.reap() == 0
        await c.network.run(61.0)  # the probe loop reaps
        assert a.member(NodeId("n02")) is None
        assert c.nodes[NodeId("n01")].member(NodeId("n02")) is None


async def test_a_malformed_packet_is_counted_not_fatal() -> None:
    async with cluster(2) as c:
        transport = c.network._nodes[NodeId("n00")]
        await transport.send(NodeId("n01"), b'[["ping","x"]]')
        await c.network.run(0.1)
        assert c.nodes[NodeId("n01")].bad_packets == 1


class Recorder:
    """A delegate: its state is one line; it keeps what it hears."""

    def __init__(self, state: str) -> None:
        self.state = state
        self.merged: list[tuple[str, str]] = []
        self.notified: list[tuple[str, str]] = []

    def local_state(self) -> str:
        return self.state

    def merge_remote_state(self, sender: NodeId, state: str) -> None:
        self.merged.append((sender, state))

    def notify(self, sender: NodeId, data: str) -> None:
        self.notified.append((sender, data))


async def test_the_delegate_gets_remote_state_by_pushpull_and_broadcasts_by_gossip() -> None:
    clock = ManualClock()
    network = SimNetwork(clock, seed=5)
    async with AsyncExitStack() as stack:
        nodes, delegates = {}, {}
        for i, x in enumerate("ab"):
            delegates[x] = Recorder(f"state of {x}")
            transport = await stack.enter_async_context(network.transport(NodeId(x)))
            nodes[x] = await stack.enter_async_context(
                Membership(NodeId(x), transport, clock=clock, config=FAST, seed=i,
                           delegate=delegates[x])
            )
        await network.run(0.5)
        exchange = asyncio.ensure_future(nodes["a"].pushpull(NodeId("b")))
        await network.run(0.1)
        assert await exchange is True
        assert ("a", "state of a") in delegates["b"].merged
        assert ("b", "state of b") in delegates["a"].merged
        nodes["a"].broadcast("load", "load=0.5")
        nodes["a"].broadcast("load", "load=0.7")  # replaces the queued one
        await network.run(1.0)
        # best effort and repeated (each retransmission), never the replaced value
        assert set(delegates["b"].notified) == {("a", "load=0.7")}


def test_the_broadcast_queue_limits_transmissions_and_replaces_by_key() -> None:
    from hub.mesh.broadcast import BroadcastQueue

    queue = BroadcastQueue(lambda: 2)
    queue.queue("n1", b"old")
    queue.queue("n1", b"new")
    queue.queue("n2", b"other")
    assert sorted(queue.take(1, 100)) == [b"new", b"other"]
    assert sorted(queue.take(1, 100)) == [b"new", b"other"]
    assert queue.take(1, 100) == [] and len(queue) == 0
    queue.queue("n3", b"x" * 60)
    queue.queue("n4", b"y" * 60)
    assert len(queue.take(1, 100)) == 1  # the budget fits one
    assert len(queue.take(1, 100)) == 1
