"""Overload: a flood from the broker, faster than the hub can handle, must not starve the
event loop. The fabric reads in bounded slices and yields between them; what it cannot
keep up with waits in TCP (and the broker sheds QoS 0 past its queue), counted."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from hub.clock import ManualClock
from hub.fabric import Fabric, FabricSettings, Message
from hub.fabric.loop import READ_SLICE_PACKETS
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.firehose import flooding, publish_packet
from tests.hubs import hub_config
from tests.mqtt import mqtt_peer
from tests.test_web_api import asgi_client
from tests.waiting import eventually
from web import create_app

DATA = Path(__file__).parent / "data" / "zigbee2mqtt"


async def test_a_flood_is_read_in_slices_that_leave_the_loop_turns(
    mosquitto: Mosquitto, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    loop = asyncio.get_running_loop()
    clock = ManualClock()
    handled = 0

    def on_message(message: Message) -> None:
        nonlocal handled
        handled += 1
        for _ in range(10):  # work per message, as an integration does: slower than the flood
            json.loads(message.payload)

    marks: list[int] = []  # messages handled when each turn of the loop came
    ticking = True

    def tick() -> None:
        marks.append(handled)
        clock.advance(0.05)  # each turn of the loop "takes" 50 ms
        if ticking:
            loop.call_soon(tick)

    total = 30_000
    packets = [
        publish_packet(f"{topic_prefix}/flood/{i % 50}", b'{"n":%d,"pad":"%s"}' % (i, b"x" * 40))
        for i in range(1000)
    ]
    settings = FabricSettings(host=mosquitto.host, port=mosquitto.port)
    async with Fabric(settings, clock=clock) as fabric:
        fabric.subscribe(f"{topic_prefix}/flood/#", on_message)
        await fabric.wait_subscribed()
        tick()
        with flooding(mosquitto.host, mosquitto.port, packets, total=total, batch=1000):
            await eventually(lambda: handled >= total, timeout=60)
        ticking = False
        counters = fabric.counters
    gaps = [b - a for a, b in itertools.pairwise(marks)]
    # Between two turns of the loop the fabric handled one slice at most: the other
    # callbacks (timers, HTTP, the registry's flush) ran all along, not after the flood.
    assert max(gaps) <= READ_SLICE_PACKETS, max(gaps)
    assert len(marks) > total // READ_SLICE_PACKETS
    assert counters.received >= total
    assert counters.behind > 0  # the hub saw itself behind the broker, and counted it
    warnings = [r.getMessage() for r in caplog.records if "behind the broker" in r.getMessage()]
    assert warnings  # behind for a while: said so (rate-limited, at most once per 10 s)
    assert re.fullmatch(
        rf"fabric is behind the broker for \d+\.\d s: more arrives than the subscribers handle"
        rf" broker={mosquitto.host}:{mosquitto.port} waiting_bytes=\d+ behind=\d+ received=\d+",
        warnings[0],
    ), warnings[0]


def _kitchen_light(base: str, brightness: int) -> bytes:
    return publish_packet(
        f"{base}/kitchen_ceiling", b'{"state":"ON","brightness":%d,"linkquality":99}' % brightness
    )


def _persisted_state(db: Path, capability_id: str) -> dict[str, Any] | None:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT json FROM states WHERE id = ?", (capability_id,)).fetchone()
    return json.loads(row[0]) if row else None


async def test_a_hub_entered_during_a_flood_starts_answers_and_flushes(
    mosquitto: Mosquitto, topic_prefix: str, tmp_path: Path
) -> None:
    base = f"{topic_prefix}/z2m"
    devices = json.loads((DATA / "bridge_devices.json").read_text())
    with mqtt_peer(mosquitto.host, mosquitto.port) as zigbee2mqtt:
        zigbee2mqtt.publish(f"{base}/bridge/devices", json.dumps(devices), retain=True)
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        integrations={"zigbee2mqtt": {"base_topic": base}})
    packets = [_kitchen_light(base, b) for b in range(1, 255)]
    with flooding(mosquitto.host, mosquitto.port, packets, batch=1000) as flood:
        await eventually(lambda: flood.sent > 50_000, timeout=30)
        async with Hub(config) as hub:  # started while the flood runs
            async with asgi_client(create_app(hub)) as http:
                health = await http.get("/api/health")
            assert health.status_code == 200
            fabric = health.json()["fabric"]  # what a monitor sees of the load
            assert fabric["received"] > 0 and fabric["behind"] >= 0, fabric
            assert set(fabric) == {"received", "dropped", "behind", "input_waiting_bytes",
                                   "reconnects", "callback_errors"}
            result = await hub.call("light.kitchen_ceiling", "get_state", {})
            assert result.value["state"]["state"] == "on"  # type: ignore[index]
            flushes = hub.registry.flushes
            await eventually(lambda: hub.registry.flushes > flushes, timeout=30)
            state = _persisted_state(tmp_path / "data" / "hub.db", "light.kitchen_ceiling")
            assert state is not None and state["state"] == "on", state
            behind = hub.fabric.counters.behind
            running = flood.running
        assert running  # all of the above happened while the flood went on
    assert behind > 0
