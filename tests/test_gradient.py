"""The gradient table with a ManualClock: reinforce, decay, expire, failover; deterministic."""

from __future__ import annotations

import pytest

from hub.clock import ManualClock
from hub.errors import ConfigError
from hub.model import NodeId
from hub.routing.gradient import GradientConfig, GradientTable, cluster_of

A, B, C = NodeId("node-a"), NodeId("node-b"), NodeId("node-c")
CHAT = "llm/chat.chat"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def table(clock: ManualClock) -> GradientTable:
    return GradientTable(clock, GradientConfig(ttl=60.0))


def test_clusters_are_type_and_tool() -> None:
    assert cluster_of("light", "turn_on") == "light.turn_on"
    assert cluster_of("llm/chat", "chat") == CHAT
    assert cluster_of("camera") == "camera"


def test_an_advertised_route_starts_at_the_prior(table: GradientTable) -> None:
    hop = table.advertise(CHAT, A, hops=2, latency_ms=30.0)
    assert hop is not None
    assert (hop.peer, hop.hops, hop.score, hop.latency_ms, hop.updated) == (A, 2, 0.8, 30.0, 0.0)
    assert not hop.measured
    assert table.best(CHAT) == (hop,)
    assert table.entry(CHAT, A) == hop
    assert len(table) == 1
    assert table.clusters() == (CHAT,)


def test_successes_reinforce_and_smooth_the_latency(
    table: GradientTable, clock: ManualClock
) -> None:
    table.advertise(CHAT, A, hops=1, latency_ms=100.0)
    clock.advance(5)
    first = table.reinforce(CHAT, A, latency_ms=20.0)
    assert first.score == pytest.approx(0.8 + 0.2 * 0.2)
    assert first.latency_ms == 20.0  # the first measurement replaces the advertised guess
    assert first.measured
    assert first.updated == 5.0
    second = table.reinforce(CHAT, A, latency_ms=40.0)
    assert second.score == pytest.approx(first.score + 0.2 * (1 - first.score))
    assert second.latency_ms == pytest.approx(0.7 * 20.0 + 0.3 * 40.0)
    # An advertisement refreshes the entry but keeps what was learned.
    refreshed = table.advertise(CHAT, A, hops=1, latency_ms=500.0)
    assert refreshed is not None
    assert (refreshed.score, refreshed.latency_ms) == (second.score, second.latency_ms)


def test_a_success_on_an_unknown_route_creates_it(table: GradientTable) -> None:
    hop = table.reinforce(CHAT, B, latency_ms=12.0)
    assert (hop.hops, hop.latency_ms, hop.measured) == (1, 12.0, True)
    assert hop.score == pytest.approx(0.84)


def test_failures_decay_until_the_route_is_not_selected(table: GradientTable) -> None:
    table.advertise(CHAT, A, hops=1, latency_ms=10.0)
    scores = []
    for _ in range(4):
        hop = table.penalise(CHAT, A)
        assert hop is not None
        scores.append(hop.score)
    assert scores == pytest.approx([0.4, 0.2, 0.1, 0.05])
    assert table.best(CHAT) != ()  # 0.05 is still the minimum score
    table.penalise(CHAT, A)
    assert table.best(CHAT) == ()
    assert table.entry(CHAT, A) is not None  # kept: a success can bring it back
    table.reinforce(CHAT, A, latency_ms=10.0)
    assert table.best(CHAT)[0].peer == A
    assert table.penalise(CHAT, C) is None


def test_failover_to_the_alternative(table: GradientTable) -> None:
    table.advertise(CHAT, A, hops=1, latency_ms=10.0)
    table.advertise(CHAT, B, hops=1, latency_ms=15.0)
    table.advertise(CHAT, C, hops=3, latency_ms=10.0)
    assert [h.peer for h in table.best(CHAT, 3)] == [A, B, C]
    table.penalise(CHAT, A)
    assert [h.peer for h in table.best(CHAT, 3)] == [B, C, A]
    assert [h.peer for h in table.best(CHAT, 1)] == [B]


def test_fewer_hops_win_when_all_else_is_equal(table: GradientTable) -> None:
    table.advertise(CHAT, A, hops=3, latency_ms=10.0)
    table.advertise(CHAT, B, hops=1, latency_ms=10.0)
    assert [h.peer for h in table.best(CHAT, 2)] == [B, A]
    near, far = table.best(CHAT, 2)
    assert table.preference(far) == pytest.approx(table.preference(near) * 0.81)


def test_stale_entries_are_never_selected_and_expire(
    table: GradientTable, clock: ManualClock
) -> None:
    table.advertise(CHAT, A, hops=1, latency_ms=10.0)
    clock.advance(30)
    table.advertise(CHAT, B, hops=2, latency_ms=80.0)
    clock.advance(30)  # A is 60 s old: stale; B is 30 s old
    assert [h.peer for h in table.best(CHAT, 5)] == [B]
    assert table.entry(CHAT, A) is None
    assert [h.peer for h in table.entries(CHAT)] == [A, B]  # the UI still sees it
    assert table.age(table.entries(CHAT)[0]) == 60.0
    assert table.expire() == 1
    assert [h.peer for h in table.entries()] == [B]
    clock.advance(30)
    assert table.best(CHAT) == ()
    assert table.expire() == 1
    assert len(table) == 0
    assert table.clusters() == ()


def test_a_failure_does_not_keep_a_route_alive(table: GradientTable, clock: ManualClock) -> None:
    table.advertise(CHAT, A, hops=1, latency_ms=10.0)
    clock.advance(59)
    table.penalise(CHAT, A)
    clock.advance(1)
    assert table.best(CHAT) == ()


def test_a_route_heard_again_after_going_stale_starts_over(
    table: GradientTable, clock: ManualClock
) -> None:
    table.advertise(CHAT, A, hops=1, latency_ms=10.0)
    table.penalise(CHAT, A)
    table.penalise(CHAT, A)
    clock.advance(61)
    hop = table.advertise(CHAT, A, hops=1, latency_ms=10.0)
    assert hop is not None and hop.score == 0.8


def test_advertisements_from_too_far_are_ignored(table: GradientTable) -> None:
    assert table.advertise(CHAT, A, hops=9, latency_ms=10.0) is None
    assert table.advertise(CHAT, A, hops=0, latency_ms=10.0) is None
    assert len(table) == 0


def test_alternatives_are_bounded_keeping_the_best(clock: ManualClock) -> None:
    table = GradientTable(clock, GradientConfig(max_per_cluster=2))
    table.advertise(CHAT, A, hops=1, latency_ms=10.0)
    table.advertise(CHAT, B, hops=1, latency_ms=500.0)
    table.advertise(CHAT, C, hops=1, latency_ms=20.0)
    assert [h.peer for h in table.entries(CHAT)] == [A, C]


def test_forgetting_a_peer_drops_its_routes(table: GradientTable) -> None:
    table.advertise(CHAT, A, hops=1, latency_ms=10.0)
    table.advertise("camera.get_frame", A, hops=1, latency_ms=10.0)
    table.advertise(CHAT, B, hops=1, latency_ms=10.0)
    assert table.forget_peer(A) == 2
    assert [(h.cluster, h.peer) for h in table.entries()] == [(CHAT, B)]


def test_config_errors_name_the_setting() -> None:
    with pytest.raises(ConfigError, match=r"routing.gradient.ttl: expected seconds > 0, got 0"):
        GradientConfig(ttl=0)
    with pytest.raises(
        ConfigError, match=r"routing.gradient.failure_decay: expected 0 < x <= 1, got 1.5"
    ):
        GradientConfig(failure_decay=1.5)
    with pytest.raises(ConfigError, match="routing.gradient.max_per_cluster"):
        GradientConfig(max_per_cluster=0)
