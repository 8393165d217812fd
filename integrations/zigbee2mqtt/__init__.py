"""Zigbee2MQTT: every device of a Zigbee2MQTT bridge as hub capabilities.

Devices come from the bridge's retained device list and their `definition.exposes`;
state reports update the registry (and fire push triggers: motion, contact, leaks,
remote buttons...); tool calls publish what Zigbee2MQTT expects on ``<name>/set`` and
return when the device reports the asked state. See docs/integrations/zigbee2mqtt.md.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from integrations.zigbee2mqtt.bridge import Bridge
from integrations.zigbee2mqtt.config import DeviceOptions, Zigbee2MQTTConfig, validate

if TYPE_CHECKING:
    from hub.runtime import Hub


@asynccontextmanager
async def setup(hub: Hub, config: Zigbee2MQTTConfig) -> AsyncIterator[None]:
    """Enter: subscribed, and the devices Zigbee2MQTT lists are capabilities.
    Exit: unsubscribed, and every capability of this integration withdrawn."""
    async with Bridge(hub, config):
        yield


__all__ = ["Bridge", "DeviceOptions", "Zigbee2MQTTConfig", "setup", "validate"]
