"""A simulated Frigate NVR with one camera, ``front_door``, publishing what Frigate
publishes on MQTT (``P`` is its topic prefix):

- ``P/available``: ``online`` (retained), ``offline`` as the last will;
- ``P/front_door/person/snapshot``: a JPEG (retained), a fresh test card every
  `camera_interval` seconds and at each detection (Frigate itself publishes one per
  detection; the refresh keeps the demo's picture moving);
- ``P/front_door/detect/state``: ``ON`` (retained);
- now and then a person at the door: ``P/front_door/motion`` ``ON``, ``P/front_door/person``
  ``1``, ``P/events`` ``new``; seconds later ``end``, ``0`` and ``OFF``.
"""

from __future__ import annotations

import asyncio
import json
import random
import string
from typing import Any

from hub.clock import Clock
from hub.fabric import Fabric
from integrations.demo.frames import test_card

CAMERA = "front_door"
WIDTH, HEIGHT = 640, 360


class SimFrigate:
    """``start(fabric)`` says Frigate is online and publishes the first snapshot; ``run()``
    refreshes the snapshot and brings a person to the door every `person_interval` s
    or so."""

    name = "frigate"

    def __init__(self, topic_prefix: str, camera_interval: float, person_interval: float,
                 clock: Clock, rng: random.Random | None = None) -> None:
        self.prefix = topic_prefix
        self.camera_interval = camera_interval
        self.person_interval = person_interval
        self.clock = clock
        self.rng = rng or random.Random()
        self.camera = f"{topic_prefix}/{CAMERA}"
        self.will = (f"{topic_prefix}/available", b"offline")
        self.birth = (f"{topic_prefix}/available", b"online")
        self._fabric: Fabric | None = None

    async def start(self, fabric: Fabric) -> None:
        self._fabric = fabric
        fabric.publish(f"{self.camera}/detect/state", b"ON", qos=1, retain=True)
        await self._snapshot()

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._refresh(), name="demo.frigate.snapshots")
            tasks.create_task(self._visits(), name="demo.frigate.people")

    def stop(self) -> None:
        """Nothing outlives `run`."""

    async def _refresh(self) -> None:
        while True:
            await self.clock.sleep(self.camera_interval)
            await self._snapshot()

    async def _visits(self) -> None:
        while True:
            await self.clock.sleep(self.person_interval * self.rng.uniform(0.5, 1.5))
            await self.visit(min(8.0, self.person_interval / 2))

    async def visit(self, seconds: float) -> None:
        """A person walks up to the door, stays `seconds`, and leaves."""
        fabric = self._fabric
        assert fabric is not None
        start = self.clock.now().timestamp()
        event = self._tracked(start)
        fabric.publish(f"{self.camera}/motion", b"ON")
        fabric.publish(f"{self.camera}/person", b"1")
        fabric.publish(f"{self.prefix}/events",
                       json.dumps({"type": "new", "before": event, "after": event}), qos=1)
        await self._snapshot()
        await self.clock.sleep(seconds)
        ended = {**event, "end_time": self.clock.now().timestamp(),
                 "frame_time": self.clock.now().timestamp(), "score": 0.71}
        fabric.publish(f"{self.prefix}/events",
                       json.dumps({"type": "end", "before": event, "after": ended}), qos=1)
        fabric.publish(f"{self.camera}/person", b"0")
        fabric.publish(f"{self.camera}/motion", b"OFF")

    def _tracked(self, start: float) -> dict[str, Any]:
        """A tracked object as Frigate describes one in ``events``."""
        suffix = "".join(self.rng.choices(string.ascii_lowercase + string.digits, k=6))
        score = round(self.rng.uniform(0.72, 0.93), 3)
        return {
            "id": f"{start:.6f}-{suffix}", "camera": CAMERA, "frame_time": start,
            "label": "person", "sub_label": None, "score": score, "top_score": score,
            "false_positive": False, "start_time": start, "end_time": None,
            "box": [262, 88, 371, 348], "area": 28340, "ratio": 0.419,
            "region": [160, 40, 480, 360], "current_zones": [], "entered_zones": [],
            "thumbnail": None, "has_snapshot": True, "has_clip": False, "stationary": False,
            "motionless_count": 0, "position_changes": 1, "attributes": {},
            "current_attributes": [],
        }

    async def _snapshot(self) -> None:
        frame = await asyncio.to_thread(test_card, WIDTH, HEIGHT, self.clock.now())
        assert self._fabric is not None
        self._fabric.publish(f"{self.camera}/person/snapshot", frame, qos=1, retain=True)
