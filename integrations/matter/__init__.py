"""Matter: the nodes of a Matter server (python-matter-server or matterjs-server, over its
WebSocket API) as hub capabilities, their state on MQTT under ``<base_topic>/<node>/<ep>``.
See docs/integrations/matter.md."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from integrations.matter.bridge import Bridge
from integrations.matter.client import MatterClient, MatterError, SchemaRefused, ServerInfo
from integrations.matter.config import MatterConfig, validate

if TYPE_CHECKING:
    from hub.runtime import Hub


@asynccontextmanager
async def setup(hub: Hub, config: MatterConfig) -> AsyncIterator[None]:
    """Enter: connecting in the background (nodes appear once the server answers).
    Exit: disconnected, and every capability of this integration withdrawn."""
    async with Bridge(hub, config):
        yield


__all__ = ["Bridge", "MatterClient", "MatterConfig", "MatterError", "SchemaRefused",
           "ServerInfo", "setup", "validate"]
