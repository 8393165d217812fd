"""The demo integration: simulated devices on real MQTT, and the capabilities they become.

Enabled by the default configuration so that `atmosphere run` on a bare machine has
something to show: a dimmable kitchen light and a hallway motion sensor (Zigbee2MQTT style),
a living-room temperature sensor (Home Assistant discovery) and a front-door camera that
publishes real JPEG frames.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.config.located import Located
from hub.fabric import Fabric
from integrations.demo.adapters import DiscoveredSensor, SnapshotCamera, Z2MLight, Z2MMotion
from integrations.demo.devices import SimCamera, SimLight, SimMotion, SimTemperature

if TYPE_CHECKING:
    from hub.runtime import Hub


@dataclass(frozen=True, slots=True)
class DemoConfig:
    devices: bool = True
    """Run the simulated devices; false keeps only the hub side (for look-alike devices)."""
    base_topic: str = "zigbee2mqtt"
    discovery_prefix: str = "homeassistant"
    camera_topic: str = "demo/camera/front_door"
    motion_interval: float = 30.0
    sensor_interval: float = 10.0
    camera_interval: float = 5.0


def validate(raw: Located | None) -> DemoConfig:
    """Check the `demo:` section; a bare `demo:` means the defaults."""
    if raw is None or raw.is_null:
        return DemoConfig()
    if not raw.is_mapping:
        raise raw.error(f"expected a mapping of options, got {raw.describe()}")
    fields = {f.name: f for f in dataclasses.fields(DemoConfig)}
    values: dict[str, Any] = {}
    for key, node in raw.items():
        if key not in fields:
            raise node.error(f"unknown option; known: {', '.join(fields)}", at_key=True)
        default, value = fields[key].default, node.value
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise node.error(f"expected true or false, got {node.describe()}")
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise node.error(f"expected a positive number of seconds, got {node.describe()}")
            value = float(value)
        elif not isinstance(value, str) or not value or "#" in value or "+" in value:
            raise node.error(f"expected an MQTT topic without wildcards, got {node.describe()}")
        values[key] = value
    return DemoConfig(**values)


@asynccontextmanager
async def setup(hub: Hub, config: DemoConfig) -> AsyncIterator[None]:
    """Register the demo capabilities and, unless disabled, run the simulated devices."""
    z2m = config.base_topic
    sensor = SimTemperature(config.discovery_prefix, "demo_living_room", "Living room temperature",
                            "demo/living_room/climate", config.sensor_interval)
    hub_side: list[Z2MLight | Z2MMotion | DiscoveredSensor | SnapshotCamera] = [
        Z2MLight(hub, "light.kitchen", f"{z2m}/kitchen_light", "Kitchen light", "kitchen"),
        Z2MMotion(hub, "binary_sensor.hallway_motion", f"{z2m}/hallway_motion",
                  "Hallway motion", "hallway"),
        DiscoveredSensor(hub, sensor.config_topic, "living room"),
        SnapshotCamera(hub, "camera.front_door", config.camera_topic, "Front door camera",
                       "front door", max_age=config.camera_interval * 2),
    ]
    for adapter in hub_side:
        adapter.attach()
    ids = [a.capability.id for a in hub_side if a.capability is not None]
    try:
        if not config.devices:
            yield
            return
        settings = dataclasses.replace(
            hub.fabric.settings, client_id=f"atmosphere-demo-devices-{hub.identity.node_id}"
        )
        light = SimLight(f"{z2m}/kitchen_light")
        motion = SimMotion(f"{z2m}/hallway_motion", config.motion_interval)
        camera = SimCamera(config.camera_topic, config.camera_interval)
        async with Fabric(settings) as devices, asyncio.TaskGroup() as tasks:
            for device in (light, motion, sensor, camera):
                device.attach(devices)
            running = [
                tasks.create_task(motion.run(), name="demo.motion"),
                tasks.create_task(sensor.run(), name="demo.temperature"),
                tasks.create_task(camera.run(), name="demo.camera"),
            ]
            try:
                yield
            finally:
                for task in running:  # the simulators stop with the hub
                    task.cancel()
    finally:
        for capability_id in ids + ["sensor.demo_living_room_temperature"]:
            if hub.registry.find(capability_id) is not None:
                hub.registry.remove(capability_id)
