"""One HTTP camera as a `camera.<name>` capability: `get_frame` fetches a frame on demand,
availability follows the last fetch."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub.domains import standard_tool
from hub.errors import ToolError
from hub.media import JPEG_TYPE, FrameFetcher, mask_url
from hub.model import Capability, Tool, ToolResult
from integrations.camera.config import CameraConfig

if TYPE_CHECKING:
    from hub.runtime import Hub

_LOGGER = logging.getLogger(__name__)


def _tool(name: str, timeout: float | None = None) -> Tool:
    tool = standard_tool("camera", name)
    assert tool is not None, f"hub.domains has no camera tool {name}"
    return tool if timeout is None else dataclasses.replace(tool, timeout=timeout)


class HttpCamera:
    """`handle` serves the capability's tools. A snapshot URL is tried first; when it
    fails and an MJPEG URL is configured too, the stream's next frame is used instead."""

    def __init__(self, hub: Hub, config: CameraConfig, fetcher: FrameFetcher) -> None:
        self.hub = hub
        self.config = config
        self.fetcher = fetcher
        self.sources = tuple(
            (kind, url) for kind, url in (("snapshot", config.snapshot_url),
                                          ("mjpeg", config.mjpeg_url)) if url
        )
        # the call's deadline covers every source the camera may try, plus the RPC itself
        budget = config.fetch.timeout * len(self.sources) + 2.0
        attributes: dict[str, Any] = {"protocol": "http", "content_type": JPEG_TYPE}
        for kind, url in self.sources:
            attributes[f"{kind}_url"] = mask_url(url)
        where = f" in the {config.area}" if config.area else ""
        self.capability = Capability(
            id=config.id, type="camera", name=config.name, area=config.area,
            description=f"{config.name}: an HTTP camera{where}",
            tools=(_tool("get_frame", budget), _tool("get_state")),
            attributes=attributes, source="camera",
        )

    async def handle(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        capability_id = self.capability.id
        if tool == "get_state":
            current = self.hub.registry.get(capability_id)
            return ToolResult(value={"state": dict(current.state), "available": current.available})
        if tool != "get_frame":
            raise ToolError(f"{capability_id}: tool {tool!r} is not supported by this camera")
        errors: list[str] = []
        for kind, url in self.sources:
            try:
                frame = await self.fetcher.frame(url)
            except ToolError as exc:
                errors.append(str(exc))
                continue
            self._fetched(kind, frame)
            return ToolResult(data=frame, content_type=JPEG_TYPE)
        message = "; then ".join(errors)
        self._failed(message)
        raise ToolError(f"{capability_id}: {message}")

    def _fetched(self, kind: str, frame: bytes) -> None:
        registry = self.hub.registry
        registry.set_state(self.capability.id, {
            "state": "idle", "source": kind, "frame_bytes": len(frame),
            "frame_time": round(self.hub.clock.now().timestamp(), 3),
        }, replace=True)
        if registry.set_available(self.capability.id, True):
            _LOGGER.info("camera answers again capability=%s", self.capability.id)

    def _failed(self, message: str) -> None:
        registry = self.hub.registry
        registry.set_state(self.capability.id, {
            "error": message, "error_time": round(self.hub.clock.now().timestamp(), 3),
        })
        if registry.set_available(self.capability.id, False):
            # once per outage: every failed call is already the caller's error
            _LOGGER.warning("camera unavailable capability=%s: %s", self.capability.id, message)


__all__ = ["HttpCamera"]
