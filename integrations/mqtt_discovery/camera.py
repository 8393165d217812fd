"""Cameras and images that publish pictures on a topic: `get_frame` returns the last one."""

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
    STATE_KEYS = frozenset({"state", "frame_bytes", "frame_time", "content_type", "url"})

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


class Image(Camera):
    """Home Assistant's MQTT `image`: a picture on `image_topic` (raw, or base64 with
    `image_encoding: b64`), returned by `get_frame`; or its address on `url_topic`
    (through `url_template`), kept as the state."""

    domain = "image"

    def configure(self, opts: Options) -> None:
        image_topic = opts.subscribe_topic("image_topic")
        self.url_topic = opts.subscribe_topic("url_topic")
        self.url_template = opts.template("url_template")
        if (image_topic is None) == (self.url_topic is None):
            raise opts.error("image_topic", "give exactly one of image_topic and url_topic")
        self.content_type = opts.text("content_type", "image/jpeg")
        encoding = opts.text("image_encoding", "")
        if encoding not in ("", "b64"):
            raise opts.error("image_encoding", f"expected b64 or nothing, got {encoding!r}")
        self.base64 = encoding == "b64"
        self.topic = image_topic or ""
        self.frame = b""
        self.kind = ""
        self._fresh = asyncio.Event()

    def attributes(self) -> dict[str, Any]:
        return {"image_topic": self.topic or None, "url_topic": self.url_topic,
                "content_type": self.content_type}

    def tools(self) -> tuple[Tool, ...]:
        tools = select_tools(self.domain)
        if self.topic:
            frame = select_tools("camera", ["get_frame"])[0]
            tools = (frame, *tools)
        return tools

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.topic:
            yield self.topic, self._on_image
        if self.url_topic is not None:
            yield self.url_topic, self._on_url

    def _on_url(self, payload: Payload) -> None:
        url = self.value(payload, self.url_template)
        if not url.startswith(("http://", "https://")):
            raise PayloadError(f"{payload.topic}: expected an http(s) URL, got {url[:60]!r}")
        self.update({"state": self.ctx.hub.clock.now().isoformat(timespec="seconds"),
                     "url": url})

    async def run(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool != "get_frame" or not self.topic:
            raise ToolError(f"{self.id}: tool {tool!r} is not supported by this image")
        return await super().run(tool, arguments)
