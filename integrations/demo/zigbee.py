"""A simulated Zigbee2MQTT with two devices: what a consumer sees on the broker is what a
real Zigbee2MQTT publishes, so the hub reads it with the real `zigbee2mqtt` integration.

Topics (``B`` is the base topic):

- ``B/bridge/state``: ``{"state":"online"}`` (retained), ``offline`` as the last will;
- ``B/bridge/devices``: the retained device list, coordinator first;
- ``B/<name>/availability``: ``{"state":"online"}`` (retained);
- ``B/<name>``: state reports, retained (Zigbee2MQTT's per-device ``retain: true``
  option), so a consumer that starts later still knows the state;
- ``B/kitchen/light/set`` and ``/get``: answered with the light's new state.
"""

from __future__ import annotations

import json
import logging
import random
from typing import Any

from hub.clock import Cancel, Clock
from hub.errors import PayloadError
from hub.fabric import Fabric, Message
from hub.inputs import load_json
from integrations.demo.devices import SimLight, SimMotion, coordinator_entry

_LOGGER = logging.getLogger(__name__)

_ONLINE = b'{"state":"online"}'
_OFFLINE = b'{"state":"offline"}'
COORDINATOR = "0x00124b00a1c3e500"
OCCUPANCY_TIMEOUT = 5.0
"""Seconds until the sensor reports no occupancy again (Zigbee2MQTT's `occupancy_timeout`
is longer by default; a demo wants to see the next motion soon)."""


class SimZigbee2MQTT:
    """``start(fabric)`` announces the bridge and its devices; ``run()`` makes the
    hallway sensor see motion every `motion_interval` seconds or so."""

    name = "zigbee2mqtt"

    def __init__(self, base_topic: str, motion_interval: float, clock: Clock,
                 rng: random.Random | None = None) -> None:
        self.base = base_topic
        self.clock = clock
        self.interval = motion_interval
        self.rng = rng or random.Random()
        self.light = SimLight()
        self.motion = SimMotion(rng=self.rng)
        self.will = (f"{base_topic}/bridge/state", _OFFLINE)
        self.birth = (f"{base_topic}/bridge/state", _ONLINE)
        self._fabric: Fabric | None = None
        self._timer: Cancel | None = None

    def topic(self, device: SimLight | SimMotion) -> str:
        return f"{self.base}/{device.friendly_name}"

    async def start(self, fabric: Fabric) -> None:
        self._fabric = fabric
        light = self.topic(self.light)
        fabric.subscribe(f"{light}/set", self._on_set)
        fabric.subscribe(f"{light}/get", self._on_get)
        devices = [coordinator_entry(COORDINATOR), self.light.entry(), self.motion.entry()]
        fabric.publish(f"{self.base}/bridge/devices", json.dumps(devices), qos=1, retain=True)
        for device in (self.light, self.motion):
            fabric.publish(f"{self.topic(device)}/availability", _ONLINE, qos=1, retain=True)
            self._report(device, device.report())
        await fabric.wait_subscribed()

    async def run(self) -> None:
        while True:
            await self.clock.sleep(self.interval * self.rng.uniform(0.5, 1.5))
            self._report(self.motion, self.motion.sense(True))
            await self.clock.sleep(min(OCCUPANCY_TIMEOUT, self.interval / 2))
            self._report(self.motion, self.motion.sense(False))

    def stop(self) -> None:
        self._cancel_timer()

    # -- the light's commands ------------------------------------------------------------------

    def _on_set(self, message: Message) -> None:
        try:
            command = load_json(message.payload, message.topic)
        except PayloadError:
            command = None
        if not isinstance(command, dict):
            # Zigbee2MQTT logs such a message and does nothing else
            _LOGGER.debug("demo zigbee2mqtt: not a JSON object topic=%s", message.topic)
            return
        self._cancel_timer()  # a new command ends a timed on, as on a real bulb
        on_time = self.light.apply(command)
        if on_time is not None:
            self._timer = self.clock.call_at(self.clock.monotonic() + on_time, self._timed_off)
        self._report(self.light, self.light.report())

    def _on_get(self, _message: Message) -> None:
        self._report(self.light, self.light.report())

    def _timed_off(self) -> None:
        self._timer = None
        self.light.apply({"state": "OFF"})
        self._report(self.light, self.light.report())

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None

    def _report(self, device: SimLight | SimMotion, state: dict[str, Any]) -> None:
        assert self._fabric is not None
        self._fabric.publish(self.topic(device), json.dumps(state), retain=True)
