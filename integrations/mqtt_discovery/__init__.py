"""Home Assistant MQTT discovery: devices that announce themselves become capabilities.

Devices (ESPHome, Tasmota, Zigbee2MQTT, Shelly, OpenMQTTGateway, home-made ones...) publish
their configuration on ``homeassistant/<component>/.../config``; this integration reads
those announcements, registers a capability per entity with Home Assistant's domain as its
type and its services as tools, keeps its state from the device's topics, and publishes
what Home Assistant would publish when a tool is called. See
docs/integrations/mqtt_discovery.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from hub.templates import Templates
from integrations.mqtt_discovery.config import Config, validate
from integrations.mqtt_discovery.discovery import Discovery
from integrations.mqtt_discovery.entity import Context
from integrations.mqtt_discovery.router import TopicRouter

if TYPE_CHECKING:
    from hub.runtime import Hub


@asynccontextmanager
async def setup(hub: Hub, config: Config) -> AsyncIterator[None]:
    """Listen for announcements while inside; withdraw every discovered capability on exit."""
    ctx = Context(hub, Templates(budget=config.template_budget), TopicRouter(hub.fabric, hub.bad_input), config)
    async with Discovery(ctx):
        yield


__all__ = ["Config", "setup", "validate"]
