"""Input that would make memory or the log grow without bound: each bomb goes through a
real Mosquitto into a real hub, and afterwards what the hub holds is within its limit (the
growth is measured with tracemalloc; the publisher is another process), the hub still
answers its health check and a tool call, and the event loop kept turning while the bomb
was handled (a ticker task ran in between: no time is asserted)."""

from __future__ import annotations

import asyncio
import copy
import gc
import json
import logging
import re
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.devices.badinput import LOG_LINES
from hub.errors import ToolError
from hub.events import BadInput
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.flood import publish_many
from tests.hubs import hub_config
from tests.mqtt import mqtt_peer
from tests.test_zigbee2mqtt import DEVICES, fake_zigbee2mqtt, z2m_config
from tests.waiting import eventually
from web import create_app

MB = 1024 * 1024
SMALL_JPEG = b"\xff\xd8\xff\xe0" + bytes(500) + b"\xff\xd9"


@dataclass
class Ticker:
    """A task that counts its turns: if a callback held the loop, it did not count."""

    ticks: int = 0

    async def run(self) -> None:
        while True:
            await asyncio.sleep(0.001)
            self.ticks += 1


@asynccontextmanager
async def ticking() -> AsyncIterator[Ticker]:
    ticker = Ticker()
    task = asyncio.create_task(ticker.run(), name="test.ticker")
    try:
        yield ticker
    finally:
        task.cancel()
        await asyncio.wait([task])


@dataclass
class Growth:
    bytes: int = 0


@contextmanager
def memory_growth() -> Iterator[Growth]:
    """How much more memory this process holds at the end of the block than at its
    start (after a collection each time)."""
    growth = Growth()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        yield growth
        gc.collect()
        growth.bytes = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


async def still_serving(hub: Hub, capability_id: str, tool: str = "get_state",
                        arguments: dict[str, Any] | None = None) -> None:
    """The health check says ok and a tool call through the HTTP API answers."""
    headers = {"Authorization": f"Bearer {hub.api_token}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(hub)),
                                 base_url="http://hub.test", headers=headers) as http:
        health = await http.get("/api/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
        called = await http.post(f"/api/capabilities/{capability_id}/tools/{tool}",
                                 json=arguments or {})
        assert called.status_code == 200, called.text


# -- Frigate: a snapshot per label ------------------------------------------------------------


async def test_snapshots_of_100000_labels_stay_within_the_snapshot_limits(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    p = f"{topic_prefix}/frigate"
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port, integrations={"frigate": {
        "topic_prefix": p, "cameras": ["front_door"], "max_frame_bytes": 2048,
        "max_snapshots": 3, "max_snapshot_bytes": 8192}})
    async with Hub(config) as hub, ticking() as ticker:
        with memory_growth() as growth:
            await publish_many(mosquitto.host, mosquitto.port,
                               f"{p}/front_door/label{{i}}/snapshot", 100_000,
                               payload=SMALL_JPEG)
            # a known label on 20 discovered cameras: more snapshots than max_snapshots
            await publish_many(mosquitto.host, mosquitto.port, f"{p}/cam{{i}}/person/snapshot",
                               20, payload=SMALL_JPEG)
            with mqtt_peer(mosquitto.host, mosquitto.port) as frigate:
                frigate.publish(f"{p}/front_door/motion", "ON")
            await eventually(lambda: hub.registry.get("camera.front_door").state.get(
                "motion") == "on", timeout=60)
        assert ticker.ticks > 0
        # 100,000 kept snapshots of 506 bytes were 60 MB; 3 are 1.5 KB (the 20 cameras
        # discovered on the way, their capabilities and events, are the rest)
        assert growth.bytes < 3 * MB, f"{growth.bytes} bytes more"
        assert hub.bad_input.total == 0, "snapshots of other labels are not bad input"
        latest = await hub.call("camera.cam19", "get_frame", {"label": "person"})
        assert latest.data == SMALL_JPEG
        with pytest.raises(ToolError) as evicted:
            await hub.call("camera.cam0", "get_frame", {"label": "person"})
        assert str(evicted.value) == (f"camera.cam0: no person snapshot on {p}/cam0/person/"
                                      f"snapshot yet (snapshots of: none yet)")
        with pytest.raises(ToolError) as unknown:
            await hub.call("camera.front_door", "get_frame", {"label": "label99999"})
        assert str(unknown.value) == (
            "camera.front_door: snapshots are kept for the camera's labels only (person, car, "
            "dog, cat), not label99999: add it to labels: in the frigate section, or set url: "
            "to fetch it from Frigate")
        await still_serving(hub, "camera.front_door")


async def test_counts_and_switches_of_many_labels_are_bounded_per_camera(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    from integrations.frigate.camera import MAX_STATE_KEYS

    p = f"{topic_prefix}/frigate"
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port, integrations={"frigate": {
        "topic_prefix": p, "cameras": ["front_door"]}})
    async with Hub(config) as hub:
        await publish_many(mosquitto.host, mosquitto.port, f"{p}/front_door/label{{i}}", 5000,
                           payload="1")
        await publish_many(mosquitto.host, mosquitto.port,
                           f"{p}/front_door/feature{{i}}/state", 5000, payload="ON")
        with mqtt_peer(mosquitto.host, mosquitto.port) as frigate:
            frigate.publish(f"{p}/front_door/motion", "ON")
        await eventually(lambda: hub.registry.get("camera.front_door").state.get(
            "motion") == "on", timeout=30)
        state = hub.registry.get("camera.front_door").state
        assert len(state) == MAX_STATE_KEYS + 2  # + state and motion
        assert state["label0_count"] == 1 and "label4999_count" not in state


async def test_a_tracked_object_in_thousands_of_zones_fires_a_bounded_number_of_triggers(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    from hub.events import TriggerFired
    from tests.test_frigate import NO_THROTTLE, event, tracked

    p = f"{topic_prefix}/frigate"
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port, integrations={"frigate": {
        "topic_prefix": p, "cameras": ["front_door"], "triggers": NO_THROTTLE}})
    async with Hub(config) as hub:
        fired: list[TriggerFired] = []
        hub.bus.listen(TriggerFired, fired.append)
        zones = tuple(f"zone{i}" for i in range(5000))
        with mqtt_peer(mosquitto.host, mosquitto.port) as frigate:
            frigate.publish(f"{p}/events", event("new", tracked(entered_zones=zones[:2500])))
            frigate.publish(f"{p}/events", event("update", tracked(entered_zones=zones)))
            frigate.publish(f"{p}/front_door/motion", "ON")
            await eventually(lambda: hub.registry.get("camera.front_door").state.get(
                "motion") == "on")
        names = [f.trigger for f in fired]
        assert names.count("person_detected") == 1 and names.count("person_in_zone") == 32
        await still_serving(hub, "camera.front_door")


# -- MQTT discovery: JSON attributes ----------------------------------------------------------


def _discovery_config(tmp_path: Path, mosquitto: Mosquitto, prefix: str,
                      **options: Any) -> Any:
    return hub_config(tmp_path, mosquitto.host, mosquitto.port, integrations={
        "mqtt_discovery": {"discovery_prefix": f"{prefix}/ha", **options}})


async def test_json_attributes_with_a_million_distinct_keys_replace_not_merge(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    from integrations.mqtt_discovery.entity import MAX_ATTRIBUTE_BYTES, MAX_ATTRIBUTE_KEYS

    base = f"{topic_prefix}/dev"
    attributes = f"{base}/meter/attributes"
    async with Hub(_discovery_config(tmp_path, mosquitto, topic_prefix)) as hub:
        with mqtt_peer(mosquitto.host, mosquitto.port) as device:
            device.publish(f"{topic_prefix}/ha/sensor/meter/config", json.dumps({
                "name": "Meter", "unique_id": "meter", "state_topic": f"{base}/meter/state",
                "json_attributes_topic": attributes}))
            await eventually(lambda: "sensor.meter" in hub.registry)
            await hub.fabric.wait_subscribed()
            device.publish(f"{base}/meter/state", "21.5")
            await eventually(lambda: hub.registry.get("sensor.meter").state.get("state") == 21.5)
            async with ticking() as ticker:
                with memory_growth() as growth:
                    # 10,000 messages of 100 keys each: 1,000,000 distinct keys in all
                    keys = {f"k{{i}}_{j}": j for j in range(100)}
                    await publish_many(mosquitto.host, mosquitto.port, attributes, 10_000,
                                       payload=json.dumps(keys))
                    device.publish(attributes, json.dumps(
                        {f"x{j}": 1 for j in range(MAX_ATTRIBUTE_KEYS + 1)}))
                    device.publish(attributes, json.dumps({"blob": "x" * MAX_ATTRIBUTE_BYTES}))
                    device.publish(attributes, json.dumps({"last": 1, "state": "hijack"}))
                    await eventually(lambda: "last" in hub.registry.get("sensor.meter").state,
                                     timeout=60)
            assert ticker.ticks > 0
            # replaced by each message: the last one's keys, and the sensor's own state
            assert hub.registry.get("sensor.meter").state == {"state": 21.5, "last": 1}
            assert growth.bytes < 2 * MB, f"{growth.bytes} bytes more"
            assert hub.bad_input.counts[attributes] == 2
            await still_serving(hub, "sensor.meter")


async def test_bad_input_reports_its_limits(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    from integrations.mqtt_discovery.entity import MAX_ATTRIBUTE_BYTES, MAX_ATTRIBUTE_KEYS

    base = f"{topic_prefix}/dev"
    attributes = f"{base}/meter/attributes"
    reasons: list[str] = []
    async with Hub(_discovery_config(tmp_path, mosquitto, topic_prefix)) as hub:
        hub.bus.listen(BadInput, lambda e: reasons.append(e.reason))
        with mqtt_peer(mosquitto.host, mosquitto.port) as device:
            device.publish(f"{topic_prefix}/ha/sensor/meter/config", json.dumps({
                "name": "Meter", "state_topic": f"{base}/meter/state",
                "json_attributes_topic": attributes}))
            await eventually(lambda: "sensor.meter" in hub.registry)
            await hub.fabric.wait_subscribed()
            device.publish(attributes, json.dumps({"a": 1, "b": 2}))
            device.publish(attributes, json.dumps(
                {f"x{j}": 1 for j in range(MAX_ATTRIBUTE_KEYS + 1)}))
            blob = json.dumps({"blob": "x" * MAX_ATTRIBUTE_BYTES})
            device.publish(attributes, blob)
            await eventually(lambda: len(reasons) == 2)
            assert reasons == [
                (f"{attributes}: {MAX_ATTRIBUTE_KEYS + 1} JSON attributes are more than the "
                f"limit of {MAX_ATTRIBUTE_KEYS}"),
                (f"{attributes}: JSON attributes of {len(blob)} bytes are over the limit of "
                f"{MAX_ATTRIBUTE_BYTES} bytes"),
            ]
            # what was there stays
            assert hub.registry.get("sensor.meter").state == {"a": 1, "b": 2}
            device.publish(attributes, json.dumps({"b": 3}))
            await eventually(lambda: hub.registry.get("sensor.meter").state == {"b": 3})


async def test_announcements_beyond_max_entities_are_bad_input(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    ha = f"{topic_prefix}/ha"
    config = _discovery_config(tmp_path, mosquitto, topic_prefix, max_entities=50)
    async with Hub(config) as hub:
        announcement = json.dumps({"name": "S{i}", "unique_id": "s{i}",
                                   "state_topic": f"{topic_prefix}/dev/s{{i}}"})
        await publish_many(mosquitto.host, mosquitto.port, f"{ha}/sensor/s{{i}}/config", 200,
                           payload=announcement)
        await publish_many(mosquitto.host, mosquitto.port,
                           f"{ha}/device_automation/b{{i}}/config", 10,
                           payload=json.dumps({"automation_type": "trigger", "topic": "x/{i}",
                                               "type": "press", "subtype": "b{i}",
                                               "device": {"identifiers": ["remote{i}"]}}))
        await eventually(lambda: hub.bad_input.total == 160, timeout=30)
        discovered = [c for c in hub.registry.all() if c.source == "mqtt_discovery"]
        assert len(discovered) == 50
        assert hub.bad_input.counts[f"{ha}/sensor/s199/config"] == 1
        with mqtt_peer(mosquitto.host, mosquitto.port) as device:
            reasons: list[str] = []
            hub.bus.listen(BadInput, lambda e: reasons.append(e.reason))
            device.publish(f"{ha}/sensor/s199/config", announcement.replace("{i}", "199"))
            await eventually(lambda: len(reasons) == 1)
            assert reasons == [(f"{ha}/sensor/s199/config: not added: 50 entities and device "
                               f"triggers is the limit (max_entities in the mqtt_discovery "
                               f"section)")]
            # one goes, another may come
            device.publish(f"{ha}/sensor/s0/config", b"")
            await eventually(lambda: "sensor.s0" not in hub.registry)
            device.publish(f"{ha}/sensor/s199/config", announcement.replace("{i}", "199"))
            await eventually(lambda: "sensor.s199" in hub.registry)
        await still_serving(hub, "sensor.s199")


async def test_device_triggers_of_one_device_are_bounded(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    from integrations.mqtt_discovery.device_trigger import MAX_PER_DEVICE

    ha = f"{topic_prefix}/ha"
    async with Hub(_discovery_config(tmp_path, mosquitto, topic_prefix)) as hub:
        reasons: list[str] = []
        hub.bus.listen(BadInput, lambda e: reasons.append(e.reason))
        await publish_many(mosquitto.host, mosquitto.port,
                           f"{ha}/device_automation/remote/b{{i}}/config", 2000,
                           payload=json.dumps({"automation_type": "trigger", "topic": "x/{i}",
                                               "type": "press", "subtype": "b{i}",
                                               "device": {"identifiers": ["remote"]}}))
        await eventually(lambda: hub.bad_input.total == 2000 - MAX_PER_DEVICE, timeout=30)
        assert len(hub.registry.get("event.remote").triggers) == MAX_PER_DEVICE
        assert reasons[0] == (f"{ha}/device_automation/remote/b{MAX_PER_DEVICE}/config: not "
                              f"added: device remote has {MAX_PER_DEVICE} device triggers, "
                              f"the limit")
        await still_serving(hub, "event.remote")


# -- Zigbee2MQTT: a huge device list, twice ---------------------------------------------------


async def test_a_10_mb_device_list_of_integers_is_read_once_without_holding_the_loop(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="integrations.zigbee2mqtt.bridge")
    base = f"{topic_prefix}/z2m"
    topic = f"{base}/bridge/devices"
    bomb = ("[" + ",".join(["0"] * 5_000_000) + "]").encode()
    assert len(bomb) > 10_000_000
    with fake_zigbee2mqtt(mosquitto, base) as z2m:
        async with Hub(z2m_config(tmp_path, mosquitto, base)) as hub, ticking() as ticker:
            running = {c.id for c in hub.registry.all() if c.source == "zigbee2mqtt"}
            arrived: list[int] = []
            reported: list[int] = []
            hub.fabric.subscribe(topic, lambda m: arrived.append(ticker.ticks))
            hub.bus.listen(BadInput, lambda e: reported.append(ticker.ticks)
                           if e.source == topic else None)
            with memory_growth() as growth:
                z2m.peer.publish(topic, bomb, retain=True)
                await eventually(lambda: len(reported) == 2, timeout=60)
                # the loop turned between the list's arrival and the end of its reading
                assert reported[0] > arrived[0]
                assert hub.bad_input.counts[topic] == 1001  # 1000 entries read, one cut
                # delivered again (as after every reconnect): the same bytes are not re-read
                z2m.peer.publish(topic, bomb, retain=True)
                await eventually(lambda: "zigbee2mqtt device list unchanged" in caplog.text,
                                 timeout=60)
                del bomb
                z2m.peer.publish(topic, b"", retain=True)
            assert len(arrived) == 3 and len(reported) == 2
            assert hub.bad_input.counts[topic] == 1001
            assert growth.bytes < 2 * MB, f"{growth.bytes} bytes more"
            # a broken list removes nothing: every device still runs and answers
            assert {c.id for c in hub.registry.all() if c.source == "zigbee2mqtt"} == running
            await hub.fabric.wait_subscribed()
            await still_serving(hub, "light.kitchen_ceiling", "turn_on", {})
            assert z2m.sent("kitchen_ceiling")[-1] == {"state": "ON"}
            # and a real new list still counts
            z2m.publish_devices([d for d in DEVICES if d["friendly_name"] != "kitchen_ceiling"])
            await eventually(lambda: "light.kitchen_ceiling" not in hub.registry)


async def test_a_large_device_list_of_real_devices_is_read_in_chunks(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    topic = f"{base}/bridge/devices"
    lamp = next(d for d in DEVICES if d["friendly_name"] == "kitchen_ceiling")
    many = []
    for i in range(400):  # about 1 MB: read in a task, chunk by chunk
        device = copy.deepcopy(lamp)
        device["ieee_address"] = f"0x00178801{i:08x}"
        device["friendly_name"] = f"lamp{i}"
        many.append(device)
    with fake_zigbee2mqtt(mosquitto, base, []) as z2m:
        async with Hub(z2m_config(tmp_path, mosquitto, base, max_devices=300)) as hub:
            async with ticking() as ticker:
                arrived: list[int] = []
                hub.fabric.subscribe(topic, lambda m: arrived.append(ticker.ticks))
                z2m.publish_devices(many)
                await eventually(lambda: "light.lamp299" in hub.registry, timeout=30)
                assert ticker.ticks > arrived[0]
            assert hub.bad_input.counts[topic] == 1  # cut at max_devices
            # each lamp is a light and its settings (power-on behaviour...): count the lights
            lamps = [c for c in hub.registry.all()
                     if c.source == "zigbee2mqtt" and c.type == "light"]
            assert len(lamps) == 300
            assert "light.lamp300" not in hub.registry


async def test_a_device_list_over_its_size_limit_is_bad_input(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    topic = f"{base}/bridge/devices"
    reasons: list[str] = []
    with fake_zigbee2mqtt(mosquitto, base) as z2m:
        config = z2m_config(tmp_path, mosquitto, base, max_device_list_bytes=65536)
        async with Hub(config) as hub:
            hub.bus.listen(BadInput, lambda e: reasons.append(e.reason))
            payload = json.dumps(DEVICES + [{"padding": "x" * 65536}])
            z2m.peer.publish(topic, payload, retain=True)
            await eventually(lambda: reasons != [])
            assert reasons == [(f"{topic}: a device list of {len(payload)} bytes is over the "
                               f"limit of 65536 bytes (max_device_list_bytes)")]
            assert "light.kitchen_ceiling" in hub.registry


# -- bad input from 20,000 sources ------------------------------------------------------------


async def test_bad_input_from_20000_sources_logs_a_bounded_number_of_lines(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    from hub.devices.badinput import MAX_SOURCES

    caplog.set_level(logging.WARNING, logger="hub.devices.badinput")
    ha = f"{topic_prefix}/ha"
    async with Hub(_discovery_config(tmp_path, mosquitto, topic_prefix)) as hub:
        with mqtt_peer(mosquitto.host, mosquitto.port) as device:
            device.publish(f"{ha}/sensor/fine/config", json.dumps(
                {"name": "Fine", "state_topic": f"{topic_prefix}/dev/fine"}))
        await eventually(lambda: "sensor.fine" in hub.registry)
        async with ticking() as ticker:
            with memory_growth() as growth:
                await publish_many(mosquitto.host, mosquitto.port, f"{ha}/sensor/bad{{i}}/config",
                                   20_000, payload="{not json")
                await eventually(lambda: hub.bad_input.total == 20_000, timeout=60)
        assert ticker.ticks > 0
        assert len(hub.bad_input.counts) == MAX_SOURCES
        assert hub.bad_input.forgotten == 20_000 - MAX_SOURCES
        # 1000 counted sources (~0.2 MB) and the fabric's read buffer (0.25 MB)
        assert growth.bytes < 3 * MB, f"{growth.bytes} bytes more"
        hub.bad_input.budget.flush()
        # the bad-input log only: the fabric may also say it fell behind during the burst
        lines = [r.getMessage() for r in caplog.records
                 if r.name in ("hub.devices.badinput", "hub.logthrottle")]
        reports = [line for line in lines if line.startswith("bad input source=")]
        summaries = [line for line in lines if line.startswith("suppressed ")]
        assert len(lines) == len(reports) + len(summaries)
        # at most LOG_LINES per interval, and the run took few intervals
        assert 1 <= len(summaries) < 10 and len(reports) <= LOG_LINES * len(summaries)
        assert len(reports) + hub.bad_input.budget.suppressed == 20_000
        assert re.fullmatch(r"suppressed \d+ bad input lines from (at least )?\d+ sources in "
                            r"the last \d+ s \(at most 20 per 10 s\)", summaries[-1])
        await still_serving(hub, "sensor.fine")


# -- out of file descriptors ------------------------------------------------------------------

FD_LIMIT = 96
"""Enough for the hub to start (about 40 descriptors with an external broker), and few
enough that the test's connections use up the rest."""


LIMITED = (
    "import os, resource, sys; "
    "limit = int(sys.argv[1]); resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit)); "
    "os.execv(sys.executable, [sys.executable, '-m', 'hub.cli', *sys.argv[2:]])"
)
"""Runs the command with soft and hard limit of open files both lowered (so the run
command cannot raise the soft one)."""


async def test_out_of_file_descriptors_the_accept_errors_are_logged_a_bounded_number_of_times(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    import os
    import signal
    import socket
    import subprocess
    import sys

    from hub.cli import FLOOD_LINES
    from tests.hubs import write_config

    config_dir = write_config(tmp_path, mqtt={"host": mosquitto.host, "port": mosquitto.port},
                              capabilities=[{"id": "light.lamp", "type": "light",
                                             "name": "Lamp"}])
    port = int(__import__("yaml").safe_load(
        (config_dir / "configuration.yaml").read_text())["http"]["port"])
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "hub.log"
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", LIMITED, str(FD_LIMIT), "run", "--config", str(config_dir),
            stdout=subprocess.DEVNULL, stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    clients: list[socket.socket] = []
    try:
        async with httpx.AsyncClient(base_url=url, timeout=2.0) as http:
            async def answers() -> bool:
                try:
                    return (await http.get("/api/health")).status_code == 200
                except httpx.HTTPError:
                    assert process.returncode is None, log.read_text()
                    return False

            await eventually(answers, timeout=30)
            # more connections than descriptors left: the kernel queues them, the hub
            # cannot accept them (EMFILE) and asyncio logs it for each, every loop turn
            for _ in range(FD_LIMIT * 2):
                clients.append(socket.create_connection(("127.0.0.1", port)))
            await eventually(lambda: "out of system resource" in log.read_text(errors="replace"),
                             timeout=30)
            for client in clients:
                client.close()
            clients.clear()
            await eventually(answers, timeout=30)  # descriptors free again: serving
            token = (tmp_path / "data" / "api_token").read_text().strip()
            called = await http.post("/api/capabilities/light.lamp/tools/get_state", json={},
                                     headers={"Authorization": f"Bearer {token}"})
            assert called.status_code == 200, called.text
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
    errors = text.count("socket.accept() out of system resource")
    summaries = re.findall(r"suppressed (\d+) lines of asyncio and uvicorn from \d+ sources? "
                           r"in the last \d+ s \(at most 20 per 10 s\)", text)
    assert 1 <= errors <= FLOOD_LINES, f"{errors} accept errors logged"
    assert summaries and sum(int(n) for n in summaries) > 0, text[-2000:]
    assert len(text) < 200_000, f"{len(text)} bytes of log"


def test_the_run_command_raises_the_soft_limit_of_open_files_to_the_hard_one() -> None:
    import subprocess
    import sys

    script = (
        "import logging, resource; logging.basicConfig(level=logging.INFO, format='%(message)s')\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))\n"
        "from hub.cli import _raise_open_file_limit\n"
        "_raise_open_file_limit()\n"
        "wanted = hard if hard != resource.RLIM_INFINITY else 1 << 20\n"
        "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0], wanted)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, timeout=30)
    soft, wanted = done.stdout.split()
    assert soft == wanted
    assert done.stderr.strip() == f"open file limit raised from 64 to {wanted}"
