"""The Matter bridge: mapping a whole server's nodes, and attribute updates to MQTT.

A real Mosquitto, a real `Hub`, the Matter `Bridge`, and the protocol test server of
tests/matter_fake.py on a real loopback WebSocket, in a process of its own.

1. Sync of `--nodes` nodes (the shared fixture dumps cycled, 50-340 attributes each, as real
   nodes carry): the first sync, a resync after a reconnect where nothing changed (the
   diff leaves every node untouched) and one where every node changed one attribute.
   Figures: nodes per second from the server's answer to all capabilities registered, the
   answer's size, and the loop's longest stall meanwhile (a 1 ms ticker's worst lateness;
   the answer is parsed in a worker thread and the mapping yields every 4 nodes).
2. `--updates` attribute updates one after another: from the server sending
   ``attribute_updated`` to a separate MQTT client receiving the retained endpoint state.

    python -m bench.matter [--nodes 200] [--updates 500]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import statistics
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho

from bench.report import report
from hub.config import load_config
from hub.runtime import Hub
from integrations.matter import Bridge, MatterConfig
from tests.broker import Mosquitto
from tests.hubs import write_config
from tests.matter_fake import fake_matter_server
from tests.matter_nodes import all_nodes

BASE = "bench/matter"


def make_nodes(count: int) -> list[dict[str, Any]]:
    templates = list(all_nodes().values())
    nodes = []
    for i in range(count):
        node = json.loads(json.dumps(templates[i % len(templates)]))
        node["node_id"] = i + 1
        nodes.append(node)
    return nodes


class ServerProcess:
    """The fake server in a process of its own (its JSON encoding must not hold this
    process's GIL); `call(*request)` asks it to act and waits until it has."""

    def __init__(self, nodes: list[dict[str, Any]]) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=_serve, args=(child, nodes), daemon=True)
        self.process.start()
        self.url, self.light = self.conn.recv()

    async def call(self, *request: Any) -> None:
        def ask() -> None:
            self.conn.send(request)
            self.conn.recv()
        await asyncio.to_thread(ask)

    def close(self) -> None:
        self.conn.send(("stop",))
        self.process.join(10)


def _serve(conn: Connection, nodes: list[dict[str, Any]]) -> None:
    async def main() -> None:
        async with fake_matter_server(nodes) as fake:
            light = next(n["node_id"] for n in nodes if "1/768/7" in n["attributes"])
            conn.send((fake.url, light))
            while True:
                request = await asyncio.to_thread(conn.recv)
                if request[0] == "stop":
                    return
                if request[0] == "drop":
                    await fake.drop_all()
                elif request[0] == "rename":
                    for node in fake.nodes.values():
                        node["attributes"]["0/40/5"] = "renamed"
                elif request[0] == "event":
                    await fake.event(request[1], request[2])
                conn.send("done")
    asyncio.run(main())


class Stalls:
    """The loop's worst lateness of a 1 ms ticker."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            self.worst = max(self.worst, time.perf_counter() - before - 0.001)

    def start(self) -> None:
        self.worst = 0.0
        self._task = asyncio.create_task(self._tick())

    async def stop(self) -> float:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return self.worst


async def timed_sync(bridge: Bridge, stalls: Stalls, action: Any) -> tuple[float, float]:
    """Seconds `_on_connected` took, and the worst stall from `action` to synced."""
    took: list[float] = []
    original = bridge._on_connected

    async def wrapped(info: Any, nodes: list[Any]) -> None:
        start = time.perf_counter()
        await original(info, nodes)
        took.append(time.perf_counter() - start)

    bridge.client._on_connected = wrapped
    bridge.synced.clear()
    stalls.start()
    await action()
    while not took:
        await asyncio.sleep(0.005)
    worst = await stalls.stop()
    bridge.client._on_connected = original
    return took[0], worst


async def run(args: argparse.Namespace) -> None:
    nodes = make_nodes(args.nodes)
    size = len(json.dumps(nodes))
    with tempfile.TemporaryDirectory() as tmp:
        broker = Mosquitto(Path(tmp) / "mosquitto")
        broker.start()
        try:
            config = load_config(write_config(Path(tmp), mqtt={"host": broker.host,
                                                                "port": broker.port}))
            server = ServerProcess(nodes)
            async with Hub(config) as hub:
                gc.collect()
                gc.freeze()  # as the run command does after start-up (docs/architecture.md)
                bridge = Bridge(hub, MatterConfig(url=server.url, base_topic=BASE))
                stalls = Stalls()
                entered: list[Bridge] = []

                async def enter() -> None:
                    entered.append(await bridge.__aenter__())

                try:
                    stalls.start()
                    await asyncio.sleep(1.0)
                    idle_stall = await stalls.stop()  # the machine's own noise
                    first, first_stall = await timed_sync(bridge, stalls, enter)
                    capabilities = sum(len(e) for e in bridge.entities.values())
                    async def drop() -> None:
                        await server.call("drop")

                    same, same_stall = await timed_sync(bridge, stalls, drop)
                    await server.call("rename")
                    changed, changed_stall = await timed_sync(bridge, stalls, drop)
                    latencies = await updates(broker, server, args.updates)
                finally:
                    if entered:
                        await bridge.__aexit__(None, None, None)
            server.close()
        finally:
            broker.stop()
    rate = args.nodes / first
    p50 = statistics.median(latencies) * 1000
    p99 = sorted(latencies)[int(len(latencies) * 0.99) - 1] * 1000
    figures = {
        "answer_bytes": size, "capabilities": capabilities,
        "first_sync_nodes_per_s": round(rate), "first_sync_ms": round(first * 1000, 1),
        "first_sync_worst_stall_ms": round(first_stall * 1000, 1),
        "resync_unchanged_nodes_per_s": round(args.nodes / same),
        "resync_unchanged_worst_stall_ms": round(same_stall * 1000, 1),
        "resync_changed_nodes_per_s": round(args.nodes / changed),
        "resync_changed_worst_stall_ms": round(changed_stall * 1000, 1),
        "idle_worst_stall_ms": round(idle_stall * 1000, 1),
        "update_to_mqtt_p50_ms": round(p50, 2), "update_to_mqtt_p99_ms": round(p99, 2),
    }
    rows = [
        ["idle loop, 1 s (the machine's noise)", "", f"{figures['idle_worst_stall_ms']} ms"],
        ["first sync", f"{figures['first_sync_nodes_per_s']:,} nodes/s",
         f"{figures['first_sync_worst_stall_ms']} ms"],
        ["resync, nothing changed", f"{figures['resync_unchanged_nodes_per_s']:,} nodes/s",
         f"{figures['resync_unchanged_worst_stall_ms']} ms"],
        ["resync, every node changed", f"{figures['resync_changed_nodes_per_s']:,} nodes/s",
         f"{figures['resync_changed_worst_stall_ms']} ms"],
        ["attribute update -> MQTT state", f"p50 {p50:.2f} ms, p99 {p99:.2f} ms", ""],
    ]
    print(f"{args.nodes} nodes, {capabilities} capabilities, answer {size / 1e6:.1f} MB")
    report("matter", {"nodes": args.nodes, "updates": args.updates}, figures,
           ["what", "rate", "loop's worst stall"], rows)


async def updates(broker: Mosquitto, server: ServerProcess, count: int) -> list[float]:
    """Sequential brightness updates of one light; seconds from asking the server process
    to send to MQTT receipt (the ask's pipe round trip included)."""
    topic = f"{BASE}/{server.light}/1"
    received: dict[int, float] = {}
    arrived = threading.Condition()

    def on_message(_c: Any, _u: Any, message: paho.MQTTMessage) -> None:
        brightness = json.loads(message.payload)["light"].get("brightness")
        with arrived:
            received.setdefault(brightness, time.perf_counter())
            arrived.notify_all()

    client = paho.Client(paho.CallbackAPIVersion.VERSION2)
    client.on_message = on_message
    client.connect(broker.host, broker.port)
    client.subscribe(topic, qos=0)
    client.loop_start()
    await asyncio.sleep(0.5)  # the subscription settles (a benchmark, not a test)
    latencies = []
    try:
        for i in range(count):
            level = 1 + (i % 250)
            brightness = round(level * 255 / 254)
            if brightness in received:
                received.pop(brightness)
            sent = time.perf_counter()
            await server.call("event", "attribute_updated", [server.light, "1/8/0", level])
            while brightness not in received:
                await asyncio.sleep(0.0002)
            latencies.append(received[brightness] - sent)
    finally:
        client.loop_stop()
        client.disconnect()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--updates", type=int, default=500)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
