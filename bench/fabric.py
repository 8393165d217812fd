"""The MQTT fabric's throughput and the tool call's round trip, through a real Mosquitto.

Starts its own Mosquitto (the embedded broker) on a free loopback port, then measures:

- publish throughput at QoS 0 and QoS 1: 100-byte payloads, publisher and subscriber both
  a `Fabric` in this process (one event loop), counted at the subscriber, MQTT 5 and
  3.1.1; QoS 1 publishes with a window (every `window`-th message awaits its PUBACK);
- the same QoS 0 run with the two other designs considered for the fabric: paho's own
  threaded loop handing messages to the event loop in batches, and paho on the event loop
  without our receive fast path;
- a tool call's round trip (request and reply signed, verified, through Mosquitto, one
  fabric for server and client as in `Hub`): p50/p90/p99 over sequential calls, also
  with the server's replay guard writing every request id to its journal, as in `Hub`;
- envelope seal and unseal for a 100-byte and a 200 KB body.

    python -m bench.fabric [--messages 100000] [--calls 2000] [--repeat 3] [--rpc-only]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from functools import partial
from pathlib import Path
from typing import Any

import nacl.signing
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.report import report
from hub.fabric import (
    EmbeddedBroker,
    Envelope,
    Fabric,
    FabricSettings,
    Message,
    ReplayGuard,
    ReplayJournal,
    RpcClient,
    RpcServer,
    seal,
    unseal,
)
from hub.model import NodeId, ToolResult

PAYLOAD = b"x" * 100
TOPIC = "bench/fabric/data"
NODE = NodeId("node-bench")
KEY = nacl.signing.SigningKey(bytes(range(32)))


def _settings(port: int, protocol: str) -> FabricSettings:
    return FabricSettings(port=port, protocol=protocol, max_backlog=100_000)  # type: ignore[arg-type]


async def _drive(
    publish: Callable[[int], Awaitable[None] | None],
    count: int,
    received: Callable[[], int],
    batch: int = 500,
) -> tuple[float, int]:
    """Publish `count` messages, yielding every `batch`; wait for the subscriber.

    Returns (messages per second end to end, messages received)."""
    start = time.perf_counter()
    for i in range(count):
        pending = publish(i)
        if pending is not None:
            await pending
        elif i % batch == batch - 1:
            await asyncio.sleep(0)  # let the loop write and read, as a busy hub would
    deadline = time.monotonic() + 60
    last, idle_since = -1, time.monotonic()
    while received() < count and time.monotonic() < deadline:
        await asyncio.sleep(0.001)
        if received() != last:
            last, idle_since = received(), time.monotonic()
        elif time.monotonic() - idle_since > 2:  # QoS 0 lost some: stop waiting
            break
    return received() / (time.perf_counter() - start), received()


async def fabric_throughput(
    port: int, protocol: str, qos: int, count: int, window: int, fast_path: bool = True
) -> tuple[float, int]:
    settings = _settings(port, protocol)
    got = 0

    def on_message(message: Message) -> None:
        nonlocal got
        got += 1

    async with Fabric(settings) as sub, Fabric(settings) as pub:
        if not fast_path:  # measure paho's own receive path (the design not taken)
            sub._client.fast_message = None  # type: ignore[union-attr]
        sub.subscribe(TOPIC, on_message, qos=qos)
        await sub.wait_subscribed()

        def publish(i: int) -> Awaitable[None] | None:
            if qos and i % window == window - 1:
                return pub.publish_confirmed(TOPIC, PAYLOAD, qos=qos)
            pub.publish(TOPIC, PAYLOAD, qos=qos)
            return None

        return await _drive(publish, count, lambda: got)


async def threaded_throughput(port: int, protocol: str, count: int) -> tuple[float, int]:
    """paho's threaded loop for both clients; the subscriber hands messages to the event
    loop in batches (one call_soon_threadsafe per batch, not per message)."""
    loop = asyncio.get_running_loop()
    version = mqtt.MQTTv5 if protocol == "5" else mqtt.MQTTv311
    inbox: list[mqtt.MQTTMessage] = []
    lock = threading.Lock()
    got = 0
    subscribed = threading.Event()

    def drain() -> None:
        nonlocal got
        with lock:
            batch = inbox[:]
            inbox.clear()
        for _message in batch:
            got += 1

    def on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with lock:
            inbox.append(message)
            first = len(inbox) == 1
        if first:
            loop.call_soon_threadsafe(drain)

    sub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=version)
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=version)
    sub.on_message = on_message
    sub.on_subscribe = lambda *args: subscribed.set()
    for client in (sub, pub):
        client.connect("127.0.0.1", port)
        client.loop_start()
    try:
        sub.subscribe(TOPIC, 0)
        await asyncio.to_thread(subscribed.wait, 5)

        def publish(i: int) -> None:
            pub.publish(TOPIC, PAYLOAD, 0)

        return await _drive(publish, count, lambda: got)
    finally:
        for client in (sub, pub):
            client.disconnect()
            client.loop_stop()


async def rpc_round_trip(
    port: int, protocol: str, calls: int, journal_dir: Path | None = None
) -> list[float]:
    """Tool call latencies; with `journal_dir`, the server's replay guard writes every
    request id to a journal there first, as the hub's does."""

    async def tool(name: str, arguments: Mapping[str, Any]) -> ToolResult:
        return ToolResult(value={"state": "on"})

    public = bytes(KEY.verify_key)
    lookup: Callable[[NodeId], bytes | None] = lambda node: public if node == NODE else None
    async with AsyncExitStack() as stack:
        replay = None
        if journal_dir is not None:
            journal = await stack.enter_async_context(ReplayJournal(journal_dir, max_skew=60))
            replay = ReplayGuard(journal=journal)
        fabric = await stack.enter_async_context(Fabric(_settings(port, protocol)))
        await stack.enter_async_context(
            RpcServer(fabric, NODE, KEY, lookup, {"light.bench": tool}.get, replay=replay)
        )
        client = await stack.enter_async_context(RpcClient(fabric, NODE, KEY, lookup))
        await fabric.wait_subscribed()
        for _ in range(200):  # warm up
            await client.call(NODE, "light.bench", "turn_on", {"brightness_pct": 30})
        latencies = []
        for _ in range(calls):
            start = time.perf_counter()
            await client.call(NODE, "light.bench", "turn_on", {"brightness_pct": 30})
            latencies.append(time.perf_counter() - start)
        return latencies


def envelope_cost(size: int, rounds: int) -> tuple[float, float]:
    body = bytes(size)
    lookup: Callable[[NodeId], bytes | None] = lambda node: bytes(KEY.verify_key)
    guard = ReplayGuard(capacity=rounds + 1)
    now = time.time()
    envelopes = [
        Envelope.create(NODE, "request", body, time=now, reply_to="r/t", correlation_id="c")
        for _ in range(rounds)
    ]
    start = time.perf_counter()
    sealed = [seal(e, KEY) for e in envelopes]
    sealing = (time.perf_counter() - start) / rounds
    start = time.perf_counter()
    for data in sealed:
        unseal(data, lookup, now=now, replay=guard)
    return sealing, (time.perf_counter() - start) / rounds


async def guard_cost(tmp: Path, rounds: int) -> tuple[float, float]:
    """Microseconds per accepted id: the replay guard in memory, and with its journal."""
    ids = [f"{i:024x}" for i in range(rounds)]
    now = time.time()
    memory = ReplayGuard(capacity=rounds + 1)
    start = time.perf_counter()
    for message_id in ids:
        memory.first_sight(message_id, now, now)
    in_memory = (time.perf_counter() - start) / rounds
    async with ReplayJournal(tmp / "guard-journal", max_skew=60) as journal:
        journaled = ReplayGuard(capacity=rounds + 1, journal=journal)
        start = time.perf_counter()
        for message_id in ids:
            journaled.first_sight(message_id, now, now)
        with_journal = (time.perf_counter() - start) / rounds
    return in_memory * 1e6, with_journal * 1e6


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _rpc_cases(
    port: int, args: argparse.Namespace, tmp: Path, figures: dict[str, Any], rows: list[list[str]]
) -> None:
    """Round trips on both protocols, and on MQTT 5 with the replay journal the hub
    uses; the runs alternate (`repeat` times) so that the machine's load hits all alike,
    and each figure is the median over the runs of that percentile."""
    variants = (
        ("rpc_round_trip_mqtt5_ms", "tool call round trip, MQTT 5", "5", False),
        ("rpc_round_trip_mqtt3.1.1_ms", "tool call round trip, MQTT 3.1.1", "3.1.1", False),
        (
            "rpc_round_trip_mqtt5_journal_ms",
            "tool call round trip, MQTT 5, replay journal on disk (as in Hub)",
            "5",
            True,
        ),
    )
    memory_us, journal_us = await guard_cost(tmp, 20_000)
    figures["replay_guard_us"] = {"memory": round(memory_us, 2), "journal": round(journal_us, 2)}
    rows.append(["replay guard, per accepted id", f"in memory {memory_us:.2f} us",
                 f"with journal {journal_us:.2f} us", ""])
    runs: dict[str, list[list[float]]] = {key: [] for key, *_ in variants}
    for attempt in range(args.repeat):
        for key, _, protocol, journal in variants:
            where = tmp / f"journal-{attempt}" if journal else None
            latencies = await rpc_round_trip(port, protocol, args.calls, where)
            runs[key].append([x * 1000 for x in latencies])
    for key, label, *_ in variants:
        p50, p90, p99 = (
            statistics.median(_pct(ms, q) for ms in runs[key]) for q in (0.5, 0.9, 0.99)
        )
        figures[key] = {"p50": round(p50, 3), "p90": round(p90, 3), "p99": round(p99, 3)}
        rows.append([label, f"p50 {p50:.3f} ms", f"p90 {p90:.3f} ms", f"p99 {p99:.3f} ms"])


async def run(args: argparse.Namespace) -> None:
    figures: dict[str, Any] = {}
    rows: list[list[str]] = []
    if args.rpc_only:
        with tempfile.TemporaryDirectory() as tmp:
            async with EmbeddedBroker(Path(tmp) / "broker", port=0) as broker:
                await _rpc_cases(broker.port, args, Path(tmp), figures, rows)
        params = {"calls": args.calls, "repeat": args.repeat}
        report("fabric_rpc", params, figures, ["what", "median", "", ""], rows)
        return
    with tempfile.TemporaryDirectory() as tmp:
        async with EmbeddedBroker(Path(tmp) / "broker", port=0) as broker:
            port = broker.port
            cases: list[tuple[str, str, Callable[[], Awaitable[tuple[float, int]]]]] = []
            for protocol in ("5", "3.1.1"):
                for qos in (0, 1):
                    count = args.messages if qos == 0 else args.messages // 2
                    cases.append(
                        (
                            f"fabric_qos{qos}_mqtt{protocol}",
                            f"Fabric QoS {qos}, MQTT {protocol}",
                            partial(fabric_throughput, port, protocol, qos, count, args.window),
                        )
                    )
                cases.append(
                    (
                        f"paho_threaded_qos0_mqtt{protocol}",
                        f"paho threaded loop, batched hand-off, QoS 0, MQTT {protocol}",
                        partial(threaded_throughput, port, protocol, args.messages),
                    )
                )
                cases.append(
                    (
                        f"fabric_no_fast_path_qos0_mqtt{protocol}",
                        f"paho on the event loop, no fast path, QoS 0, MQTT {protocol}",
                        partial(
                            fabric_throughput, port, protocol, 0, args.messages, args.window, False
                        ),
                    )
                )
            runs: dict[str, list[tuple[float, int]]] = {key: [] for key, _, _ in cases}
            for _ in range(args.repeat):  # round robin: the machine's other load hits all alike
                for key, _, case in cases:
                    runs[key].append(await case())
            for key, label, _ in cases:
                rates = [rate for rate, _ in runs[key]]
                received = [got for _, got in runs[key]]
                figures[key] = {
                    "msg_per_s_median": round(statistics.median(rates)),
                    "msg_per_s_best": round(max(rates)),
                    "received": received,
                }
                rows.append(
                    [
                        label,
                        f"{statistics.median(rates):,.0f} msg/s",
                        f"best {max(rates):,.0f}",
                        f"received {min(received)}",
                    ]
                )
            await _rpc_cases(port, args, Path(tmp), figures, rows)
    for size, rounds in ((100, 5000), (200_000, 200)):
        sealing, unsealing = envelope_cost(size, rounds)
        figures[f"envelope_{size}B_us"] = {
            "seal": round(sealing * 1e6, 1),
            "unseal": round(unsealing * 1e6, 1),
        }
        rows.append(
            [
                f"envelope, {size:,} B body",
                f"seal {sealing * 1e6:.1f} us",
                f"unseal {unsealing * 1e6:.1f} us",
                "",
            ]
        )
    report(
        "fabric",
        {
            "messages": args.messages,
            "payload_bytes": len(PAYLOAD),
            "qos1_window": args.window,
            "repeat": args.repeat,
            "calls": args.calls,
            "broker": "mosquitto (embedded broker config), loopback",
            "process": "publisher and subscriber in one process and one event loop",
        },
        figures,
        ["what", "median", "", ""],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--window", type=int, default=500, help="QoS 1: await every n-th PUBACK")
    parser.add_argument("--rpc-only", action="store_true",
                        help="only the tool call round trips (writes results/fabric_rpc.json)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
