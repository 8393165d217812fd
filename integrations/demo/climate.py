"""A simulated temperature sensor that announces itself through Home Assistant's MQTT
discovery, the way ESPHome or Tasmota firmware does: a retained configuration with
abbreviated keys and a ``~`` base topic, a retained JSON state, and an availability topic
with ``offline`` as the last will. It announces again when it hears the consumer's birth
message (``<prefix>/status`` ``online``)."""

from __future__ import annotations

import json
import random
from typing import Any

from hub.clock import Clock
from hub.fabric import Fabric, Message

UNIQUE_ID = "atmosphere_demo_living_room_temperature"


class SimClimateSensor:
    """``start(fabric)`` announces the sensor; ``run()`` reports every `interval` s."""

    name = "climate"

    def __init__(self, discovery_prefix: str, base_topic: str, interval: float, clock: Clock,
                 rng: random.Random | None = None) -> None:
        self.prefix = discovery_prefix
        self.base = base_topic
        self.interval = interval
        self.clock = clock
        self.rng = rng or random.Random()
        self.value = 21.0
        self.config_topic = f"{discovery_prefix}/sensor/atmosphere_demo_living_room/temperature/config"
        self.will = (f"{base_topic}/availability", b"offline")
        self.birth = (f"{base_topic}/availability", b"online")
        self._fabric: Fabric | None = None

    def announcement(self) -> dict[str, Any]:
        return {
            "name": "Temperature",
            "uniq_id": UNIQUE_ID,
            "def_ent_id": "sensor.living_room_temperature",
            "~": self.base,
            "stat_t": "~/state",
            "avty_t": "~/availability",
            "val_tpl": "{{ value_json.temperature }}",
            "unit_of_meas": "°C",
            "dev_cla": "temperature",
            "stat_cla": "measurement",
            "dev": {"ids": ["atmosphere_demo_living_room"], "name": "Living room climate",
                    "mf": "Atmosphere", "mdl": "Demo climate sensor", "sw": "1.0",
                    "sa": "living room"},
            "o": {"name": "Atmosphere demo", "sw": "1.0"},
        }

    async def start(self, fabric: Fabric) -> None:
        self._fabric = fabric
        fabric.subscribe(f"{self.prefix}/status", self._on_birth)
        self._announce()
        self._report()
        await fabric.wait_subscribed()

    async def run(self) -> None:
        while True:
            await self.clock.sleep(self.interval)
            self.value = max(15.0, min(28.0, self.value + self.rng.uniform(-0.2, 0.2)))
            self._report()

    def stop(self) -> None:
        """Nothing outlives `run`."""

    def _on_birth(self, message: Message) -> None:
        if message.payload.strip() == b"online":
            self._announce()

    def _announce(self) -> None:
        assert self._fabric is not None
        self._fabric.publish(self.config_topic, json.dumps(self.announcement()), qos=1,
                             retain=True)

    def _report(self) -> None:
        assert self._fabric is not None
        payload = {"temperature": round(self.value, 1), "humidity": 48}
        self._fabric.publish(f"{self.base}/state", json.dumps(payload), retain=True)
