"""Cameras that publish images on a topic: `get_frame` returns the last one."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Iterable, Mapping
from typing import Any

from hub.errors import PayloadError, ToolError
from hub.model import Tool, ToolResult
from integrations.mqtt_discovery.entity import Entity, select_tools
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler

_SIGNATURES = ((b"\xff\xd8", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
               (b"GIF8", "image/gif"), (b"RIFF", "image/webp"))


def content_type(image: bytes) -> str | None:
    for signature, kind in _SIGNATURES:
        if image.startswith(signature):
            return kind
    return None


class Camera(Entity):
    domain = "camera"
    STATE_KEYS = frozenset({"state", "frame_bytes", "frame_time", "content_type"})

    def configure(self, opts: Options) -> None:
        self.topic = opts.subscribe_topic("topic", required=True) or ""
        encoding = opts.text("image_encoding", "")
        if encoding not in ("", "b64"):
            raise opts.error("image_encoding", f"expected b64 or nothing, got {encoding!r}")
        self.base64 = encoding == "b64"
        self.frame = b""
        self.kind = ""
        self._fresh = asyncio.Event()

    def attributes(self) -> dict[str, Any]:
        return {"topic": self.topic, "image_encoding": "b64" if self.base64 else None}

    def tools(self) -> tuple[Tool, ...]:
        return select_tools(self.domain, ["get_frame"])

    def inherit(self, previous: Entity) -> None:
        if isinstance(previous, Camera) and previous.frame:
            self.frame, self.kind = previous.frame, previous.kind
            self._fresh.set()

    def payload_limit(self) -> int:
        limit = self.ctx.config.max_image_bytes
        return limit * 4 // 3 + 4 if self.base64 else limit

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        yield self.topic, self._on_image

    def _on_image(self, payload: Payload) -> None:
        image = payload.raw
        if self.base64:
            try:
                image = base64.b64decode(image, validate=True)
            except (binascii.Error, ValueError):
                raise PayloadError(f"{payload.topic}: image is not base64") from None
        kind = content_type(image)
        if kind is None:
            raise PayloadError(f"{payload.topic}: not a JPEG, PNG, GIF or WebP image "
                               f"({len(image)} bytes starting {image[:4]!r})")
        self.frame, self.kind = image, kind
        self.update({"state": "idle", "frame_bytes": len(image), "content_type": kind,
                     "frame_time": self.ctx.hub.clock.now().isoformat(timespec="milliseconds")})
        self._fresh.set()

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool != "get_frame":
            raise ToolError(f"{self.id}: tool {tool!r} is not supported by this camera")
        if not self.frame:
            timeout = self.ctx.config.command_timeout
            try:
                async with asyncio.timeout(timeout):
                    await self._fresh.wait()
            except TimeoutError:
                raise ToolError(f"{self.id}/get_frame: no image arrived on {self.topic} "
                                f"within {timeout:g} s") from None
        return ToolResult(data=self.frame, content_type=self.kind)
