"""Device state ingest through the Zigbee2MQTT integration: broker to event bus.

A real Mosquitto on a free loopback port, a real `Hub` (store, registry, fabric) with the
zigbee2mqtt integration and `--devices` Zigbee2MQTT devices (half dimmable colour-
temperature lights, half motion/illuminance sensors), and a separate publisher process
playing Zigbee2MQTT, so that the publisher does not share the hub's core. Every message
changes exactly one capability, so each one yields one `StateChanged` on the bus.

1. Throughput: the publisher sends `--messages` state reports as fast as it can; the figure
   is messages turned into state updates and bus events per second, between the first and
   the last event (hub side).
2. Latency at a steady `--rate` (1,000 msg/s) for `--seconds`: from the publisher's
   `time.time()` just before `publish()` to the `StateChanged` event's time stamp (the
   registry's wall clock). Both are wall clocks of one machine: a monotonic clock has no
   documented common origin across processes. This includes the publisher's client, the
   broker and the hub's socket; it is an upper bound of broker-to-bus.
3. The integration's own cost: its handler called directly with ready `Message`s (no
   broker, no fabric), with the same registry and bus.

    python -m bench.ingest [--devices 500] [--messages 100000] [--rate 1000] [--seconds 10]
                           [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import logging
import multiprocessing
import pstats
import socket
import statistics
import tempfile
import time
from collections import defaultdict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.report import report
from hub.config import load_config
from hub.events import StateChanged
from hub.fabric import Message
from hub.runtime import Hub
from integrations.zigbee2mqtt import Bridge, Zigbee2MQTTConfig
from tests.broker import Mosquitto
from tests.hubs import write_config

BASE = "bench/z2m"


# -- the devices ---------------------------------------------------------------------------------


def light(i: int) -> dict[str, Any]:
    return _device(i, f"bench/light_{i:03d}", "IKEA", "LED1545G12", "TRADFRI bulb", [
        {"type": "light", "features": [
            {"type": "binary", "name": "state", "property": "state", "access": 7,
             "value_on": "ON", "value_off": "OFF", "value_toggle": "TOGGLE"},
            {"type": "numeric", "name": "brightness", "property": "brightness", "access": 7,
             "value_min": 0, "value_max": 254},
            {"type": "numeric", "name": "color_temp", "property": "color_temp", "access": 7,
             "unit": "mired", "value_min": 250, "value_max": 454},
        ]},
        {"type": "numeric", "name": "linkquality", "property": "linkquality", "access": 1},
    ])


def sensor(i: int) -> dict[str, Any]:
    return _device(i, f"bench/sensor_{i:03d}", "Aqara", "RTCGQ11LM", "Motion sensor", [
        {"type": "binary", "name": "occupancy", "property": "occupancy", "access": 1,
         "value_on": True, "value_off": False},
        {"type": "numeric", "name": "illuminance", "property": "illuminance", "access": 1,
         "unit": "lx"},
        {"type": "numeric", "name": "battery", "property": "battery", "access": 1, "unit": "%"},
        {"type": "numeric", "name": "linkquality", "property": "linkquality", "access": 1},
    ])


def _device(i: int, name: str, vendor: str, model: str, description: str,
            exposes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"ieee_address": f"0x00158d00{i:08x}", "type": "EndDevice", "friendly_name": name,
            "supported": True, "disabled": False, "interview_completed": True,
            "definition": {"vendor": vendor, "model": model, "description": description,
                           "exposes": exposes}}


def plan(devices: int) -> list[tuple[str, str]]:
    """(friendly name, the capability one message changes) per device."""
    out = []
    for i in range(devices):
        if i % 2 == 0:
            out.append((f"bench/light_{i:03d}", f"light.bench_light_{i:03d}"))
        else:
            out.append((f"bench/sensor_{i:03d}", f"sensor.bench_sensor_{i:03d}_illuminance"))
    return out


def payload(name: str, k: int) -> bytes:
    """The k-th report of a device: it changes one capability, and only that one."""
    if "light" in name:
        return (b'{"state":"ON","brightness":%d,"color_temp":370,"linkquality":120}'
                % (1 + k % 254))
    return b'{"occupancy":false,"illuminance":%d,"battery":97,"linkquality":96}' % k


# -- the publisher process -----------------------------------------------------------------------
#
# A bare MQTT 3.1.1 client on a socket: no client library thread between the time stamp and
# the write, and bursts go out many packets per write, so the publisher outpaces the hub.


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _packet(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + _varint(len(body)) + body


def _text(value: str) -> bytes:
    data = value.encode()
    return len(data).to_bytes(2, "big") + data


def publish_packet(topic: str, data: bytes) -> bytes:
    """A QoS 0 PUBLISH."""
    return _packet(0x30, _text(topic) + data)


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client_id = f"bench-z2m-{time.time_ns()}"
    # protocol name, level 4 (3.1.1), clean session, keepalive 60 s, client id
    sock.sendall(_packet(0x10, _text("MQTT") + b"\x04\x02\x00\x3c" + _text(client_id)))
    connack = sock.recv(4)
    if len(connack) != 4 or connack[0] != 0x20 or connack[3] != 0:
        raise RuntimeError(f"the broker refused the bench publisher: {connack!r}")
    return sock


def drained(sock: socket.socket) -> None:
    """PINGREQ, then wait for PINGRESP: the broker handles a connection's packets in order,
    so everything published before has been routed."""
    sock.sendall(b"\xc0\x00")
    while sock.recv(2) != b"\xd0\x00":
        pass


def publisher(port: int, names: list[str], count: int, rate: float, start_k: int,
              conn: Connection) -> None:
    """Publish `count` reports round robin over `names`, at `rate` per second (0: as fast
    as possible); send back the publish times and the elapsed seconds."""
    n = len(names)
    packets = [publish_packet(f"{BASE}/{names[j % n]}", payload(names[j % n], start_k + j // n))
               for j in range(count)]
    sent = [0.0] * count
    sock = connect(port)
    now, sleep, send = time.time, time.sleep, sock.sendall
    start = now()
    if rate > 0:
        for j, packet in enumerate(packets):
            wait = start + j / rate - now()
            if wait > 0:
                sleep(wait)
            sent[j] = now()
            send(packet)
    else:
        for j in range(0, count, 100):
            sent[j:j + 100] = [now()] * len(packets[j:j + 100])
            send(b"".join(packets[j:j + 100]))
    drained(sock)
    elapsed = now() - start
    sock.sendall(b"\xe0\x00")  # DISCONNECT
    sock.close()
    conn.send((sent, elapsed))
    conn.close()


async def run_publisher(port: int, names: list[str], count: int, rate: float,
                        start_k: int) -> tuple[list[float], float]:
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=publisher, name="bench.ingest.publisher",
                              args=(port, names, count, rate, start_k, sender))
    process.start()
    sender.close()
    try:
        result: tuple[list[float], float] = await asyncio.to_thread(receiver.recv)
    finally:
        await asyncio.to_thread(process.join, 30)
    return result


# -- measuring on the hub side --------------------------------------------------------------------


class Arrivals:
    """Event times per watched capability, from a bus listener (the hot path's consumer)."""

    def __init__(self, watched: set[str]) -> None:
        self.watched = watched
        self.times: dict[str, list[float]] = defaultdict(list)
        self.count = 0

    def __call__(self, event: StateChanged) -> None:
        if event.capability_id in self.watched:
            self.times[event.capability_id].append(event.time)
            self.count += 1

    def reset(self) -> None:
        self.times.clear()
        self.count = 0


async def wait_for(arrivals: Arrivals, count: int, idle: float = 3.0) -> None:
    last, since = -1, time.monotonic()
    while arrivals.count < count:
        await asyncio.sleep(0.01)
        if arrivals.count != last:
            last, since = arrivals.count, time.monotonic()
        elif time.monotonic() - since > idle:
            return  # some were lost (QoS 0): report what arrived


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def throughput(hub: Hub, port: int, arrivals: Arrivals, names: list[str], count: int,
                     start_k: int, profile: bool) -> dict[str, Any]:
    arrivals.reset()
    received = hub.fabric.counters.received
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    _sent, publish_s = await run_publisher(port, names, count, 0, start_k)
    await wait_for(arrivals, count)
    if profiler is not None:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())
    times = sorted(t for ts in arrivals.times.values() for t in ts)
    elapsed = times[-1] - times[0] if len(times) > 1 else float("nan")
    return {
        "messages": count,
        "events": arrivals.count,
        "received": hub.fabric.counters.received - received,
        "hub_seconds": round(elapsed, 3),
        "msg_per_s": round((arrivals.count - 1) / elapsed) if elapsed > 0 else 0,
        "publisher_msg_per_s": round(count / publish_s),
        "bad_input": hub.bad_input.total,
    }


async def stalls(found: list[float], tick: float = 0.001) -> None:
    """Record every time the event loop came back more than 5 ms late: what delays
    messages, whoever blocks it."""
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(tick)
        late = loop.time() - start - tick
        if late > 0.005:
            found.append(late * 1000)


async def latency(hub: Hub, port: int, arrivals: Arrivals, names: list[str], caps: list[str],
                  rate: float, seconds: float, start_k: int) -> dict[str, Any]:
    arrivals.reset()
    count = int(rate * seconds)
    flushes = hub.registry.flushes
    late: list[float] = []
    probe = asyncio.create_task(stalls(late), name="bench.ingest.stalls")
    try:
        sent, _elapsed = await run_publisher(port, names, count, rate, start_k)
        await wait_for(arrivals, count)
    finally:
        probe.cancel()
    n = len(names)
    delays: list[float] = []
    for d, cap in enumerate(caps):  # the i-th event of a device is its i-th message
        sent_d = sent[d::n]
        for t_sent, t_bus in zip(sent_d, arrivals.times.get(cap, [])):
            delays.append((t_bus - t_sent) * 1000)
    return {
        "rate": rate, "seconds": seconds, "messages": count, "events": arrivals.count,
        "p50_ms": round(statistics.median(delays), 3), "p90_ms": round(pct(delays, 0.9), 3),
        "p99_ms": round(pct(delays, 0.99), 3), "max_ms": round(max(delays), 3),
        "over_5ms": sum(1 for d in delays if d > 5),
        "loop_stalls_over_5ms": len(late), "longest_stall_ms": round(max(late, default=0), 1),
        "registry_flushes": hub.registry.flushes - flushes,
    }


async def handler_cost(hub: Hub, port: int, devices: list[dict[str, Any]], rounds: int
                       ) -> dict[str, Any]:
    """The integration alone: a second bridge on its own base topic, its devices' state
    handler called directly with ready messages; the same registry and bus."""
    base = "bench/direct"
    renamed = [{**d, "friendly_name": d["friendly_name"].replace("bench/", "direct/")}
               for d in devices]
    retain(port, f"{base}/bridge/devices", json.dumps(renamed).encode())
    config = Zigbee2MQTTConfig(base_topic=base, discovery_wait=10)
    async with Bridge(hub, config) as bridge:
        running = list(bridge.devices.values())
        n = len(running)
        work = [(running[j % n].on_state,
                 Message(running[j % n].topic, payload(running[j % n].topic, 1 + j // n), 0,
                         False)) for j in range(rounds)]
        start = time.perf_counter()
        for handle, message in work:
            handle(message)
        elapsed = time.perf_counter() - start
    return {"messages": rounds, "devices": n, "us_per_message": round(elapsed / rounds * 1e6, 2),
            "msg_per_s": round(rounds / elapsed)}


def retain(port: int, topic: str, data: bytes) -> None:
    sock = connect(port)
    sock.sendall(_packet(0x31, _text(topic) + data))  # PUBLISH, QoS 0, retained
    drained(sock)
    sock.close()


# -- the run ---------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    devices = [light(i) if i % 2 == 0 else sensor(i) for i in range(args.devices)]
    names, caps = (list(x) for x in zip(*plan(args.devices), strict=True))
    bursts: list[dict[str, Any]] = []
    steadies: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        broker = Mosquitto(Path(tmp) / "mosquitto")
        broker.start()
        try:
            retain(broker.port, f"{BASE}/bridge/devices", json.dumps(devices).encode())
            config_dir = write_config(
                Path(tmp), mqtt={"host": broker.host, "port": broker.port},
                integrations={"zigbee2mqtt": {"base_topic": BASE, "discovery_wait": 10}},
            )
            async with Hub(load_config(config_dir)) as hub:
                registered = sum(1 for c in hub.registry.all() if c.source == "zigbee2mqtt")
                if args.gc_freeze:  # what a runtime could do once started (see the docs)
                    gc.collect()
                    gc.freeze()
                arrivals = Arrivals(set(caps))
                hub.bus.listen(StateChanged, arrivals)
                # warm-up: one report per device sets every capability's first state
                await run_publisher(broker.port, names, len(names), 0, 0)
                await wait_for(arrivals, len(names))
                k = 1  # the next report number of every device: each report changes state
                for _ in range(args.repeat):
                    bursts.append(await throughput(hub, broker.port, arrivals, names,
                                                   args.messages, k, args.profile))
                    k += args.messages // len(names) + 1
                for _ in range(args.repeat):
                    steadies.append(await latency(hub, broker.port, arrivals, names, caps,
                                                  args.rate, args.seconds, k))
                    k += int(args.rate * args.seconds) // len(names) + 1
                handler = await handler_cost(hub, broker.port, devices, args.messages)
        finally:
            broker.stop()
    burst = _median_run(bursts, "msg_per_s")
    steady = _median_run(steadies, "p99_ms")
    figures = {"capabilities": registered, "throughput": burst, "throughput_runs": bursts,
               "latency": steady, "latency_runs": steadies, "handler_only": handler}
    p99s = ", ".join(f"{r['p99_ms']}" for r in steadies)
    rates = ", ".join(f"{r['msg_per_s']:,}" for r in bursts)
    rows = [
        ["throughput (broker -> bus)", f"{burst['msg_per_s']:,} msg/s",
         (f"median of {len(bursts)} runs ({rates}); publisher "
         f"{burst['publisher_msg_per_s']:,} msg/s; {burst['events']:,}/{burst['messages']:,} "
         "events")],
        ["latency p50 / p99", f"{steady['p50_ms']} / {steady['p99_ms']} ms",
         (f"{steady['rate']:g} msg/s for {steady['seconds']:g} s, median run by p99 ({p99s}); "
         f"p90 {steady['p90_ms']} ms, max {steady['max_ms']} ms")],
        ["loop stalls > 5 ms", f"{steady['loop_stalls_over_5ms']}",
         (f"longest {steady['longest_stall_ms']} ms; {steady['registry_flushes']} registry "
         f"flushes; {steady['over_5ms']} messages over 5 ms")],
        ["handler only", f"{handler['us_per_message']} us/msg",
         f"{handler['msg_per_s']:,} msg/s: parse, dispatch, set_state, bus"],
    ]
    parameters = {"devices": args.devices, "capabilities": registered,
                  "messages": args.messages, "rate": args.rate, "seconds": args.seconds,
                  "repeat": args.repeat, "gc_freeze": args.gc_freeze, "qos": 0,
                  "publisher": "separate process, a bare MQTT 3.1.1 socket client",
                  "clock": "time.time() in both processes (one machine)"}
    report("ingest", parameters, figures, ["measure", "result", "detail"], rows)


def _median_run(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return sorted(runs, key=lambda r: float(r[key]))[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() once the hub started: no full collection walks "
                             "the capabilities again")
    parser.add_argument("--profile", action="store_true",
                        help="profile the hub during the throughput runs (slows them down)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
