"""Input bombs: what a hub holds and how long its event loop stalls while each goes by.

Starts its own Mosquitto (the embedded broker) on a free loopback port and one hub with
Frigate, MQTT discovery and Zigbee2MQTT at their default limits; a separate publisher
process (as a misbehaving device would be) sends each bomb:

- ``frigate_labels``: 100,000 snapshots, each under a label of its own
  (``frigate/front_door/label<i>/snapshot``, 506-byte JPEGs), then one of a known label on
  each of 20 cameras;
- ``json_attributes``: 10,000 messages of 100 keys each on an entity's
  ``json_attributes_topic``: 1,000,000 distinct keys;
- ``device_list``: a 10 MB ``zigbee2mqtt/bridge/devices`` of integers, delivered twice
  (the broker re-delivers the retained list after every reconnect);
- ``bad_sources``: 20,000 malformed discovery configurations, each on its own topic;
- ``emfile``: ``atmosphere run`` with 96 file descriptors and 192 connections to its HTTP
  port (asyncio logs each accept that fails): lines and bytes of log.

For each: the process's RSS before and after (after a collection), and the loop's stall
during the bomb (a task asks to wake every millisecond; the stall is how late it woke),
p99 and max. A bomb that does not finish in ``--timeout`` seconds is reported as such.

    python -m bench.bombs [--timeout 120] [--only frigate_labels,device_list]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.report import report
from hub.config import load_config
from hub.fabric import EmbeddedBroker
from hub.runtime import Hub

FRIGATE = "bench/frigate"
HA = "bench/ha"
Z2M = "bench/z2m"
JPEG = b"\xff\xd8\xff\xe0" + bytes(500) + b"\xff\xd9"
FD_LIMIT = 96

PUBLISHER = r"""
import json, sys
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
spec = json.loads(sys.argv[1])
binary = bytes.fromhex(spec["hex"]) if spec["hex"] is not None else None
if spec.get("file"):
    binary = open(spec["file"], "rb").read()
client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=spec["id"])
client.max_inflight_messages_set(1000)
client.connect("127.0.0.1", spec["port"])
client.loop_start()
pending = []
for i in range(spec["count"]):
    payload = binary if binary is not None else spec["payload"].replace("{i}", str(i))
    pending.append(client.publish(spec["topic"].replace("{i}", str(i)), payload, qos=1))
    if len(pending) >= 5000:
        for info in pending:
            info.wait_for_publish(120)
        pending = []
for info in pending:
    info.wait_for_publish(120)
client.disconnect()
client.loop_stop()
"""

LIMITED = (
    "import os, resource, sys; "
    "limit = int(sys.argv[1]); resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit)); "
    "os.execv(sys.executable, [sys.executable, '-m', 'hub.cli', *sys.argv[2:]])"
)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def publish(port: int, topic: str, count: int, payload: str | bytes | Path) -> None:
    """`count` messages from another process; ``{i}`` in `topic` and a text `payload` is the
    message's number; a Path is a file whose bytes are the payload."""
    spec = {"port": port, "topic": topic, "count": count, "id": f"bomb-{time.monotonic_ns()}",
            "payload": payload if isinstance(payload, str) else "",
            "hex": payload.hex() if isinstance(payload, bytes) else None,
            "file": str(payload) if isinstance(payload, Path) else None}
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", PUBLISHER,
                                                   json.dumps(spec))
    if await process.wait() != 0:
        raise RuntimeError("the publisher failed")


async def until(condition: Callable[[], bool], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


@dataclass
class Stalls:
    """How late a task that wants to wake every `period` seconds actually wakes."""

    period: float = 0.001
    samples: list[float] = field(default_factory=list)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.period)
            self.samples.append(loop.time() - start - self.period)

    def figures(self) -> tuple[float, float]:
        ms = sorted(v * 1000 for v in self.samples) or [0.0]
        return ms[min(len(ms) - 1, int(len(ms) * 0.99))], ms[-1]


@dataclass
class Result:
    name: str
    what: str
    rss_before: float = 0.0
    rss_after: float = 0.0
    stall_p99_ms: float = 0.0
    stall_max_ms: float = 0.0
    seconds: float = 0.0
    finished: bool = True
    notes: dict[str, Any] = field(default_factory=dict)


async def measured(name: str, what: str, bomb: Callable[[], Awaitable[dict[str, Any]]],
                   timeout: float) -> Result:
    result = Result(name, what)
    gc.collect()
    result.rss_before = rss_mb()
    stalls = Stalls()
    watcher = asyncio.create_task(stalls.run())
    started = time.monotonic()
    try:
        async with asyncio.timeout(timeout):
            result.notes = await bomb()
    except TimeoutError:
        result.finished = False
    result.seconds = time.monotonic() - started
    watcher.cancel()
    await asyncio.wait([watcher])
    result.stall_p99_ms, result.stall_max_ms = stalls.figures()
    gc.collect()
    result.rss_after = rss_mb()
    return result


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def frigate_labels(hub: Hub, port: int) -> dict[str, Any]:
    await publish(port, f"{FRIGATE}/front_door/label{{i}}/snapshot", 100_000, JPEG)
    await publish(port, f"{FRIGATE}/cam{{i}}/person/snapshot", 20, JPEG)
    hub.fabric.publish(f"{FRIGATE}/front_door/motion", "ON", qos=1)
    await until(lambda: hub.registry.get("camera.front_door").state.get("motion") == "on",
                3600)
    return {}


async def json_attributes(hub: Hub, port: int) -> dict[str, Any]:
    topic = "bench/dev/meter/attributes"
    hub.fabric.publish(f"{HA}/sensor/meter/config", json.dumps({
        "name": "Meter", "unique_id": "meter", "state_topic": "bench/dev/meter/state",
        "json_attributes_topic": topic}), qos=1)
    await until(lambda: "sensor.meter" in hub.registry, 30)
    await hub.fabric.wait_subscribed()
    keys = {f"k{{i}}_{j}": j for j in range(100)}
    await publish(port, topic, 10_000, json.dumps(keys))
    hub.fabric.publish(topic, json.dumps({"last": 1}), qos=1)
    await until(lambda: "last" in hub.registry.get("sensor.meter").state, 3600)
    return {"state_keys": len(hub.registry.get("sensor.meter").state)}


async def settled(value: Callable[[], int], quiet: float = 0.5) -> None:
    """Until `value()` stays the same for `quiet` seconds."""
    seen = None
    while value() != seen:
        seen = value()
        await asyncio.sleep(quiet)


async def device_list(hub: Hub, port: int, root: Path) -> dict[str, Any]:
    topic = f"{Z2M}/bridge/devices"
    lines = Lines()
    bridge_log = logging.getLogger("integrations.zigbee2mqtt.bridge")
    bridge_log.addHandler(lines)
    bridge_log.setLevel(logging.DEBUG)
    bomb = root / "devices.json"
    bomb.write_bytes(("[" + ",".join(["0"] * 5_000_000) + "]").encode())
    try:
        await publish(port, topic, 1, bomb)
        await until(lambda: hub.bad_input.counts[topic] > 0, 3600)
        await settled(lambda: hub.bad_input.counts[topic])
        first = hub.bad_input.counts[topic]
        await publish(port, topic, 1, bomb)  # as the broker does after a reconnect
        await until(lambda: any("unchanged" in m for m in lines.messages)
                    or hub.bad_input.counts[topic] >= 2 * first, 3600)
        await settled(lambda: hub.bad_input.counts[topic])
    finally:
        bridge_log.removeHandler(lines)
    return {"bytes": bomb.stat().st_size, "bad_input_first": first,
            "bad_input_both": hub.bad_input.counts[topic]}


async def bad_sources(hub: Hub, port: int) -> dict[str, Any]:
    lines = Lines()
    log = logging.getLogger("hub.devices.badinput")
    log.addHandler(lines)
    log.setLevel(logging.WARNING)
    log.propagate = False  # counted here, not printed
    before = hub.bad_input.total
    try:
        await publish(port, f"{HA}/sensor/bad{{i}}/config", 20_000, "{not json")
        await until(lambda: hub.bad_input.total - before >= 20_000, 3600)
        budget = getattr(hub.bad_input, "budget", None)
        if budget is not None:
            budget.flush()
    finally:
        log.removeHandler(lines)
        log.propagate = True
    return {"log_lines": len(lines.messages),
            "sources_counted": len(hub.bad_input.counts)}


async def emfile(root: Path, port: int, timeout: float) -> dict[str, Any]:
    http_port = _free_port()
    config_dir = root / "emfile"
    config_dir.mkdir()
    (config_dir / "configuration.yaml").write_text(yaml.safe_dump({
        "name": "bench-emfile", "data_dir": str(root / "emfile-data"),
        "mqtt": {"host": "127.0.0.1", "port": port},
        "http": {"host": "127.0.0.1", "port": http_port}}))
    log = root / "emfile.log"
    url = f"http://127.0.0.1:{http_port}/api/health"
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", LIMITED, str(FD_LIMIT), "run", "--config", str(config_dir),
            stdout=subprocess.DEVNULL, stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    clients: list[socket.socket] = []
    try:
        async with httpx.AsyncClient(timeout=2.0) as http:
            async def health() -> bool:
                try:
                    return (await http.get(url)).status_code == 200
                except httpx.HTTPError:
                    return False

            async with asyncio.timeout(timeout):
                while not await health():
                    await asyncio.sleep(0.05)
            for _ in range(FD_LIMIT * 2):
                clients.append(socket.create_connection(("127.0.0.1", http_port)))
            await asyncio.sleep(3.0)  # the flood, for three seconds
            for client in clients:
                client.close()
            clients.clear()
            async with asyncio.timeout(timeout):
                while not await health():
                    await asyncio.sleep(0.05)
    finally:
        for client in clients:
            client.close()
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                async with asyncio.timeout(30):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
    text = log.read_text(errors="replace")
    return {"accept_errors_logged": text.count("socket.accept() out of system resource"),
            "log_lines": text.count("\n"), "log_bytes": len(text.encode())}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run(args: argparse.Namespace) -> None:
    only = set(args.only.split(",")) if args.only else None
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        async with EmbeddedBroker(root / "broker", port=0) as broker:
            config_dir = root / "config"
            config_dir.mkdir()
            (config_dir / "configuration.yaml").write_text(yaml.safe_dump({
                "name": "bench", "data_dir": str(root / "data"),
                "mqtt": {"host": "127.0.0.1", "port": broker.port},
                "integrations": {
                    "frigate": {"topic_prefix": FRIGATE, "cameras": ["front_door"]},
                    "mqtt_discovery": {"discovery_prefix": HA, "birth": False},
                    "zigbee2mqtt": {"base_topic": Z2M, "discovery_wait": 0},
                },
            }))
            logging.getLogger("hub").setLevel(logging.ERROR)  # the bombs' lines: counted
            logging.getLogger("integrations").setLevel(logging.ERROR)
            async with Hub(load_config(config_dir)) as hub:
                bombs: list[tuple[str, str, Callable[[], Awaitable[dict[str, Any]]]]] = [
                    ("frigate_labels", "100,000 Frigate labels with snapshots",
                     lambda: frigate_labels(hub, broker.port)),
                    ("json_attributes", "1,000,000 distinct json_attributes keys",
                     lambda: json_attributes(hub, broker.port)),
                    ("device_list", "10 MB bridge/devices of integers, twice",
                     lambda: device_list(hub, broker.port, root)),
                    ("bad_sources", "20,000 distinct bad sources",
                     lambda: bad_sources(hub, broker.port)),
                ]
                for name, what, bomb in bombs:
                    if only is None or name in only:
                        results.append(await measured(name, what, bomb, args.timeout))
                        print(f"{name}: done in {results[-1].seconds:.1f} s", flush=True)
            if only is None or "emfile" in only:
                started = time.monotonic()
                notes = await emfile(root, broker.port, args.timeout)
                results.append(Result("emfile", "out of descriptors: accept errors",
                                      seconds=time.monotonic() - started, notes=notes))
    rows = []
    for r in results:
        state = "" if r.finished else f" (not done in {args.timeout:g} s)"
        rows.append([r.what + state, f"{r.rss_before:.0f}", f"{r.rss_after:.0f}",
                     f"{r.rss_after - r.rss_before:+.0f}", f"{r.stall_p99_ms:.1f}",
                     f"{r.stall_max_ms:.1f}", f"{r.seconds:.1f}",
                     ", ".join(f"{k}={v}" for k, v in r.notes.items())])
    figures = {r.name: {"rss_before_mb": round(r.rss_before, 1),
                        "rss_after_mb": round(r.rss_after, 1),
                        "stall_p99_ms": round(r.stall_p99_ms, 2),
                        "stall_max_ms": round(r.stall_max_ms, 2),
                        "seconds": round(r.seconds, 2), "finished": r.finished, **r.notes}
               for r in results}
    report("bombs", {"timeout_s": args.timeout, "fd_limit": FD_LIMIT}, figures,
           ["bomb", "RSS before MB", "after MB", "growth MB", "stall p99 ms", "stall max ms",
            "seconds", "notes"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds a bomb may take before it is reported unfinished")
    parser.add_argument("--only", help="comma-separated bomb names")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
