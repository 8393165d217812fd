"""Generic HTTP cameras: a snapshot URL and/or an MJPEG stream become `camera.<name>`
capabilities whose `get_frame` returns a JPEG. See docs/integrations/camera.md."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from hub.media import FrameFetcher
from integrations.camera.config import CameraConfig, Config, validate
from integrations.camera.device import HttpCamera

if TYPE_CHECKING:
    from hub.runtime import Hub

_LOGGER = logging.getLogger(__name__)


@asynccontextmanager
async def setup(hub: Hub, config: Config) -> AsyncIterator[None]:
    """Register one capability per camera (each with its own HTTP client); withdraw them
    and close the clients on exit."""
    registered: list[str] = []
    async with AsyncExitStack() as stack:
        try:
            for camera_config in config.cameras:
                fetcher = await stack.enter_async_context(FrameFetcher(camera_config.fetch))
                camera = HttpCamera(hub, camera_config, fetcher)
                hub.registry.add(camera.capability, camera.handle)
                registered.append(camera.capability.id)
            _LOGGER.info("camera integration started cameras=%d", len(registered))
            yield
        finally:
            for capability_id in registered:
                hub.registry.remove(capability_id)


__all__ = ["CameraConfig", "Config", "HttpCamera", "setup", "validate"]
