"""route(work) on the real model: matching, penalties, constraints, reasons and errors."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from hub.clock import ManualClock
from hub.errors import ConfigError, NoCapableNode
from hub.events import CapabilityAdded, CapabilityRemoved, EventBus
from hub.model import Capability, Constraints, NodeId, Tool, WorkUnit
from hub.routing.embedder import Embedder
from hub.routing.gradient import GradientTable
from hub.routing.index import CapabilityIndex
from hub.routing.router import Decision, Router, RouterConfig
from tests.test_index import camera, fan, light, lock

HERE = NodeId("hub-here")
PEER = NodeId("hub-peer")
FAR = NodeId("hub-far")


def chat(cid: str, node: NodeId, **attributes: object) -> Capability:
    return Capability(
        cid,
        "llm/chat",
        "Chat model",
        node=node,
        description="A language model: answers questions, summarises and writes text",
        tools=(Tool("chat", "Answer a chat conversation"),),
        attributes=attributes,
    )


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def index(embedder: Embedder) -> CapabilityIndex:
    index = CapabilityIndex(embedder)
    for capability in (
        light("light.kitchen", "Kitchen ceiling", "kitchen", HERE),
        light("light.bedroom", "Bedroom lamp", "bedroom", HERE),
        lock(node=HERE),
        fan(),
        camera(),
    ):
        index.add(capability)
    return index


@pytest.fixture
def router(index: CapabilityIndex, clock: ManualClock) -> Router:
    return Router(index, local_node=HERE, clock=clock)


def factors(decision: Decision, i: int = 0) -> dict[str, float]:
    return {r.factor: r.value for r in decision.candidates[i].reasons}


def test_an_intent_routes_to_the_matching_device_and_tool(router: Router) -> None:
    decision = router.route(WorkUnit(intent="dim the kitchen lights"))
    best = decision.best
    assert (best.capability.id, best.tool, best.node) == ("light.kitchen", "turn_on", HERE)
    assert decision.model_id == "all-MiniLM-L6-v2-int8"
    assert list(factors(decision)) == ["match", "load", "queue", "latency", "cost"]
    assert factors(decision)["latency"] == 1.0
    assert "0.0 ms (this hub)" in next(r.why for r in best.reasons if r.factor == "latency")
    scores = [c.score for c in decision.candidates]
    assert scores == sorted(scores, reverse=True)
    assert "lock.front" not in [c.capability.id for c in decision.candidates]


def test_a_capability_without_a_node_is_local(router: Router) -> None:
    best = router.route(WorkUnit(intent="turn on the bedroom fan")).best
    assert (best.capability.id, best.node) == ("fan.bedroom", HERE)


def test_explicit_work_skips_the_embedding(router: Router, embedder: Embedder) -> None:
    misses = embedder.cache_stats().misses
    decision = router.route(WorkUnit(capability="lock.front", tool="unlock"))
    assert embedder.cache_stats().misses == misses
    assert decision.model_id is None
    assert (decision.best.tool, decision.best.reasons[0].value) == ("unlock", 1.0)


def test_explicit_capability_picks_its_tool_by_the_intent(router: Router) -> None:
    decision = router.route(WorkUnit(intent="unlock it", capability="lock.front"))
    assert decision.best.tool == "unlock"
    single = router.route(WorkUnit(capability="camera.porch"))
    assert single.best.tool == "get_frame"


def test_explicit_errors_say_what_to_fix(router: Router) -> None:
    with pytest.raises(NoCapableNode, match="no capability 'lock.back' is registered here"):
        router.route(WorkUnit(capability="lock.back", tool="lock"))
    with pytest.raises(
        NoCapableNode,
        match=r"capability 'lock.front' has no tool 'open' \(its tools: lock, unlock\)",
    ):
        router.route(WorkUnit(capability="lock.front", tool="open"))
    with pytest.raises(
        NoCapableNode,
        match="work for capability 'lock.front' names no tool: give one of lock, unlock",
    ):
        router.route(WorkUnit(capability="lock.front"))
    with pytest.raises(NoCapableNode, match="work has neither an intent nor a capability"):
        router.route(WorkUnit(intent="   "))


def test_a_named_tool_limits_the_candidates(router: Router) -> None:
    decision = router.route(WorkUnit(intent="bedroom", tool="turn_on"))
    assert {c.capability.id for c in decision.candidates} <= {
        "fan.bedroom",
        "light.bedroom",
        "light.kitchen",
    }
    assert all(c.tool == "turn_on" for c in decision.candidates)


def test_nothing_matching_names_the_closest(router: Router) -> None:
    with pytest.raises(NoCapableNode) as caught:
        router.route(WorkUnit(intent="compute the orbital period of Jupiter"))
    message = str(caught.value)
    assert message.startswith(
        "no capability matches 'compute the orbital period of Jupiter' well enough (closest: "
    )
    assert message.endswith("or lower routing.min_match")


def test_an_empty_index(clock: ManualClock, embedder: Embedder) -> None:
    router = Router(CapabilityIndex(embedder), local_node=HERE, clock=clock)
    with pytest.raises(NoCapableNode, match="'open the door': no capabilities are registered"):
        router.route(WorkUnit(intent="open the door"))


def test_unavailable_is_excluded_with_the_reason(index: CapabilityIndex, router: Router) -> None:
    index.set_available("lock.front", False)
    decision = router.explain(WorkUnit(intent="lock the front door"))
    assert "lock.front" not in [c.capability.id for c in decision.candidates]
    assert (decision.excluded[0].capability.id, decision.excluded[0].why) == (
        "lock.front",
        "unavailable",
    )
    with pytest.raises(
        NoCapableNode,
        match=r"^no capability can take lock.front.lock: lock.front \(node hub-here\): "
        "unavailable$",
    ):
        router.route(WorkUnit(capability="lock.front", tool="lock"))
    explicit = router.explain(WorkUnit(capability="lock.front", tool="lock"))
    with pytest.raises(NoCapableNode, match="unavailable"):
        _ = explicit.best


def test_local_only_and_gpu_required(index: CapabilityIndex, clock: ManualClock) -> None:
    index.add(chat("chat.remote", PEER, gpu=True))
    index.add(chat("chat.here", HERE))
    router = Router(index, local_node=HERE, clock=clock)
    work = WorkUnit(intent="summarise this article for me")
    assert {c.capability.id for c in router.route(work).candidates} >= {"chat.here", "chat.remote"}
    local = router.route(replace(work, constraints=Constraints(local_only=True)))
    assert [c.capability.id for c in local.candidates] == ["chat.here"]
    assert local.excluded[0].why == "local_only: runs on node hub-peer, not on this hub"
    gpu = router.route(replace(work, constraints=Constraints(gpu_required=True)))
    assert [c.capability.id for c in gpu.candidates] == ["chat.remote"]
    assert gpu.excluded[0].why == "gpu_required: the capability has no gpu"
    with pytest.raises(NoCapableNode) as caught:
        router.route(replace(work, constraints=Constraints(gpu_required=True, local_only=True)))
    assert str(caught.value).startswith("no capability can take 'summarise this article for me': ")
    assert "chat.here (node hub-here): gpu_required: the capability has no gpu" in str(caught.value)
    assert "chat.remote (node hub-peer): local_only: runs on node hub-peer" in str(caught.value)


def test_a_capability_local_only_to_its_node(index: CapabilityIndex, router: Router) -> None:
    index.add(replace(camera("camera.peer"), node=PEER, attributes={"local_only": True}))
    decision = router.explain(WorkUnit(intent="snapshot of the porch camera"))
    assert [(e.capability.id, e.why) for e in decision.excluded] == [
        ("camera.peer", "the capability is local_only to its node hub-peer")
    ]


def test_data_residency(index: CapabilityIndex, clock: ManualClock) -> None:
    index.add(chat("chat.eu", PEER))
    index.add(chat("chat.us", FAR, residency="us"))
    index.add(chat("chat.unknown", NodeId("hub-nowhere")))
    sites = {PEER: "eu", FAR: "eu"}  # the attribute wins over the node's site
    router = Router(index, local_node=HERE, clock=clock, site_of=sites.get)
    decision = router.route(
        WorkUnit(intent="summarise this text", constraints=Constraints(residency="eu"))
    )
    assert [c.capability.id for c in decision.candidates] == ["chat.eu"]
    whys = {e.capability.id: e.why for e in decision.excluded}
    assert whys["chat.us"] == "residency 'eu' required, data would go to 'us'"
    assert whys["chat.unknown"] == (
        "residency 'eu' required: the site of node hub-nowhere is unknown"
    )


def test_latency_measured_assumed_and_limited(index: CapabilityIndex, clock: ManualClock) -> None:
    index.add(chat("chat.near", PEER))
    index.add(chat("chat.far", FAR))
    latencies = {PEER: 5.0}
    router = Router(index, local_node=HERE, clock=clock, latency_of=latencies.get)
    decision = router.route(WorkUnit(intent="answer a question"))
    assert [c.capability.id for c in decision.candidates[:2]] == ["chat.near", "chat.far"]
    why = {
        c.capability.id: next(r.why for r in c.reasons if r.factor == "latency")
        for c in decision.candidates
    }
    assert why["chat.near"] == "5.0 ms (measured)"
    assert why["chat.far"] == "50.0 ms (assumed)"
    limited = router.route(
        WorkUnit(intent="answer a question", constraints=Constraints(max_latency_ms=20))
    )
    assert [c.capability.id for c in limited.candidates] == ["chat.near"]
    assert limited.excluded[0].why == "max_latency_ms 20: latency 50.0 ms (assumed)"


def test_the_deadline_excludes_what_cannot_make_it(
    index: CapabilityIndex, clock: ManualClock
) -> None:
    index.add(chat("chat.far", FAR))
    index.add(chat("chat.here", HERE))
    router = Router(index, local_node=HERE, clock=clock)
    work = WorkUnit(intent="answer a question", deadline=clock.monotonic() + 0.03)
    decision = router.route(work)
    assert [c.capability.id for c in decision.candidates] == ["chat.here"]
    assert decision.excluded[0].why == "deadline in 30 ms, latency 50.0 ms (assumed)"
    clock.advance(1)
    with pytest.raises(NoCapableNode, match="deadline passed 970 ms ago"):
        router.route(work)


def test_load_queue_and_cost_penalise(index: CapabilityIndex, clock: ManualClock) -> None:
    index.add(chat("chat.a", HERE, cost=0))
    index.add(chat("chat.b", HERE, cost=0))
    live = {c.id: c for c in index.capabilities()}
    live["chat.a"] = replace(live["chat.a"], load=0.8)  # the registry sets load without events
    router = Router(index, local_node=HERE, clock=clock, live=live.get)
    decision = router.route(WorkUnit(intent="answer a question"))
    assert decision.best.capability.id == "chat.b"
    loaded = next(c for c in decision.candidates if c.capability.id == "chat.a")
    assert {r.factor: r.value for r in loaded.reasons}["load"] == pytest.approx(0.6)

    queues = {"chat.b": 12}
    router = Router(index, local_node=HERE, clock=clock, queue_of=lambda i: queues.get(i, 0))
    decision = router.route(WorkUnit(intent="answer a question"))
    assert decision.best.capability.id == "chat.a"
    queued = next(c for c in decision.candidates if c.capability.id == "chat.b")
    assert [(r.value, r.why) for r in queued.reasons if r.factor == "queue"] == [
        (0.25, "12 waiting")
    ]

    index.add(chat("chat.a", HERE, cost=3))
    decision = Router(index, local_node=HERE, clock=clock).route(
        WorkUnit(intent="answer a question")
    )
    assert decision.best.capability.id == "chat.b"
    costly = next(c for c in decision.candidates if c.capability.id == "chat.a")
    assert [(r.value, r.why) for r in costly.reasons if r.factor == "cost"] == [(0.25, "cost 3")]


def test_the_gradient_steers_between_remote_providers(
    index: CapabilityIndex, clock: ManualClock
) -> None:
    index.add(chat("chat.peer", PEER))
    index.add(chat("chat.far", FAR))
    gradient = GradientTable(clock)
    gradient.advertise("llm/chat.chat", PEER, hops=1, latency_ms=10.0)
    gradient.advertise("llm/chat.chat", FAR, hops=1, latency_ms=10.0)
    router = Router(index, local_node=HERE, clock=clock, gradient=gradient)
    work = WorkUnit(intent="answer a question")
    first = router.route(work)
    assert {c.capability.id for c in first.candidates[:2]} == {"chat.peer", "chat.far"}
    gradient.penalise("llm/chat.chat", PEER)
    decision = router.route(work)
    assert [c.capability.id for c in decision.candidates[:2]] == ["chat.far", "chat.peer"]
    reasons = {r.factor: (r.value, r.why) for r in decision.candidates[1].reasons}
    assert reasons["reliability"][0] == pytest.approx(0.4)
    assert reasons["reliability"][1] == "gradient 0.40"
    assert reasons["latency"][1] == "10.0 ms (gradient)"
    clock.advance(gradient.config.ttl)  # both stale: the prior, and the assumed latency
    stale = {r.factor: r.why for r in router.route(work).candidates[0].reasons}
    assert stale["reliability"] == "no fresh gradient entry, prior 0.80"
    assert stale["latency"] == "50.0 ms (assumed)"


def test_the_requesters_area_breaks_a_tie(router: Router) -> None:
    decision = router.route(WorkUnit(intent="turn off the light", context={"area": "bedroom"}))
    assert decision.best.capability.id == "light.bedroom"
    assert factors(decision)["area"] == pytest.approx(1.1)


def test_only_the_limit_is_returned(index: CapabilityIndex, clock: ManualClock) -> None:
    for i in range(12):
        index.add(light(f"light.extra{i}", f"Lamp {i}", f"room {i}", HERE))
    router = Router(index, local_node=HERE, clock=clock, config=RouterConfig(limit=3))
    decision = router.route(WorkUnit(intent="switch on a lamp"))
    assert len(decision.candidates) == 3
    everything = Router(index, local_node=HERE, clock=clock, config=RouterConfig(limit=50))
    full = everything.route(WorkUnit(intent="switch on a lamp")).candidates
    assert [c.capability.id for c in decision.candidates] == [c.capability.id for c in full[:3]]


def test_router_config_errors() -> None:
    with pytest.raises(ConfigError, match="routing.limit: expected 1 or more, got 0"):
        RouterConfig(limit=0)
    with pytest.raises(ConfigError, match="routing.latency_half_ms: expected > 0, got 0"):
        RouterConfig(latency_half_ms=0)


def test_penalties_do_not_promote_a_worse_fit(index: CapabilityIndex, clock: ManualClock) -> None:
    index.add(chat("chat.busy", HERE))
    index.add(chat("chat.twin", HERE))
    work = WorkUnit(intent="answer a question")
    strict = RouterConfig(min_match=0.0, match_window=0.0, limit=10)
    decision = Router(index, local_node=HERE, clock=clock, config=strict).route(work)
    assert {c.capability.id for c in decision.candidates} == {"chat.busy", "chat.twin"}
    loose = replace(strict, match_window=1.0)
    decision = Router(index, local_node=HERE, clock=clock, config=loose).route(work)
    assert len(decision.candidates) == 7


async def test_routes_from_a_worker_thread_while_the_bus_feeds_the_index(
    embedder: Embedder, clock: ManualClock
) -> None:
    bus = EventBus()
    index = CapabilityIndex(embedder)
    cancel = index.attach(bus)
    router = Router(index, local_node=HERE, clock=clock)
    bus.publish(CapabilityAdded(lock(node=HERE)))
    decision = await asyncio.to_thread(router.route, WorkUnit(intent="unlock the front door"))
    assert (decision.best.capability.id, decision.best.tool) == ("lock.front", "unlock")
    bus.publish(CapabilityRemoved("lock.front"))
    with pytest.raises(NoCapableNode, match="no capabilities are registered"):
        await asyncio.to_thread(router.route, WorkUnit(intent="unlock the front door"))
    cancel()
