"""Simulated devices. They are not part of the hub: each speaks real MQTT over its own
connection, in its ecosystem's public convention, exactly as the real device would.

- a dimmable light and a motion sensor in Zigbee2MQTT style;
- a temperature sensor announced by Home Assistant MQTT discovery;
- a camera that publishes real JPEG snapshots.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hub.fabric import Fabric, Message
from integrations.demo.frames import test_card

_LOGGER = logging.getLogger(__name__)

Publish = Callable[..., None]


@dataclass
class SimLight:
    """A Zigbee2MQTT dimmable, colour-temperature light (`zigbee2mqtt/<name>`)."""

    topic: str
    state: dict[str, Any] = field(
        default_factory=lambda: {"state": "OFF", "brightness": 254, "color_temp": 370,
                                 "color_mode": "color_temp", "linkquality": 120}
    )

    def attach(self, fabric: Fabric) -> None:
        self._fabric = fabric
        fabric.subscribe(f"{self.topic}/set", self._on_set)
        fabric.subscribe(f"{self.topic}/get", lambda _m: self.report())
        fabric.publish(f"{self.topic}/availability", b'{"state":"online"}', qos=1, retain=True)
        self.report()

    def report(self) -> None:
        self._fabric.publish(self.topic, json.dumps(self.state).encode(), qos=0)

    def _on_set(self, message: Message) -> None:
        try:
            command = json.loads(message.payload)
        except ValueError:
            _LOGGER.warning("demo light: ignoring non-JSON command topic=%s", message.topic)
            return
        if not isinstance(command, dict):
            return
        state = command.get("state")
        if isinstance(state, str):
            upper = state.upper()
            if upper == "TOGGLE":
                upper = "OFF" if self.state["state"] == "ON" else "ON"
            if upper in ("ON", "OFF"):
                self.state["state"] = upper
        if isinstance(command.get("brightness"), int):
            self.state["brightness"] = max(0, min(254, command["brightness"]))
            self.state["state"] = "ON" if self.state["brightness"] else "OFF"
        if isinstance(command.get("color_temp"), int):
            self.state["color_temp"] = max(153, min(500, command["color_temp"]))
            self.state["color_mode"] = "color_temp"
        if isinstance(command.get("color"), dict):
            self.state["color"] = command["color"]
            self.state["color_mode"] = "xy" if "x" in command["color"] else "hs"
        self.report()


@dataclass
class SimMotion:
    """A Zigbee2MQTT occupancy sensor; reports motion now and then."""

    topic: str
    interval: float
    rng: random.Random = field(default_factory=random.Random)

    def attach(self, fabric: Fabric) -> None:
        self._fabric = fabric
        fabric.publish(f"{self.topic}/availability", b'{"state":"online"}', qos=1, retain=True)
        self.report(False)

    def report(self, occupancy: bool) -> None:
        payload = {"occupancy": occupancy, "battery": 97, "illuminance_lux": 140,
                   "linkquality": 96}
        self._fabric.publish(self.topic, json.dumps(payload).encode())

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval * self.rng.uniform(0.5, 1.5))
            self.report(True)
            await asyncio.sleep(min(5.0, self.interval / 2))
            self.report(False)


@dataclass
class SimTemperature:
    """A temperature sensor announced by Home Assistant MQTT discovery (abbreviated keys)."""

    discovery_prefix: str
    object_id: str
    name: str
    state_topic: str
    interval: float
    rng: random.Random = field(default_factory=random.Random)
    value: float = 21.0

    @property
    def config_topic(self) -> str:
        return f"{self.discovery_prefix}/sensor/{self.object_id}/temperature/config"

    def discovery(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "uniq_id": f"{self.object_id}_temperature",
            "~": self.state_topic,
            "stat_t": "~/state",
            "avty_t": "~/availability",
            "val_tpl": "{{ value_json.temperature }}",
            "unit_of_meas": "°C",
            "dev_cla": "temperature",
            "stat_cla": "measurement",
            "dev": {"ids": [self.object_id], "name": self.name, "mf": "Atmosphere demo"},
        }

    def attach(self, fabric: Fabric) -> None:
        self._fabric = fabric
        fabric.publish(self.config_topic, json.dumps(self.discovery()).encode(), qos=1,
                       retain=True)
        fabric.publish(f"{self.state_topic}/availability", b"online", qos=1, retain=True)
        # Discovery consumers re-announce after Home Assistant's birth message.
        fabric.subscribe(f"{self.discovery_prefix}/status", self._on_birth)
        self.report()

    def _on_birth(self, message: Message) -> None:
        if message.payload == b"online":
            self._fabric.publish(self.config_topic, json.dumps(self.discovery()).encode(),
                                 qos=1, retain=True)

    def report(self) -> None:
        payload = {"temperature": round(self.value, 1), "humidity": 48}
        # Retained, as many sensors do, so a consumer that subscribes late sees a value.
        self._fabric.publish(f"{self.state_topic}/state", json.dumps(payload).encode(),
                             retain=True)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.value += self.rng.uniform(-0.2, 0.2)
            self.report()


@dataclass
class SimCamera:
    """A camera that publishes a JPEG snapshot periodically and when asked."""

    topic: str
    interval: float
    width: int = 640
    height: int = 360

    def attach(self, fabric: Fabric) -> None:
        self._fabric = fabric
        fabric.subscribe(f"{self.topic}/command", self._on_command)
        fabric.publish(f"{self.topic}/availability", b"online", qos=1, retain=True)

    def _on_command(self, message: Message) -> None:
        if message.payload.strip() == b"snapshot":
            asyncio.get_running_loop().create_task(self.snapshot(), name="demo.camera.snapshot")

    async def snapshot(self) -> None:
        frame = await asyncio.to_thread(test_card, self.width, self.height, datetime.now(UTC))
        self._fabric.publish(f"{self.topic}/snapshot", frame, qos=0, retain=True)

    async def run(self) -> None:
        while True:
            await self.snapshot()
            await asyncio.sleep(self.interval)
