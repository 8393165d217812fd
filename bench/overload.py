"""Overload: a hub offered more MQTT than it can handle keeps its other duties.

A Mosquitto of its own (the embedded broker's configuration) on a free loopback port, a
real hub as a child process (what `atmosphere run` runs: the zigbee2mqtt integration, the
HTTP API on uvicorn, plus a monitor task measuring how late the event loop wakes up), and
`--publishers` publisher processes playing Zigbee2MQTT for `--devices` devices (half lights,
half motion/illuminance sensors) on bare MQTT 3.1.1 sockets, QoS 0.

At each offered rate (`--rates`, msg/s in total, 0 = as fast as the publishers can) for
`--seconds`, this process measures from outside:

- `GET /api/health` latency, one request every 50 ms;
- a tool call over HTTP (`get_state` of a watched sensor: HTTP, then MQTT to the hub's RPC
  server and back), one every 200 ms: its latency, and the state it answered;
- the state persisted in the hub's `hub.db` (read-only, every 250 ms): a sensor's
  illuminance is its report's send time in microseconds, so every value read says how
  old it is. "ack -> disk" is how long a state the hub had answered took to reach disk;
  with the registry's 2 s write-behind it stays under ~2-3 s while flushes keep going;
- the hub's loop stalls (sleep overshoot of a 5 ms ticker in the hub process): p99, max;
- messages shed: sent by the publishers minus received by the hub (its fabric counters,
  once its input drained after the step), and the fabric's `behind` count.

Then it stops the hub, starts a flood at `--kill-rate`, starts the hub again inside it
(time until it answers HTTP), keeps it under the flood for `--kill-after` seconds and
SIGKILLs it: "acknowledged state lost" is how many seconds of states the hub had answered
(tool calls) are missing from `hub.db`.

Last, tool call round trips under a `--kill-rate` flood with the RPC server and client on
the flooded connection (as the hub has them) and on a connection of their own.

    python -m bench.overload [--devices 200] [--rates 100,5000,10000,20000,40000,80000,0]
                             [--seconds 8] [--publishers 2] [--kill-rate 0] [--kill-after 8]
                             [--lane-seconds 12]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import logging
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import nacl.signing

from bench.ingest import BASE, light, plan, retain, sensor
from bench.report import report
from hub.fabric import EmbeddedBroker, Fabric, FabricSettings, Message, RpcClient, RpcServer
from hub.model import NodeId, ToolResult
from tests.firehose import connect, drained, publish_packet
from tests.hubs import write_config

FLUSH_INTERVAL_S = 2.0  # the registry's write-behind (hub/registry.py)
HEALTH_EVERY_S = 0.05
TOOL_EVERY_S = 0.2
STATE_EVERY_S = 0.1
DISK_EVERY_S = 0.25
TICK_S = 0.005  # the hub-side loop monitor's sleep


# -- the hub process ---------------------------------------------------------------------------


async def _watch_loop(path: Path) -> None:
    """Record how late a 5 ms sleep wakes up; every 0.5 s append a line: time, samples,
    the lateness (ms) of the samples later than 1 ms, and the same counted in the loop
    thread's CPU time ("busy": lateness caused by the loop's own callbacks)."""
    loop = asyncio.get_running_loop()
    with path.open("a") as out:
        samples, late, busy, since = 0, [], [], time.time()
        while True:
            start, cpu = loop.time(), time.thread_time()
            await asyncio.sleep(TICK_S)
            lateness = (loop.time() - start - TICK_S) * 1000
            # the loop thread's own CPU time in that interval: what its callbacks cost,
            # without the time the OS gave other processes (this machine is shared)
            working = (time.thread_time() - cpu) * 1000 - TICK_S * 1000
            samples += 1
            if lateness > 1:
                late.append(round(lateness, 1))
            if working > 1:
                busy.append(round(working, 1))
            if time.time() - since >= 0.5:
                out.write(json.dumps({"t": time.time(), "n": samples, "late": late,
                                      "busy": busy}) + "\n")
                out.flush()
                samples, late, busy, since = 0, [], [], time.time()


async def _hub_main(config_dir: Path, stalls: Path) -> None:
    from hub.cli import _run  # the run command's body: Hub, gc.freeze, uvicorn
    from hub.config import load_config

    watcher = asyncio.create_task(_watch_loop(stalls), name="bench.overload.stalls")
    try:
        await _run(load_config(config_dir))
    finally:
        watcher.cancel()


def hub_child(config_dir: str, stalls: str) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    logging.getLogger("hub.runtime").setLevel(logging.INFO)  # "hub started ... in N ms"
    asyncio.run(_hub_main(Path(config_dir), Path(stalls)))


class HubProcess:
    def __init__(self, config_dir: Path, directory: Path, name: str) -> None:
        self.stalls = directory / f"{name}.stalls.jsonl"
        self.log = directory / f"{name}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.overload", "--child", str(config_dir),
                 str(self.stalls)], stdout=log, stderr=subprocess.STDOUT,
                cwd=Path(__file__).resolve().parent.parent)
        self.spawned = time.time()

    def stall_lines(self, start: float, end: float) -> list[dict[str, Any]]:
        if not self.stalls.exists():
            return []
        lines = [json.loads(x) for x in self.stalls.read_text().splitlines() if x.strip()]
        return [x for x in lines if start <= x["t"] <= end + 0.5]

    def started_ms(self) -> float | None:
        for line in self.log.read_text(errors="replace").splitlines():
            if "hub started" in line and " in " in line:
                return float(line.rsplit(" in ", 1)[1].split()[0])
        return None

    def warnings(self, text: str) -> int:
        return sum(1 for line in self.log.read_text(errors="replace").splitlines()
                   if text in line)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- the publishers --------------------------------------------------------------------------


def report_payload(name: str, k: int) -> bytes:
    """A sensor's illuminance is the send time in microseconds: every state says its age."""
    if "light" in name:
        return (b'{"state":"ON","brightness":%d,"color_temp":370,"linkquality":120}'
                % (1 + k % 254))
    return (b'{"occupancy":false,"illuminance":%d,"battery":97,"linkquality":96}'
            % int(time.time() * 1e6))


def publisher(port: int, names: list[str], rate: float, seconds: float,
              conn: Connection) -> None:
    """Report round robin over `names` at `rate` msg/s (0: flat out) for `seconds`;
    send back (messages, elapsed)."""
    topics = [f"{BASE}/{n}" for n in names]
    n = len(names)
    sock = connect("127.0.0.1", port)
    send, now = sock.sendall, time.monotonic
    started = time.time()
    start = now()
    end = start + seconds
    sent = 0
    tick = 0.01
    while True:
        t = now()
        if t >= end:
            break
        if rate > 0:
            due = int((t - start + tick) * rate) - sent
            if due <= 0:
                time.sleep(max(0.0, start + (sent + 1) / rate - t))
                continue
        else:
            due = 200
        send(b"".join(publish_packet(topics[j % n], report_payload(names[j % n], j // n))
                      for j in range(sent, sent + due)))
        sent += due
    drained(sock)  # the broker has routed everything
    elapsed = now() - start
    sock.sendall(b"\xe0\x00")
    sock.close()
    conn.send((sent, elapsed, started))
    conn.close()


def share(items: list[str], count: int, p: int) -> list[str]:
    """The p-th of `count` contiguous shares (devices alternate light, sensor)."""
    size = -(-len(items) // count)
    return items[p * size:(p + 1) * size]


class Publishers:
    def __init__(self, port: int, names: list[str], count: int, rate: float,
                 seconds: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.receivers: list[Connection] = []
        self.processes = []
        for p in range(count):
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=publisher, name=f"bench.overload.publisher{p}",
                                      args=(port, share(names, count, p), rate / count,
                                            seconds, sender))
            process.start()
            sender.close()
            self.receivers.append(receiver)
            self.processes.append(process)

    async def result(self) -> tuple[int, float, float]:
        """(messages sent, seconds, wall time of the first send) once every publisher
        finished."""
        sent, elapsed, first = 0, 0.0, float("inf")
        for receiver, process in zip(self.receivers, self.processes, strict=True):
            count, seconds, started = await asyncio.to_thread(receiver.recv)
            sent += count
            elapsed = max(elapsed, seconds)
            first = min(first, started)
            await asyncio.to_thread(process.join, 30)
        return sent, elapsed, first

    def kill(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
                process.join()


# -- measuring from outside ----------------------------------------------------------------


@dataclass
class Probe:
    url: str
    token: str
    db: Path
    watched: list[str]
    health: list[tuple[float, float, bool, dict[str, Any]]] = field(default_factory=list)
    tools: list[tuple[float, float, bool, str, int | None]] = field(default_factory=list)
    states: list[tuple[float, float, bool, str, int | None]] = field(default_factory=list)
    disk: list[tuple[float, dict[str, int]]] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=30.0) as http:
            await asyncio.gather(self._health(http, stop), self._tool(http, stop),
                                 self._state(http, stop), self._disk(stop))

    @property
    def acknowledged(self) -> list[tuple[float, str, int]]:
        """(time, capability, illuminance) of every state the hub answered, by time."""
        return sorted((t, cap, value) for t, _ms, ok, cap, value in self.tools + self.states
                      if ok and value is not None)

    async def _health(self, http: httpx.AsyncClient, stop: asyncio.Event) -> None:
        while not stop.is_set():
            start, t0 = time.time(), time.perf_counter()
            ok, fabric = False, {}
            try:
                response = await http.get("/api/health")
                ok = response.status_code == 200
                fabric = response.json().get("fabric", {}) if ok else {}
            except httpx.HTTPError:
                pass
            self.health.append((start, (time.perf_counter() - t0) * 1000, ok, fabric))
            await _pause(stop, HEALTH_EVERY_S - (time.perf_counter() - t0))

    async def _tool(self, http: httpx.AsyncClient, stop: asyncio.Event) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        i = 0
        while not stop.is_set():
            cap = self.watched[i % len(self.watched)]
            i += 1
            t0 = time.perf_counter()
            ok, value = False, None
            try:
                response = await http.post(f"/api/capabilities/{cap}/tools/get_state",
                                           json={}, headers=headers)
                ok = response.status_code == 200
                if ok:
                    value = int(response.json()["result"]["state"]["state"])
            except (httpx.HTTPError, KeyError, TypeError, ValueError):
                pass
            self.tools.append((time.time(), (time.perf_counter() - t0) * 1000, ok, cap, value))
            await _pause(stop, TOOL_EVERY_S - (time.perf_counter() - t0))

    async def _state(self, http: httpx.AsyncClient, stop: asyncio.Event) -> None:
        """A watched sensor's state over HTTP alone (no MQTT): what the hub has applied."""
        headers = {"Authorization": f"Bearer {self.token}"}
        i = 0
        while not stop.is_set():
            cap = self.watched[i % len(self.watched)]
            i += 1
            t0 = time.perf_counter()
            ok, value = False, None
            try:
                response = await http.get(f"/api/capabilities/{cap}", headers=headers)
                ok = response.status_code == 200
                if ok:
                    value = int(response.json()["state"]["state"])
            except (httpx.HTTPError, KeyError, TypeError, ValueError):
                pass
            self.states.append((time.time(), (time.perf_counter() - t0) * 1000, ok, cap, value))
            await _pause(stop, STATE_EVERY_S - (time.perf_counter() - t0))

    async def _disk(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                found = await asyncio.to_thread(persisted, self.db, self.watched)
            except sqlite3.Error:
                found = None
            if found is not None:
                self.disk.append((time.time(), found))
            await _pause(stop, DISK_EVERY_S)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    if seconds > 0:
        try:
            async with asyncio.timeout(seconds):
                await stop.wait()
        except TimeoutError:
            pass


def persisted(db: Path, ids: list[str]) -> dict[str, int]:
    """Each watched sensor's illuminance as saved in hub.db."""
    if not db.exists():
        return {}
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        marks = ",".join("?" * len(ids))
        rows = conn.execute(f"SELECT id, json FROM states WHERE id IN ({marks})", ids)
        out = {}
        for cap, text in rows:
            value = json.loads(text).get("state")
            if isinstance(value, (int, float)):
                out[cap] = int(value)
        return out


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def stall_figures(lines: list[dict[str, Any]]) -> dict[str, float]:
    samples = sum(x["n"] for x in lines)
    out: dict[str, float] = {"samples": samples}
    for key, name in (("late", ""), ("busy", "cpu_")):
        values = sorted((v for x in lines for v in x.get(key, [])), reverse=True)
        rank = int(samples * 0.01)  # the p99 sample counted from the top
        if not samples:
            out[f"{name}p99_ms"] = out[f"{name}max_ms"] = float("nan")
            continue
        out[f"{name}p99_ms"] = values[rank] if rank < len(values) else 1.0  # else: < 1 ms
        out[f"{name}max_ms"] = values[0] if values else 1.0
    return out


def ack_to_disk(probe: Probe, start: float, end: float) -> tuple[float, int]:
    """For each state the hub answered in [start, end]: seconds until hub.db had it (or
    something newer). Returns (max, acknowledged states never seen on disk)."""
    disk_times = [t for t, _ in probe.disk]
    worst, missing = 0.0, 0
    for t_ack, cap, value in probe.acknowledged:
        if not start <= t_ack <= end:
            continue
        i = bisect.bisect_left(disk_times, t_ack)
        for t_disk, found in probe.disk[i:]:
            if found.get(cap, 0) >= value:
                worst = max(worst, t_disk - t_ack)
                break
        else:
            missing += 1
    return worst, missing


def flush_gap(probe: Probe, start: float, end: float) -> float:
    """The longest time hub.db's watched states went without changing, in [start, end]."""
    seen: dict[str, int] = {}
    last_change = start
    worst = 0.0
    for t, found in probe.disk:
        if t < start or t > end:
            continue
        if any(found.get(cap) != seen.get(cap) for cap in found):
            worst = max(worst, t - last_change)
            last_change = t
            seen = dict(found)
    return max(worst, end - last_change)


async def wait_until_drained(probe: Probe, limit: float = 30.0) -> dict[str, Any]:
    """Wait until the hub has handled every byte it was sent (input_waiting 0 and received
    unchanged for 1 s); return its fabric counters then."""
    deadline = time.time() + limit
    last, since = -1, time.time()
    while time.time() < deadline:
        await asyncio.sleep(0.1)
        fabric = probe.health[-1][3] if probe.health else {}
        received = fabric.get("received", -1)
        if received != last or fabric.get("input_waiting_bytes", 1):
            last, since = received, time.time()
        elif time.time() - since > 1.0:
            break
    return probe.health[-1][3] if probe.health else {}


async def wait_healthy(url: str, hub: HubProcess, limit: float = 120.0) -> float:
    """Seconds from spawning the hub until it answered /api/health."""
    async with httpx.AsyncClient(base_url=url, timeout=2.0) as http:
        deadline = time.time() + limit
        while time.time() < deadline:
            if hub.process.poll() is not None:
                raise RuntimeError(f"the hub exited: {hub.log.read_text()[-2000:]}")
            try:
                if (await http.get("/api/health")).status_code == 200:
                    return time.time() - hub.spawned
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"the hub did not answer within {limit} s")


# -- tool calls behind a flood: one connection or two ----------------------------------------


async def lanes(port: int, names: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Tool call round trips while a flood arrives, with the RPC server and client on the
    flooded connection (as the hub runs) and on a connection of their own."""
    node = NodeId("node-overload")
    key = nacl.signing.SigningKey(bytes(range(32)))
    public = bytes(key.verify_key)

    def lookup(n: NodeId) -> bytes | None:
        return public if n == node else None

    async def tool(name: str, arguments: Any) -> ToolResult:
        return ToolResult(value={"state": "on"})

    handled = 0

    def on_device(message: Message) -> None:  # an integration's share: parse, look up
        nonlocal handled
        handled += 1
        json.loads(message.payload)

    out: dict[str, Any] = {}
    settings = FabricSettings(port=port)
    for shared in (True, False):
        async with Fabric(settings) as devices, Fabric(settings) as own:
            rpc_fabric = devices if shared else own
            devices.subscribe(f"{BASE}/#", on_device)
            async with (
                RpcServer(rpc_fabric, node, key, lookup, {"light.x": tool}.get),
                RpcClient(rpc_fabric, node, key, lookup) as client,
            ):
                await devices.wait_subscribed()
                await own.wait_subscribed()
                publishers = Publishers(port, names, args.publishers, args.kill_rate,
                                        args.lane_seconds)
                latencies: list[float] = []
                failed = 0
                try:
                    await asyncio.sleep(2)  # spawned, connected, flooding
                    end = time.monotonic() + args.lane_seconds - 3
                    while time.monotonic() < end:
                        t0 = time.perf_counter()
                        try:
                            await client.call(node, "light.x", "get_state", {}, timeout=10)
                            latencies.append((time.perf_counter() - t0) * 1000)
                        except Exception:  # noqa: BLE001 - a timeout is a figure here
                            failed += 1
                        await asyncio.sleep(0.1)
                    sent, _elapsed, _first = await publishers.result()
                finally:
                    publishers.kill()
        out["shared" if shared else "own_connection"] = {
            "calls": len(latencies), "failed": failed,
            "p50_ms": round(pct(latencies, 0.5), 2), "p99_ms": round(pct(latencies, 0.99), 2),
            "max_ms": round(max(latencies, default=float("nan")), 2),
            "flood_sent": sent, "flood_handled": handled,
        }
        handled = 0
    return out


# -- the run -------------------------------------------------------------------------------------


async def step(port: int, names: list[str], probe: Probe, hub: HubProcess, rate: float,
               args: argparse.Namespace) -> dict[str, Any]:
    before = await wait_until_drained(probe)
    tool_calls = len(probe.tools)
    publishers = Publishers(port, names, args.publishers, rate, args.seconds)
    try:
        sent, elapsed, start = await publishers.result()
    finally:
        publishers.kill()
    end = time.time()
    after = await wait_until_drained(probe)
    calls = len(probe.tools) - tool_calls
    health = [h for h in probe.health if start <= h[0] <= end]
    tools = [t for t in probe.tools if start <= t[0] - t[1] / 1000 <= end]  # by start
    health_ms = [h[1] for h in health]
    tool_ms = [t[1] for t in tools if t[2]]
    # the hub's own RPC traffic (request and reply per tool call) is received too
    received = after.get("received", 0) - before.get("received", 0) - 2 * calls
    hub_rates = [h for h in health if h[2] and "received" in h[3]]
    handled = ((hub_rates[-1][3]["received"] - hub_rates[0][3]["received"])
               / (hub_rates[-1][0] - hub_rates[0][0])) if len(hub_rates) > 1 else float("nan")
    worst_ack, never = ack_to_disk(probe, start, end)
    stalls = stall_figures(hub.stall_lines(start, end))
    return {
        "offered": "flat out" if rate == 0 else rate,
        "sent_msg_per_s": round(sent / elapsed),
        "hub_msg_per_s": round(handled),
        "sent": sent, "received": received, "shed": max(0, sent - received),
        "behind": after.get("behind", 0) - before.get("behind", 0),
        "health_p50_ms": round(pct(health_ms, 0.5), 1),
        "health_p99_ms": round(pct(health_ms, 0.99), 1),
        "health_max_ms": round(max(health_ms, default=float("nan")), 1),
        "health_failed": sum(1 for h in health if not h[2]),
        "tool_p50_ms": round(pct(tool_ms, 0.5), 1),
        "tool_p99_ms": round(pct(tool_ms, 0.99), 1),
        "tool_failed": sum(1 for t in tools if not t[2]),
        "stall_p99_ms": stalls["p99_ms"], "stall_max_ms": stalls["max_ms"],
        "stall_cpu_p99_ms": stalls["cpu_p99_ms"], "stall_cpu_max_ms": stalls["cpu_max_ms"],
        "load_average": round(os.getloadavg()[0], 2),
        "flush_gap_max_s": round(flush_gap(probe, start, end), 2),
        "ack_to_disk_max_s": round(worst_ack, 2), "acked_never_on_disk": never,
    }


async def kill_run(port: int, names: list[str], url: str, token: str, db: Path,
                   watched: list[str], config_dir: Path, directory: Path,
                   args: argparse.Namespace) -> dict[str, Any]:
    """Flood, start the hub inside the flood, SIGKILL it after `kill_after` seconds."""
    seconds = 2 + 60 + args.kill_after  # the flood outlasts the start and the kill
    publishers = Publishers(port, names, args.publishers, args.kill_rate, seconds)
    try:
        await asyncio.sleep(2)  # the flood is on before the hub starts
        hub = HubProcess(config_dir, directory, "killed")
        try:
            answered_s = await wait_healthy(url, hub)
            probe = Probe(url, token, db, watched)
            stop = asyncio.Event()
            probing = asyncio.create_task(probe.run(stop))
            await asyncio.sleep(args.kill_after)
            hub.process.send_signal(signal.SIGKILL)
            killed = time.time()
            hub.process.wait()
            stop.set()
            await probing
        finally:
            hub.stop(signal.SIGKILL)
    finally:
        publishers.kill()
    on_disk = persisted(db, watched)
    lost = 0.0
    acked = 0
    for t_ack, cap, value in probe.acknowledged:
        if t_ack <= killed:
            acked += 1
            if value > on_disk.get(cap, 0):
                lost = max(lost, killed - t_ack)
    ages = [killed - v / 1e6 for v in on_disk.values()]
    health_ms = [h[1] for h in probe.health]
    return {
        "offered": "flat out" if args.kill_rate == 0 else args.kill_rate,
        "hub_answered_http_s": round(answered_s, 2),
        "hub_started_ms": hub.started_ms(),
        "under_flood_s": args.kill_after,
        "acknowledged_states": acked,
        "acknowledged_lost_s": round(lost, 2),
        "newest_on_disk_age_s": round(min(ages), 2) if ages else None,
        "health_p99_ms": round(pct(health_ms, 0.99), 1),
        "behind_warnings_logged": hub.warnings("fabric is behind"),
    }


async def run(args: argparse.Namespace) -> None:
    devices = [light(i) if i % 2 == 0 else sensor(i) for i in range(args.devices)]
    names, caps = (list(x) for x in zip(*plan(args.devices), strict=True))
    # two sensors of every publisher's share
    watched = [c for p in range(args.publishers)
               for c in [c for c in share(caps, args.publishers, p) if c.startswith("sensor.")][:2]]
    steps: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        async with EmbeddedBroker(directory / "broker", port=0) as broker:
            port = broker.port
            retain(port, f"{BASE}/bridge/devices", json.dumps(devices).encode())
            config_dir = write_config(
                directory, mqtt={"host": "127.0.0.1", "port": port},
                integrations={"zigbee2mqtt": {"base_topic": BASE, "discovery_wait": 10}},
            )
            http_port = _config_port(config_dir)
            url = f"http://127.0.0.1:{http_port}"
            db = directory / "data" / "hub.db"
            hub = HubProcess(config_dir, directory, "sweep")
            try:
                idle_answered_s = await wait_healthy(url, hub)
                idle_started_ms = hub.started_ms()
                token = (directory / "data" / "api_token").read_text().strip()
                probe = Probe(url, token, db, watched)
                stop = asyncio.Event()
                probing = asyncio.create_task(probe.run(stop))
                try:
                    for rate in args.rates:
                        result = await step(port, names, probe, hub, rate, args)
                        steps.append(result)
                        print(_step_line(result), flush=True)
                finally:
                    stop.set()
                    await probing
                behind_logged = hub.warnings("fabric is behind")
            finally:
                hub.stop()
            killed = await kill_run(port, names, url, token, db, watched, config_dir,
                                    directory, args)
            lane = await lanes(port, names, args) if args.lane_seconds > 0 else {}
    good = [s for s in steps if s["health_p99_ms"] < 100 and not s["health_failed"]
            and not s["tool_failed"] and s["acked_never_on_disk"] == 0
            and s["ack_to_disk_max_s"] <= FLUSH_INTERVAL_S + 1.0]
    best = max(good, key=lambda s: s["sent_msg_per_s"], default=None)
    # overloaded: the hub handled clearly less than was offered while it was offered
    overloaded = [s for s in steps
                  if s["shed"] > 0 or s["hub_msg_per_s"] < 0.9 * s["sent_msg_per_s"]]
    figures = {
        "steps": steps, "kill": killed, "tool_call_lanes": lane,
        "idle_start": {"hub_answered_http_s": round(idle_answered_s, 2),
                       "hub_started_ms": idle_started_ms},
        "highest_good_offered_msg_per_s": best["sent_msg_per_s"] if best else None,
        "stall_p99_ms_under_overload": max((s["stall_p99_ms"] for s in overloaded),
                                           default=None),
        "stall_cpu_p99_ms_under_overload": max((s["stall_cpu_p99_ms"] for s in overloaded),
                                               default=None),
        "behind_warnings_logged_in_sweep": behind_logged,
    }
    header = ["offered", "sent/s", "hub/s", "shed", "health p50/p99/max ms",
              "tool p50/p99 ms", "stall p99/max ms", "of it CPU p99/max", "flush gap s",
              "ack->disk s", "load"]
    rows = [[str(s["offered"]), f"{s['sent_msg_per_s']:,}", f"{s['hub_msg_per_s']:,}",
             f"{s['shed']:,}", f"{s['health_p50_ms']}/{s['health_p99_ms']}/{s['health_max_ms']}"
             + (f" ({s['health_failed']} failed)" if s["health_failed"] else ""),
             f"{s['tool_p50_ms']}/{s['tool_p99_ms']}"
             + (f" ({s['tool_failed']} failed)" if s["tool_failed"] else ""),
             f"{s['stall_p99_ms']}/{s['stall_max_ms']}",
             f"{s['stall_cpu_p99_ms']}/{s['stall_cpu_max_ms']}", f"{s['flush_gap_max_s']}",
             f"{s['ack_to_disk_max_s']}", f"{s['load_average']}"] for s in steps]
    k = killed
    rows.append([f"kill @ {k['offered']}", "", "", "", f"-/{k['health_p99_ms']}/-", "", "", "",
                 "", f"lost {k['acknowledged_lost_s']}", ""])
    for name, lane_figures in lane.items():
        rows.append([f"rpc lane: {name}", "", f"{lane_figures['flood_handled']:,}", "", "",
                     f"{lane_figures['p50_ms']}/{lane_figures['p99_ms']}"
                     + (f" ({lane_figures['failed']} failed)" if lane_figures["failed"] else ""),
                     "", "", "", "", ""])
    parameters = {"devices": args.devices, "lane_seconds": args.lane_seconds, "rates": args.rates, "seconds": args.seconds,
                  "publishers": args.publishers, "kill_rate": args.kill_rate,
                  "kill_after": args.kill_after, "qos": 0,
                  "broker": "mosquitto, the embedded broker's configuration, loopback",
                  "hub": "child process running the run command's body (hub.cli._run)"}
    report("overload", parameters, figures, header, rows)
    print(f"\nhighest offered rate with health p99 < 100 ms and every acknowledged state on "
          f"disk within the write-behind window: "
          f"{best['sent_msg_per_s']:,} msg/s" if best else "\nno rate met the bar")
    print(f"loop stall p99 under overload: {figures['stall_p99_ms_under_overload']} ms, of "
          f"it the loop's own CPU time: {figures['stall_cpu_p99_ms_under_overload']} ms")
    print(f"hub started inside a flood ({k['offered']}): answered HTTP after "
          f"{k['hub_answered_http_s']} s (idle: {idle_answered_s:.2f} s); SIGKILL after "
          f"{k['under_flood_s']} s lost {k['acknowledged_lost_s']} s of acknowledged state "
          f"({k['acknowledged_states']} acknowledged)")


def _config_port(config_dir: Path) -> int:
    import yaml

    document = yaml.safe_load((config_dir / "configuration.yaml").read_text())
    return int(document["http"]["port"])


def _step_line(s: dict[str, Any]) -> str:
    return (f"offered {s['offered']}: sent {s['sent_msg_per_s']:,}/s hub {s['hub_msg_per_s']:,}/s"
            f" shed {s['shed']:,} health p99 {s['health_p99_ms']} ms tool p99 "
            f"{s['tool_p99_ms']} ms stall p99 {s['stall_p99_ms']} ms ack->disk "
            f"{s['ack_to_disk_max_s']} s")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.overload", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--rates", type=lambda s: [float(x) for x in s.split(",")],
                        default=[100, 5000, 10000, 20000, 40000, 80000, 0],
                        help="offered msg/s in total, comma separated; 0 = flat out")
    parser.add_argument("--seconds", type=float, default=8.0, help="per rate")
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--kill-rate", type=float, default=0.0)
    parser.add_argument("--kill-after", type=float, default=8.0)
    parser.add_argument("--lane-seconds", type=float, default=12.0,
                        help="tool calls behind a flood, one connection vs two (0: skip)")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG_DIR", "STALLS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        hub_child(*args.child)
        return
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
