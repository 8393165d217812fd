"""The demo: simulated devices on real MQTT, read by the hub's real integrations.

Enabled by the default configuration so that `atmosphere run` on a bare machine has
something to show. The devices speak their ecosystems' public conventions, each over its
own MQTT connection, under their own topic prefix (``demo/`` by default):

- a Zigbee2MQTT bridge with a dimmable kitchen light and a hallway motion sensor;
- a living-room temperature sensor announced by Home Assistant MQTT discovery;
- a Frigate NVR with a front-door camera that sees a person now and then.

The hub side is not part of the demo: the demo starts the `zigbee2mqtt`,
`mqtt_discovery` and `frigate` integrations for the demo's topics, exactly as they run
for real devices. Those instances are the demo's own, apart from any `zigbee2mqtt:`,
`mqtt_discovery:` or `frigate:` section of the configuration, which keep reading the
real ecosystems' topics. See docs/integrations/demo.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from hub.events import Event
from integrations import frigate, mqtt_discovery, zigbee2mqtt
from integrations.demo.config import DemoConfig, validate
from integrations.demo.simulation import simulate

if TYPE_CHECKING:
    from hub.runtime import Hub

_LOGGER = logging.getLogger(__name__)

CAMERA_ID = "camera.front_door"
CAPABILITIES = (
    "light.kitchen_light", "binary_sensor.hallway_motion_occupancy",
    "sensor.living_room_temperature", CAMERA_ID,
)
"""What a started demo shows (besides the motion sensor's battery, light and voltage)."""
READY_TIMEOUT = 5.0


def zigbee2mqtt_config(config: DemoConfig) -> zigbee2mqtt.Zigbee2MQTTConfig:
    return zigbee2mqtt.Zigbee2MQTTConfig(base_topic=config.zigbee2mqtt_topic)


def discovery_config(config: DemoConfig) -> mqtt_discovery.Config:
    return mqtt_discovery.Config(discovery_prefix=config.discovery_prefix)


def frigate_config(config: DemoConfig) -> frigate.Config:
    base = frigate.Config()
    camera = frigate.CameraConfig("front_door", CAMERA_ID, "front door", base.filters)
    return frigate.Config(topic_prefix=config.frigate_topic, cameras=(camera,))


@asynccontextmanager
async def setup(hub: Hub, config: DemoConfig) -> AsyncIterator[None]:
    """Enter: the devices run and their capabilities are registered. Exit: the hub side
    withdraws them, then the devices go offline."""
    _withdraw_leftovers(hub)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(simulate(
            hub.fabric.settings, config, hub.clock, f"atmosphere-demo-{hub.identity.node_id}"))
        await stack.enter_async_context(zigbee2mqtt.setup(hub, zigbee2mqtt_config(config)))
        await stack.enter_async_context(mqtt_discovery.setup(hub, discovery_config(config)))
        await stack.enter_async_context(frigate.setup(hub, frigate_config(config)))
        await _wait_ready(hub)
        _LOGGER.info("demo started topic_prefix=%s", config.topic_prefix)
        yield


async def _wait_ready(hub: Hub) -> None:
    """Retained messages arrive just after the subscriptions: wait (a bounded time) until
    every demo capability is there and available, and the camera has its first frame, so
    that a call right after start-up finds them."""
    done = asyncio.Event()

    def missing() -> list[str]:
        lacking = []
        for capability_id in CAPABILITIES:
            capability = hub.registry.find(capability_id)
            if capability is None or not capability.available:
                lacking.append(capability_id)
        camera = hub.registry.find(CAMERA_ID)
        if camera is not None and "snapshot_bytes" not in camera.state:
            lacking.append(f"{CAMERA_ID} (first frame)")
        return lacking

    def check(_event: Event) -> None:
        if not missing():
            done.set()

    cancel = hub.bus.listen(Event, check)
    try:
        if missing():
            async with asyncio.timeout(READY_TIMEOUT):
                await done.wait()
    except TimeoutError:
        _LOGGER.warning("demo devices not all ready after %.0f s missing=%s", READY_TIMEOUT,
                        ",".join(missing()))
    finally:
        cancel()


def _withdraw_leftovers(hub: Hub) -> None:
    """Earlier versions of the demo registered capabilities of their own (source "demo");
    after a crash the registry restores them from its store, where nothing would ever
    remove them."""
    for capability in hub.registry.all():
        if capability.source == "demo":
            hub.registry.remove(capability.id)


__all__ = ["DemoConfig", "setup", "validate"]
