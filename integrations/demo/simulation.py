"""Running the simulated devices: three programs, as they would be in a real home (a
Zigbee2MQTT bridge, a sensor's firmware, a Frigate NVR), each with its own MQTT connection
and its own last will. Nothing here touches the hub: the devices only talk MQTT.

The devices leave retained messages on the broker, as real ones do (device lists, states,
a camera snapshot, their wills). Unlike real ones, they are not the user's: a clean stop
clears every topic they published retained (an empty retained payload), so that the demo
leaves nothing behind on a broker the user shares. After a crash the retained messages stay,
and the next start overwrites them."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Protocol

from hub.clock import Clock
from hub.errors import FabricError
from hub.fabric import Fabric, FabricSettings
from integrations.demo.climate import SimClimateSensor
from integrations.demo.config import DemoConfig
from integrations.demo.nvr import SimFrigate
from integrations.demo.zigbee import SimZigbee2MQTT

_LOGGER = logging.getLogger(__name__)

RESTART_DELAY = 5.0
"""Seconds before a simulated device that failed starts again."""
CLEAR_TIMEOUT = 5.0
"""Seconds a clean stop waits for the broker to take the clearing of each retained topic."""


class RecordingFabric(Fabric):
    """A device's connection that notes every topic it publishes retained."""

    def __init__(self, settings: FabricSettings, *, retained: set[str], will: tuple[str, bytes],
                 birth: tuple[str, bytes], clock: Clock) -> None:
        super().__init__(settings, will=will, birth=birth, clock=clock)
        self.retained = retained
        retained.update((will[0], birth[0]))  # both are retained, by the broker or the fabric

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False) -> None:
        if retain:
            self.retained.add(topic)
        super().publish(topic, payload, qos, retain)


class Simulator(Protocol):
    name: str
    will: tuple[str, bytes]
    """Published by the broker when the connection drops (and by us on a clean exit)."""
    birth: tuple[str, bytes]
    """Published (retained) on every (re)connect."""

    async def start(self, fabric: Fabric) -> None: ...
    async def run(self) -> None: ...
    def stop(self) -> None: ...


def simulators(config: DemoConfig, clock: Clock) -> tuple[Simulator, ...]:
    return (
        SimZigbee2MQTT(config.zigbee2mqtt_topic, config.motion_interval, clock),
        SimClimateSensor(config.discovery_prefix, config.sensor_topic, config.sensor_interval,
                         clock),
        SimFrigate(config.frigate_topic, config.camera_interval, config.person_interval, clock),
    )


@asynccontextmanager
async def simulate(settings: FabricSettings, config: DemoConfig, clock: Clock,
                   client_prefix: str) -> AsyncIterator[tuple[Simulator, ...]]:
    """Enter: every device connected and its retained topics published. Exit: stopped, each
    connection closed with its last will (offline)."""
    sims = simulators(config, clock)
    retained: set[str] = set()
    async with AsyncExitStack() as stack:
        for sim in sims:
            own = dataclasses.replace(settings, client_id=f"{client_prefix}-{sim.name}")
            fabric = await stack.enter_async_context(RecordingFabric(
                own, retained=retained, will=sim.will, birth=sim.birth, clock=clock))
            stack.callback(sim.stop)
            await sim.start(fabric)
        async with asyncio.TaskGroup() as tasks:
            running = [tasks.create_task(_keep_running(sim, clock), name=f"demo.{sim.name}")
                       for sim in sims]
            try:
                yield sims
            finally:
                for task in running:
                    task.cancel()
    # every device is offline and disconnected (its will published): now nothing
    # publishes on these topics any more
    await clear_retained(dataclasses.replace(settings, client_id=f"{client_prefix}-cleanup"),
                         retained, clock)


async def clear_retained(settings: FabricSettings, topics: set[str], clock: Clock) -> None:
    """Publish an empty retained payload on each of `topics`, which deletes the retained
    message there; a broker that cannot be reached is logged, not raised."""
    try:
        async with Fabric(settings, clock=clock) as fabric:
            for topic in sorted(topics):
                await fabric.publish_confirmed(topic, b"", qos=1, retain=True,
                                               timeout=CLEAR_TIMEOUT)
    except FabricError as exc:
        _LOGGER.warning("demo retained messages not cleared broker=%s topics=%d: %s",
                        settings.host, len(topics), exc)
        return
    _LOGGER.debug("demo retained messages cleared topics=%d", len(topics))


async def _keep_running(sim: Simulator, clock: Clock) -> None:
    """A failing device restarts; it never takes the hub down with it."""
    while True:
        try:
            await sim.run()
            return
        except Exception:
            _LOGGER.exception("demo device failed device=%s; restarting in %.0f s", sim.name,
                              RESTART_DELAY)
            await clock.sleep(RESTART_DELAY)
