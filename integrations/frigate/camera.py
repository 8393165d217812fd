"""One Frigate camera as a `camera.<name>` capability: its triggers, its state (motion,
object counts, the last detection), the latest snapshot per label, and `get_frame`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from hub.domains import standard_tool
from hub.errors import ToolError
from hub.media import JPEG_TYPE, FrameFetcher
from hub.model import Capability, Tool, ToolResult, Trigger
from integrations.frigate.config import CAMERA_NAME, CameraConfig, Config, TriggerSpec, spoken
from integrations.frigate.snapshots import SnapshotStore

if TYPE_CHECKING:
    from hub.runtime import Hub

_EVENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MAX_STATE_KEYS = 64
"""State keys a camera takes from count and switch topics (``<label>_count``,
``<feature>``...), whose second level Frigate's model and version decide; a topic that
would add one more is ignored and counted in `FrigateCamera.dropped_keys`."""

_OBJECT_PAYLOAD = MappingProxyType({
    "type": "object",
    "properties": MappingProxyType({
        "event_id": {"type": "string", "description": "Frigate's id of the tracked object."},
        "camera": {"type": "string"},
        "label": {"type": "string", "description": "What was detected: person, car..."},
        "sub_label": {"type": ["string", "null"]},
        "score": {"type": ["number", "null"]},
        "top_score": {"type": ["number", "null"]},
        "zones": {"type": "array", "items": {"type": "string"},
                  "description": "Zones the object is in now."},
        "entered_zones": {"type": "array", "items": {"type": "string"}},
        "zone": {"type": "string", "description": "The zone just entered (zone triggers)."},
        "has_snapshot": {"type": "boolean"},
        "has_clip": {"type": "boolean"},
    }),
})
_REVIEW_PAYLOAD = MappingProxyType({
    "type": "object",
    "properties": MappingProxyType({
        "review_id": {"type": "string"},
        "camera": {"type": "string"},
        "severity": {"type": "string", "enum": ["alert", "detection"]},
        "objects": {"type": "array", "items": {"type": "string"}},
        "zones": {"type": "array", "items": {"type": "string"}},
        "sub_labels": {"type": "array", "items": {"type": "string"}},
        "detections": {"type": "array", "items": {"type": "string"},
                       "description": "Event ids of the tracked objects in the review."},
    }),
})


_MOTION_PAYLOAD: Mapping[str, Any] = MappingProxyType({
    "type": "object",
    "properties": MappingProxyType({"camera": {"type": "string"}}),
})
_AUDIO_PAYLOAD: Mapping[str, Any] = MappingProxyType({
    "type": "object",
    "properties": MappingProxyType({
        "camera": {"type": "string"},
        "audio": {"type": "string", "description": "What Frigate heard: speech, bark..."},
    }),
})


def _trigger(name: str, description: str, spec: TriggerSpec,
             payload: Mapping[str, Any]) -> Trigger:
    return Trigger(name=name, description=description, intent=spec.intent, payload=payload,
                   priority=spec.priority, throttle=spec.throttle)


def _get_frame(timeout: float) -> Tool:
    base = standard_tool("camera", "get_frame")
    assert base is not None
    return Tool(
        name="get_frame",
        description=(
            "Take the current picture from the camera (a JPEG image). With label: the "
            "latest snapshot of that kind of object; with event_id: the snapshot of that "
            "tracked object (from a trigger's payload)."
        ),
        parameters=MappingProxyType({
            "type": "object",
            "properties": MappingProxyType({
                "label": {"type": "string", "minLength": 1, "maxLength": 64,
                          "description": "An object label, e.g. person or car."},
                "event_id": {"type": "string", "minLength": 1, "maxLength": 64,
                             "description": "Frigate's id of a tracked object."},
            }),
            "additionalProperties": False,
        }),
        result=base.result,
        timeout=timeout,
    )


class FrigateCamera:
    """The hub side of one Frigate camera. `handle` serves its tools."""

    def __init__(self, hub: Hub, config: Config, camera: CameraConfig,
                 fetcher: FrameFetcher | None, snapshots: SnapshotStore, *,
                 available: bool) -> None:
        self.hub = hub
        self.name = camera.name
        self.config = camera
        self.filters = camera.filters
        self.labels = frozenset(camera.filters.labels)
        self.zones = frozenset(camera.filters.zones)
        self._prefix = config.topic_prefix
        self._url = config.url
        self._fetcher = fetcher
        self._snapshots = snapshots
        self._latest_label: str | None = None
        self._keys: set[str] = set()
        self.dropped_keys = 0
        triggers = config.triggers
        self.detected: dict[str, Trigger] = {}
        self.in_zone: dict[str, Trigger] = {}
        for label in self.filters.labels:
            what = spoken(label)
            if triggers["detected"].enabled:
                self.detected[label] = _trigger(
                    f"{label}_detected", f"A {what} is detected at the {camera.area}",
                    triggers["detected"], _OBJECT_PAYLOAD)
            if triggers["zone"].enabled:
                self.in_zone[label] = _trigger(
                    f"{label}_in_zone", f"A {what} enters a zone of the {camera.area}",
                    triggers["zone"], _OBJECT_PAYLOAD)
        self.reviews: dict[str, Trigger] = {
            severity: _trigger(f"review_{severity}",
                               f"Frigate opens a review {severity} at the {camera.area}",
                               triggers[f"review_{severity}"], _REVIEW_PAYLOAD)
            for severity in ("alert", "detection") if triggers[f"review_{severity}"].enabled
        }
        self.motion: Trigger | None = None
        if triggers["motion"].enabled:
            self.motion = _trigger("motion_detected",
                                   f"Frigate sees motion at the {camera.area}",
                                   triggers["motion"], _MOTION_PAYLOAD)
        self.audio: Trigger | None = None
        if triggers["audio"].enabled:
            self.audio = _trigger("audio_detected",
                                  f"Frigate hears a sound it knows (speech, a bark...) at the "
                                  f"{camera.area}", triggers["audio"], _AUDIO_PAYLOAD)
        extra = tuple(t for t in (self.motion, self.audio) if t is not None)
        timeout = config.fetch.timeout + 2.0  # Frigate's answer, plus the RPC itself
        self.capability = Capability(
            id=camera.id, type="camera", name=spoken(camera.name).capitalize(), area=camera.area,
            description=f"Frigate camera '{camera.name}' watching the {camera.area}",
            tools=(_get_frame(timeout), _get_state()),
            triggers=(*self.detected.values(), *self.in_zone.values(), *self.reviews.values(),
                      *extra),
            attributes={"protocol": "frigate", "frigate_camera": camera.name,
                        "topic_prefix": config.topic_prefix, "labels": list(self.filters.labels),
                        "content_type": JPEG_TYPE},
            state={"state": "idle"}, available=available, source="frigate",
        )

    @property
    def id(self) -> str:
        return self.capability.id

    # -- snapshots -------------------------------------------------------------------------

    def keeps(self, key: str) -> bool:
        """Whether state key `key` (from a count or switch topic) is kept: those already
        seen, and new ones while the camera has fewer than `MAX_STATE_KEYS`."""
        if key in self._keys:
            return True
        if len(self._keys) >= MAX_STATE_KEYS:
            self.dropped_keys += 1
            return False
        self._keys.add(key)
        return True

    def snapshot(self, label: str, frame: bytes) -> None:
        """A JPEG (already checked) from ``<prefix>/<camera>/<label>/snapshot`` of one of
        the camera's labels."""
        self._snapshots.put(self.name, label, frame)
        self._latest_label = label
        self.hub.registry.set_state(self.id, {
            "snapshot_label": label, "snapshot_bytes": len(frame),
            "snapshot_time": round(self.hub.clock.now().timestamp(), 3),
        })

    def clear_snapshot(self, label: str) -> None:
        """An empty retained message deleted the snapshot of `label`."""
        self._snapshots.remove(self.name, label)
        if self._latest_label == label:
            self._latest_label = None

    def latest(self) -> bytes | None:
        """The snapshot received last, or, when that one was deleted or evicted, the one
        used most recently."""
        if self._latest_label is not None:
            frame = self._snapshots.get(self.name, self._latest_label)
            if frame is not None:
                return frame
        labels = self._snapshots.labels(self.name)
        return self._snapshots.get(self.name, labels[-1]) if labels else None

    # -- tools -----------------------------------------------------------------------------

    async def handle(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool == "get_state":
            current = self.hub.registry.get(self.id)
            return ToolResult(value={"state": dict(current.state), "available": current.available})
        if tool != "get_frame":
            raise ToolError(f"{self.id}: tool {tool!r} is not supported by this camera")
        event_id = arguments.get("event_id")
        label = arguments.get("label")
        if event_id is not None:
            if not _EVENT_ID.match(event_id):
                raise ToolError(f"{self.id}: event_id {event_id!r} is not a Frigate event id "
                                f"(like 1607123955.475377-mxklsc)")
            return await self._http(f"/api/events/{event_id}/snapshot.jpg",
                                    "an event's snapshot")
        if label is not None:
            if not CAMERA_NAME.match(label):
                raise ToolError(f"{self.id}: label {label!r} is not a Frigate label")
            frame = self._snapshots.get(self.name, label)
            if frame is not None:
                return ToolResult(data=frame, content_type=JPEG_TYPE)
            if self._url is not None:
                return await self._http(f"/api/{self.name}/{label}/snapshot.jpg", "")
            if label not in self.labels:
                raise ToolError(
                    f"{self.id}: snapshots are kept for the camera's labels only "
                    f"({', '.join(self.filters.labels) or 'none'}), not {label}: add it to "
                    f"labels: in the frigate section, or set url: to fetch it from Frigate")
            known = ", ".join(sorted(self._snapshots.labels(self.name))) or "none yet"
            raise ToolError(
                f"{self.id}: no {label} snapshot on {self._prefix}/{self.name}/{label}/snapshot "
                f"yet (snapshots of: {known})"
            )
        if self._url is not None:
            return await self._http(f"/api/{self.name}/latest.jpg", "")
        latest = self.latest()
        if latest is not None:
            return ToolResult(data=latest, content_type=JPEG_TYPE)
        raise ToolError(
            f"{self.id}: no snapshot on {self._prefix}/{self.name}/+/snapshot yet: Frigate "
            f"publishes one when it detects an object. Set url: in the frigate section to "
            f"take the live frame from Frigate's HTTP API instead."
        )

    async def _http(self, path: str, what: str) -> ToolResult:
        if self._fetcher is None or self._url is None:
            raise ToolError(f"{self.id}: {what} needs Frigate's HTTP API: set url: in the "
                            f"frigate section (like http://frigate.local:5000)")
        try:
            frame = await self._fetcher.frame(self._url + path)
        except ToolError as exc:
            raise ToolError(f"{self.id}: {exc}") from exc
        return ToolResult(data=frame, content_type=JPEG_TYPE)


def _get_state() -> Tool:
    tool = standard_tool("camera", "get_state")
    assert tool is not None
    return tool


__all__ = ["FrigateCamera"]
