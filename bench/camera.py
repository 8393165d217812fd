"""`camera.get_frame` through the hub, and Frigate's event ingest.

Starts its own Mosquitto (the embedded broker) on a free loopback port, a test camera
server (real HTTP on loopback, on its own thread and event loop, as a camera is another
machine) serving one JPEG of `--size` bytes as a snapshot, an MJPEG stream and Frigate's
``/api/<camera>/latest.jpg``, and one hub with the `frigate` and `camera` integrations.
Then, over sequential `hub.call`s (each a signed request and reply through Mosquitto, the
frame in the reply's body):

- `get_state`, the round trip with a tiny JSON result (the RPC's own share);
- `get_frame` of a Frigate camera from its MQTT snapshot topic (the frame is in memory);
- `get_frame` of a Frigate camera through Frigate's HTTP API;
- `get_frame` of a generic camera's snapshot URL, and of its MJPEG stream.

The cases run round robin (`--repeat` rounds of `--calls` each) so that the machine's
other load falls on all of them alike. They run twice: as the hub is, then with
TCP_NODELAY set on the hub's broker connection, because a 200 KB reply is otherwise held
back by Nagle's algorithm until the broker's delayed ACK (about 40 ms on Linux).

Last, Frigate event ingest: `--events` distinct ``frigate/events`` ``new`` messages (about
1 KB each, as Frigate sends them) published by another process (``mosquitto_pub -l``,
QoS 1), counted when their trigger reaches the event bus.

    python -m bench.camera [--calls 200] [--repeat 3] [--size 200000] [--events 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml

from bench.report import report
from hub.config import load_config
from hub.events import TriggerFired
from hub.fabric import EmbeddedBroker
from hub.model import ToolResult
from hub.runtime import Hub
from tests.broker import free_port
from tests.cameras import camera_server_thread, jpeg_frame

PREFIX = "bench/frigate"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def write_config(directory: Path, port: int, camera_url: str) -> Path:
    config_dir = directory / "config"
    config_dir.mkdir()
    document = {
        "name": "bench-camera",
        "data_dir": str(directory / "data"),
        "mqtt": {"host": "127.0.0.1", "port": port},
        "http": {"host": "127.0.0.1", "port": free_port()},
        "logging": {"level": "warning"},
        "integrations": {
            "frigate": {"topic_prefix": PREFIX, "url": camera_url, "cameras": ["front_door"],
                        "triggers": {"detected": {"throttle": 0}}},
            "camera": {"cameras": [
                {"name": "snapshot cam", "snapshot_url": f"{camera_url}/snapshot.jpg"},
                {"name": "mjpeg cam", "mjpeg_url": f"{camera_url}/video.mjpg"},
            ]},
        },
    }
    (config_dir / "configuration.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return config_dir


def frigate_event(n: int) -> bytes:
    after = {
        "id": f"{1718987129 + n}.308396-b{n:07d}", "camera": "front_door",
        "frame_time": 1718987130.1, "snapshot_time": 1718987130.0, "label": "person",
        "sub_label": None, "top_score": 0.87, "false_positive": False,
        "start_time": 1718987129.3, "end_time": None, "score": 0.84,
        "box": [424, 500, 536, 712], "area": 23744, "ratio": 2.11,
        "region": [264, 450, 667, 853], "current_zones": ["driveway"],
        "entered_zones": ["driveway"], "thumbnail": None, "has_snapshot": True,
        "has_clip": True, "active": True, "stationary": False, "motionless_count": 0,
        "position_changes": 1, "attributes": {}, "current_attributes": [],
    }
    return json.dumps({"type": "new", "before": after, "after": after}).encode()


async def round_trips(call: Callable[[], Awaitable[ToolResult]], count: int,
                      check: Callable[[ToolResult], bool]) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        result = await call()
        times.append(time.perf_counter() - start)
        if not check(result):
            raise RuntimeError("get_frame returned other bytes than the camera's frame")
    return times


async def ingest(hub: Hub, port: int, count: int, directory: Path) -> tuple[float, int]:
    """Frigate is another process: ``mosquitto_pub -l`` publishes one message per line."""
    lines = directory / "events.jsonl"
    lines.write_bytes(b"\n".join(frigate_event(n) for n in range(count)) + b"\n")
    fired = 0

    def on_fired(event: TriggerFired) -> None:
        nonlocal fired
        if event.trigger == "person_detected":
            fired += 1

    cancel = hub.bus.listen(TriggerFired, on_fired)
    try:
        with lines.open("rb") as stdin:
            start = time.perf_counter()
            publisher = await asyncio.create_subprocess_exec(
                "mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-t", f"{PREFIX}/events",
                "-q", "1", "-l", stdin=stdin)
            deadline = time.monotonic() + 120
            while fired < count and time.monotonic() < deadline:
                await asyncio.sleep(0.001)
            elapsed = time.perf_counter() - start
            await publisher.wait()
    finally:
        cancel()
    return fired / elapsed, fired


def set_nodelay(hub: Hub) -> None:
    """TCP_NODELAY on the hub's broker connection (what bench shows the fabric lacks)."""
    client = hub.fabric._client  # private on purpose: a benchmark probing a proposed change
    if client is None:
        raise RuntimeError("the fabric is not connected")
    sock = client.socket()
    if not isinstance(sock, socket.socket):
        raise TypeError(f"the fabric's socket is a {type(sock).__name__}, not a TCP socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def run(args: argparse.Namespace) -> None:
    frame = jpeg_frame(args.size, seed=1)
    figures: dict[str, Any] = {}
    rows: list[list[str]] = []
    with (tempfile.TemporaryDirectory() as tmp,
          camera_server_thread(snapshot=frame, stream_frames=[frame],
                               stream_interval=0.005) as server):
        server.frigate_latest["front_door"] = frame
        async with EmbeddedBroker(Path(tmp) / "broker", port=0) as broker:
            config = load_config(write_config(Path(tmp), broker.port, server.url("")))
            async with Hub(config) as hub:
                hub.fabric.publish(f"{PREFIX}/front_door/person/snapshot", frame, qos=1,
                                   retain=True)
                deadline = time.monotonic() + 10
                while hub.registry.get("camera.front_door").state.get("snapshot_bytes") != \
                        len(frame):
                    if time.monotonic() > deadline:
                        raise RuntimeError("the snapshot did not reach the hub")
                    await asyncio.sleep(0.01)

                def same(result: ToolResult) -> bool:
                    return result.data == frame

                def any_state(result: ToolResult) -> bool:
                    return "state" in result.value

                cases: list[tuple[str, str, Callable[[], Awaitable[ToolResult]],
                                  Callable[[ToolResult], bool]]] = [
                    ("get_state", "get_state (JSON, RPC only)",
                     lambda: hub.call("camera.front_door", "get_state"), any_state),
                    ("frigate_mqtt_snapshot", "get_frame, Frigate MQTT snapshot",
                     lambda: hub.call("camera.front_door", "get_frame", {"label": "person"}),
                     same),
                    ("frigate_http_api", "get_frame, Frigate HTTP API latest.jpg",
                     lambda: hub.call("camera.front_door", "get_frame"), same),
                    ("http_snapshot", "get_frame, camera snapshot_url",
                     lambda: hub.call("camera.snapshot_cam", "get_frame"), same),
                    ("http_mjpeg", "get_frame, camera mjpeg_url (new stream each call)",
                     lambda: hub.call("camera.mjpeg_cam", "get_frame"), same),
                ]
                for variant in ("", "_nodelay"):
                    if variant:
                        set_nodelay(hub)
                    times: dict[str, list[float]] = {key: [] for key, *_ in cases}
                    for key, _, call, check in cases:  # warm up: connections, caches
                        await round_trips(call, 10, check)
                    for _ in range(args.repeat):
                        for key, _, call, check in cases:
                            times[key] += await round_trips(call, args.calls, check)
                    for key, label, _, _ in cases:
                        ms = [t * 1000 for t in times[key]]
                        figures[f"{key}{variant}_ms"] = {
                            "p50": round(_pct(ms, 0.5), 3), "p90": round(_pct(ms, 0.9), 3),
                            "p99": round(_pct(ms, 0.99), 3),
                            "mean": round(statistics.mean(ms), 3), "calls": len(ms),
                        }
                        if variant:
                            label += " [fabric TCP_NODELAY]"
                        rows.append([label, f"p50 {_pct(ms, 0.5):.2f} ms",
                                     f"p90 {_pct(ms, 0.9):.2f} ms", f"p99 {_pct(ms, 0.99):.2f} ms"])
                rate, handled = await ingest(hub, broker.port, args.events, Path(tmp))
                figures["frigate_events_ingest"] = {"msg_per_s": round(rate), "handled": handled,
                                                    "published": args.events}
                rows.append(["Frigate events ingest (new -> trigger on the bus)",
                             f"{rate:,.0f} msg/s", f"handled {handled}", ""])
                hub.fabric.publish(f"{PREFIX}/front_door/person/snapshot", b"", qos=1,
                                   retain=True)
    report(
        "camera",
        {"frame_bytes": args.size, "calls_per_round": args.calls, "rounds": args.repeat,
         "events": args.events,
         "broker": "mosquitto (embedded broker config), loopback",
         "camera": "tests.cameras.CameraServer on its own thread and event loop, loopback",
         "process": "hub, its broker client and the RPC caller in one process and loop"},
        figures,
        ["what", "p50", "p90", "p99"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--size", type=int, default=200_000, help="JPEG bytes")
    parser.add_argument("--events", type=int, default=20_000)
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
