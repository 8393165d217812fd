"""The replay guard's memory on disk: a request captured before a restart stays refused
after it, whether the hub stopped cleanly or was killed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import nacl.signing

from hub.clock import ManualClock
from hub.fabric import (
    Envelope,
    Fabric,
    FabricSettings,
    ReplayGuard,
    ReplayJournal,
    RpcServer,
    rpc_topic,
    seal,
)
from hub.model import NodeId, ToolHandler, ToolResult
from tests.broker import Mosquitto
from tests.waiting import eventually

T0 = 1_800_000_000.0
SKEW = 60.0


def clock_at(when: float) -> ManualClock:
    return ManualClock(start=datetime.fromtimestamp(when, UTC))


async def guard_on(directory: Path, when: float) -> tuple[ReplayGuard, ReplayJournal]:
    journal = ReplayJournal(directory, max_skew=SKEW, clock=clock_at(when))
    await journal.__aenter__()
    guard = ReplayGuard(max_skew=SKEW, journal=journal)
    guard.restore(journal.restored, now=when)
    return guard, journal


async def test_ids_seen_before_a_restart_are_refused_after_it(tmp_path: Path) -> None:
    guard, journal = await guard_on(tmp_path, T0)
    assert guard.first_sight("a" * 24, T0, T0)
    assert guard.first_sight("b" * 24, T0 - 30, T0)
    # killed: nothing closed, nothing flushed beyond the writes themselves
    guard, journal = await guard_on(tmp_path, T0 + 10)
    assert len(guard) == 2
    assert not guard.first_sight("a" * 24, T0, T0 + 10)
    assert not guard.first_sight("b" * 24, T0 - 30, T0 + 10)
    assert guard.refused == 2
    assert guard.first_sight("c" * 24, T0 + 10, T0 + 10)
    await journal.__aexit__(None, None, None)


async def test_expired_ids_are_not_restored_and_dead_segments_go(tmp_path: Path) -> None:
    guard, journal = await guard_on(tmp_path, T0)
    guard.first_sight("old", T0 - 50, T0)  # remembered until T0 + 10
    guard.first_sight("new", T0 + 50, T0)  # until T0 + 110
    await journal.__aexit__(None, None, None)
    guard, journal = await guard_on(tmp_path, T0 + 20)
    assert journal.restored == [("new", T0 + 50 + SKEW)]
    await journal.__aexit__(None, None, None)
    guard, journal = await guard_on(tmp_path, T0 + 200)
    assert journal.restored == []
    await journal.__aexit__(None, None, None)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # empty segments are removed


async def test_segments_rotate_and_stay_few(tmp_path: Path) -> None:
    guard, journal = await guard_on(tmp_path, T0)
    for second in range(0, 1000, 5):
        now = T0 + second
        assert guard.first_sight(f"id{second}", now, now)
        assert len(list(tmp_path.iterdir())) <= 4
    await journal.__aexit__(None, None, None)
    guard, journal = await guard_on(tmp_path, T0 + 1000)
    assert {i for i, _ in journal.restored} == {f"id{s}" for s in range(940, 1000, 5)}
    await journal.__aexit__(None, None, None)


async def test_a_torn_or_foreign_line_is_skipped(tmp_path: Path) -> None:
    guard, journal = await guard_on(tmp_path, T0)
    guard.first_sight("kept", T0, T0)
    guard.first_sight('odd "id"\nwith a newline', T0, T0)
    await journal.__aexit__(None, None, None)
    [segment] = tmp_path.iterdir()
    with segment.open("a") as file:
        file.write("garbage\n1800000000.0 not-json\n18000000")  # and a torn last line
    guard, journal = await guard_on(tmp_path, T0 + 1)
    assert sorted(i for i, _ in journal.restored) == ["kept", 'odd "id"\nwith a newline']
    assert journal.skipped == 3
    await journal.__aexit__(None, None, None)


SERVER = NodeId("node-server")
KEY = nacl.signing.SigningKey(bytes([3]) * 32)


def lookup(node: NodeId) -> bytes | None:
    return bytes(KEY.verify_key) if node == SERVER else None


async def test_a_server_restarted_on_its_journal_refuses_and_counts_a_replay(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    calls: list[str] = []

    async def light(tool: str, arguments: object) -> ToolResult:
        calls.append(tool)
        return ToolResult(value="on")

    handlers: dict[str, ToolHandler] = {"light.kitchen": light}
    settings = FabricSettings(host=mosquitto.host, port=mosquitto.port)
    body = json.dumps({"capability": "light.kitchen", "tool": "turn_on"}).encode()

    async def serve_once(data: bytes) -> RpcServer:
        async with (
            Fabric(settings) as fabric,
            ReplayJournal(tmp_path, max_skew=SKEW) as journal,
        ):
            guard = ReplayGuard(journal=journal)
            guard.restore(journal.restored, now=journal.opened)
            async with RpcServer(fabric, SERVER, KEY, lookup, handlers.get, replay=guard) as server:
                await fabric.wait_subscribed()
                fabric.publish(rpc_topic(SERVER), data, qos=1)
                await eventually(lambda: server.counters.requests + server.counters.bad == 1)
                return server

    now = datetime.now(UTC).timestamp()
    request = Envelope.create(SERVER, "request", body, time=now, reply_to="test/replies",
                              correlation_id="c1", deadline=now + 300)
    data = seal(request, KEY)
    first = await serve_once(data)
    assert (first.counters.requests, first.counters.replayed) == (1, 0)
    again = await serve_once(data)
    assert (again.counters.requests, again.counters.bad, again.counters.replayed) == (0, 1, 1)
    assert calls == ["turn_on"]
