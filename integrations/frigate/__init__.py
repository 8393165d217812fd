"""Frigate NVR: its cameras become `camera.<name>` capabilities, its tracked objects and
review items become push triggers ("person detected at front door"), its snapshots and
HTTP API serve `camera.get_frame`. See docs/integrations/frigate.md."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from hub.media import FrameFetcher, mask_url
from integrations.frigate.bridge import FrigateBridge
from integrations.frigate.camera import FrigateCamera
from integrations.frigate.config import CameraConfig, Config, Filters, TriggerSpec, validate
from integrations.frigate.login import FrigateLogin

if TYPE_CHECKING:
    from hub.runtime import Hub

_LOGGER = logging.getLogger(__name__)


@asynccontextmanager
async def setup(hub: Hub, config: Config) -> AsyncIterator[None]:
    """Register the configured cameras and follow Frigate's topics; on exit, unsubscribe,
    withdraw every Frigate camera (configured or discovered) and close the HTTP client."""
    async with AsyncExitStack() as stack:
        fetcher = None
        if config.url is not None:
            login = None
            if config.username is not None and config.password is not None:
                login = FrigateLogin(config.url, config.username, config.password)
            fetcher = await stack.enter_async_context(FrameFetcher(config.fetch, login))
        bridge = FrigateBridge(hub, config, fetcher)
        bridge.start()
        stack.callback(bridge.stop)
        _LOGGER.info("frigate integration started prefix=%s cameras=%d url=%s discover=%s",
                     config.topic_prefix, len(config.cameras),
                     mask_url(config.url) if config.url else "none", config.discover)
        yield


__all__ = ["CameraConfig", "Config", "Filters", "FrigateBridge", "FrigateCamera", "TriggerSpec",
           "setup", "validate"]
