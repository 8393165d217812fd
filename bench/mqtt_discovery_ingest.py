"""Home Assistant MQTT discovery ingest: device state messages to typed events on the bus.

Starts its own Mosquitto (the embedded broker) on a free loopback port and a hub with the
`mqtt_discovery` integration, announces `--devices` devices (each a sensor whose
`value_template` reads ``value_json.t`` and a binary sensor reading ``value_json.motion``
from the same JSON state topic: two entities, one decode per message), then a separate
publisher process (as real devices are) sends:

- throughput: `--messages` state messages as fast as it can, round robin over the devices;
  the figure is sensor `StateChanged` events per second on the hub's bus;
- latency: `--rate` messages per second for `--seconds`; each carries the publisher's
  monotonic send time, the hub's bus listener takes the difference (broker to bus,
  including the broker hop and the publisher's socket), reported as p50/p99/max.

    python -m bench.mqtt_discovery_ingest [--devices 500] [--messages 60000] [--rate 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.report import report
from hub.config import load_config
from hub.events import StateChanged
from hub.fabric import EmbeddedBroker
from hub.runtime import Hub

PREFIX = "bench/ha"
BASE = "bench/dev"

PUBLISHER = r"""
import json, sys, time
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
port, devices, count, rate, base = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-devices")
client.connect("127.0.0.1", port)
client.loop_start()
topics = [f"{base}/d{i}" for i in range(devices)]
start = time.monotonic()
for n in range(count):
    if rate:
        wait = start + n / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    payload = json.dumps({"t": time.monotonic(), "motion": n % 7 == 0, "battery": 90})
    while client.publish(topics[n % devices], payload, 0).rc != 0:
        time.sleep(0.001)
client.disconnect()
client.loop_stop()
"""


def announcement(i: int) -> dict[str, Any]:
    device = {"ids": f"bench{i}", "name": f"Bench device {i}", "sa": "lab"}
    return {
        "dev": device, "o": {"name": "bench"}, "~": f"{BASE}/d{i}", "stat_t": "~",
        "cmps": {
            "t": {"p": "sensor", "uniq_id": f"bench{i}_t", "val_tpl": "{{ value_json.t }}"},
            "m": {"p": "binary_sensor", "uniq_id": f"bench{i}_m", "dev_cla": "motion",
                  "val_tpl": "{{ 'ON' if value_json.motion else 'OFF' }}"},
        },
    }


async def publish(port: int, devices: int, count: int, rate: float) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PUBLISHER, str(port), str(devices), str(count), str(rate), BASE)
    if await process.wait() != 0:
        raise RuntimeError("the publisher failed")


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        async with EmbeddedBroker(root / "broker", port=0) as broker:
            config_dir = root / "config"
            config_dir.mkdir()
            (config_dir / "configuration.yaml").write_text(yaml.safe_dump({
                "name": "bench", "data_dir": str(root / "data"),
                "mqtt": {"host": "127.0.0.1", "port": broker.port},
                "integrations": {"mqtt_discovery": {"discovery_prefix": PREFIX,
                                                    "birth": False}},
            }))
            async with Hub(load_config(config_dir)) as hub:
                await measure(hub, broker.port, args)


async def measure(hub: Hub, port: int, args: argparse.Namespace) -> None:
    for i in range(args.devices):
        hub.fabric.publish(f"{PREFIX}/device/bench{i}/config", json.dumps(announcement(i)),
                           qos=1)
    sensors = {f"sensor.bench{i}_t" for i in range(args.devices)}
    while not all(s in hub.registry for s in sensors):
        await asyncio.sleep(0.05)
    await hub.fabric.wait_subscribed()

    times: list[float] = []
    latencies: list[float] = []
    measuring_latency = False

    def on_state(event: StateChanged) -> None:
        if event.capability_id in sensors:
            now = time.monotonic()
            times.append(now)
            if measuring_latency:
                latencies.append(now - float(event.new["state"]))

    hub.bus.listen(StateChanged, on_state)
    figures: dict[str, Any] = {}

    # throughput: flat out
    await publish(port, args.devices, args.messages, 0)
    await settle(times)
    received = len(times)
    elapsed = times[-1] - times[0] if received > 1 else float("nan")
    figures["throughput_msgs_per_s"] = round((received - 1) / elapsed) if received > 1 else 0
    figures["throughput_received"] = received
    figures["throughput_lost"] = args.messages - received

    # latency at a steady rate
    times.clear()
    measuring_latency = True
    await publish(port, args.devices, int(args.rate * args.seconds), args.rate)
    await settle(times)
    latencies.sort()
    ms = [v * 1000 for v in latencies]
    figures["latency_messages"] = len(ms)
    figures["latency_p50_ms"] = round(statistics.median(ms), 3)
    figures["latency_p99_ms"] = round(ms[int(len(ms) * 0.99) - 1], 3)
    figures["latency_max_ms"] = round(ms[-1], 3)
    figures["bad_input"] = hub.bad_input.total
    rows = [
        ["throughput (msg/s, 2 entities per message)", str(figures["throughput_msgs_per_s"])],
        ["throughput messages received / lost",
         f"{figures['throughput_received']} / {figures['throughput_lost']}"],
        [f"broker to bus at {args.rate:g} msg/s p50 (ms)", str(figures["latency_p50_ms"])],
        [f"broker to bus at {args.rate:g} msg/s p99 (ms)", str(figures["latency_p99_ms"])],
        [f"broker to bus at {args.rate:g} msg/s max (ms)", str(figures["latency_max_ms"])],
    ]
    report("mqtt_discovery_ingest", {"devices": args.devices, "messages": args.messages,
                                     "rate": args.rate, "seconds": args.seconds,
                                     "entities_per_device": 2},
           figures, ["figure", "value"], rows)


async def settle(times: list[float], quiet: float = 0.5) -> None:
    """Wait until no event came for `quiet` seconds (the publisher has finished)."""
    seen = -1
    while len(times) != seen:
        seen = len(times)
        await asyncio.sleep(quiet)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--messages", type=int, default=60_000)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
