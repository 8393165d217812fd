"""Frigate's MQTT topics to capabilities, state and triggers.

Subscriptions (``P`` is the topic prefix): ``P/available``, ``P/events``, ``P/reviews``,
``P/+/+`` (object counts, motion) and ``P/+/+/+`` (snapshots, active counts, switch
states). Every callback parses its message once, never raises, and reports bad input
under the camera's capability id when the camera is known, else under the topic.

Cameras are the configured ones, plus (with ``discover``) every name that only a camera
can have: ``after.camera`` of events and reviews, and the first level of ``P/<camera>/
motion``, ``P/<camera>/<label>/snapshot`` and ``P/<camera>/<feature>/state``. Count topics
(``P/<name>/<label>``) never add a camera, because Frigate publishes zone counts on the
same pattern.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from hub.errors import PayloadError
from hub.fabric import Cancel, Message
from hub.media import FrameFetcher, jpeg_problem
from integrations.frigate.camera import FrigateCamera
from integrations.frigate.config import CAMERA_NAME, Config, spoken
from integrations.frigate.messages import (
    ObjectEvent,
    Review,
    TrackedObject,
    UnknownType,
    camera_of,
    parse_event,
    parse_json,
    parse_review,
)
from integrations.frigate.snapshots import SnapshotStore

if TYPE_CHECKING:
    from hub.runtime import Hub

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")

_MAX_TRACKED = 10_000
"""Tracked objects and reviews remembered until their ``end``; the oldest go first when
``end`` messages were lost."""
_MAX_ZONES = 32
"""Zones remembered per tracked object (Frigate cameras have a handful); zones beyond
fire nothing and are counted in `FrigateBridge.dropped_zones`."""
_MAX_REFUSED = 1000
"""Camera names remembered as refused (so that each is reported once); past that, each
message naming another one is reported again."""
_ON_OFF = {b"ON": "on", b"OFF": "off"}


@dataclass(slots=True)
class _Seen:
    """What has fired already for one tracked object (Frigate sends many updates)."""

    detected: bool = False
    zones: set[str] = field(default_factory=set)


class FrigateBridge:
    """``start()`` registers the configured cameras and subscribes; ``stop()`` undoes both."""

    def __init__(self, hub: Hub, config: Config, fetcher: FrameFetcher | None) -> None:
        self.hub = hub
        self.config = config
        self._fetcher = fetcher
        self._prefix = config.topic_prefix
        self._skip = len(config.topic_prefix) + 1
        self.cameras: dict[str, FrigateCamera] = {}
        self.online = False
        self._objects: OrderedDict[str, _Seen] = OrderedDict()
        self._reviews: OrderedDict[str, set[str]] = OrderedDict()
        self._cancels: list[Cancel] = []
        self._refused: set[str] = set()
        self.snapshots = SnapshotStore(config.max_snapshots, config.max_snapshot_bytes)
        self.ignored_snapshots = 0
        self.dropped_zones = 0
        """Snapshots of labels no camera here has (Frigate publishes one per label its
        model detects): not kept."""

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        for camera in self.config.cameras:
            self._add(camera.name)
        p, subscribe = self._prefix, self.hub.fabric.subscribe
        self._cancels = [
            subscribe(f"{p}/available", self._on_available),
            subscribe(f"{p}/events", self._on_event),
            subscribe(f"{p}/reviews", self._on_review),
            subscribe(f"{p}/+/+", self._on_camera_topic),
            subscribe(f"{p}/+/+/+", self._on_camera_subtopic),
        ]

    def stop(self) -> None:
        for cancel in self._cancels:
            cancel()
        self._cancels = []
        for camera in self.cameras.values():
            self.hub.registry.remove(camera.id)
            self.snapshots.drop_camera(camera.name)
        self.cameras.clear()

    # -- cameras -------------------------------------------------------------------------

    def _add(self, name: str) -> FrigateCamera | None:
        config = self.config.camera_for(name)
        existing = self.hub.registry.find(config.id)
        # taken by another integration, or by a Frigate name with the same slug (side-gate
        # and side_gate): the first one keeps it
        owner = next((c.name for c in self.cameras.values() if c.id == config.id), None)
        if existing is not None and (existing.source != "frigate" or owner is not None):
            if name not in self._refused:
                self._refuse(name)
                who = f"Frigate camera '{owner}'" if owner else existing.source or "another source"
                _LOGGER.warning(
                    "frigate camera not added camera=%s: capability %s is already registered "
                    "by %s; give the camera an id: in the frigate section", name, config.id, who)
            return None
        camera = FrigateCamera(self.hub, self.config, config, self._fetcher, self.snapshots,
                               available=self.online)
        self.hub.registry.add(camera.capability, camera.handle)
        self.cameras[name] = camera
        return camera

    def _camera(self, name: str, source: str, *, discover: bool) -> FrigateCamera | None:
        """The camera `name`, added now if discovery allows; None to ignore the message."""
        camera = self.cameras.get(name)
        if camera is not None or not discover or not self.config.discover:
            return camera
        if name in self._refused or not CAMERA_NAME.match(name):
            return None
        if len(self.cameras) >= self.config.max_cameras:
            self._refuse(name)
            self.hub.bad_input.report(source, (
                f"{source}: camera '{name}' not added: {len(self.cameras)} cameras is the "
                f"limit (max_cameras); list the cameras under cameras: or raise max_cameras"))
            return None
        _LOGGER.info("frigate camera discovered camera=%s from=%s", name, source)
        return self._add(name)

    def _refuse(self, name: str) -> None:
        if len(self._refused) < _MAX_REFUSED:
            self._refused.add(name)

    def _bad(self, camera: FrigateCamera | None, topic: str, problem: str) -> None:
        self.hub.bad_input.report(camera.id if camera is not None else topic, problem)

    # -- callbacks -----------------------------------------------------------------------

    def _on_available(self, message: Message) -> None:
        payload = message.payload.strip()
        if not payload:
            return  # the retained status was deleted: nothing is said about Frigate
        if payload not in (b"online", b"offline"):
            self.hub.bad_input.report(message.topic, (
                f"{message.topic}: expected 'online' or 'offline', got {payload[:40]!r}"))
            return
        online = payload == b"online"
        if online != self.online:
            _LOGGER.info("frigate %s prefix=%s", "online" if online else "offline", self._prefix)
        self.online = online
        for camera in self.cameras.values():
            self.hub.registry.set_available(camera.id, online)

    def _on_event(self, message: Message) -> None:
        event = self._parsed(message, parse_event)
        if event is not None:
            camera = self._camera(event.after.camera, message.topic, discover=True)
            if camera is not None:
                self._object(camera, event)

    def _on_review(self, message: Message) -> None:
        review = self._parsed(message, parse_review)
        if review is not None:
            camera = self._camera(review.camera, message.topic, discover=True)
            if camera is not None:
                self._review(camera, review)

    def _parsed(self, message: Message, parse: Callable[[str, Any], T]) -> T | None:
        """`parse` of the JSON payload, or None with the bad input reported against the
        camera it names (when it names one)."""
        data = None
        try:
            data = parse_json(message.topic, message.payload)
            return parse(message.topic, data)
        except UnknownType as exc:
            _LOGGER.debug("%s", exc)
            return None
        except PayloadError as exc:
            name = camera_of(data) if data is not None else None
            self._bad(self.cameras.get(name) if name else None, message.topic, str(exc))
            return None

    def _on_camera_topic(self, message: Message) -> None:
        """``P/<camera>/motion`` (ON/OFF) or ``P/<camera or zone>/<label>`` (a count)."""
        name, _, what = message.topic[self._skip :].partition("/")
        payload = message.payload.strip()
        if not payload or not what:
            return  # an empty retained message is a deletion, not a value
        if what == "motion":
            camera = self._camera(name, message.topic, discover=True)
            if camera is None:
                return
            state = _ON_OFF.get(payload)
            if state is None:
                self._bad(camera, message.topic,
                          f"{message.topic}: expected ON or OFF, got {payload[:40]!r}")
                return
            before = self.hub.registry.get(camera.id).state.get("motion")
            self.hub.registry.set_state(camera.id, {"motion": state})
            if (state == "on" and before != "on" and not message.retain
                    and camera.motion is not None):
                self.hub.firing.fire(camera.id, camera.motion, {"camera": camera.name},
                                     camera=spoken(camera.name), area=camera.config.area)
            return
        camera = self.cameras.get(name)  # zones publish counts too: never discover here
        if camera is not None:
            self._count(camera, message.topic, f"{what}_count", what, payload)

    def _on_camera_subtopic(self, message: Message) -> None:
        """``P/<camera>/<label>/snapshot``, ``P/<camera>/<label>/active`` and
        ``P/<camera>/<feature>/state``; anything else (commands, audio levels) is not ours."""
        name, what, kind = message.topic[self._skip :].split("/")
        if not message.payload.strip() and kind != "snapshot":
            return  # an empty retained message is a deletion, not a value
        if kind == "snapshot":
            camera = self._camera(name, message.topic, discover=True)
            if camera is not None:
                self._snapshot(camera, message, what)
        elif kind == "active":
            camera = self.cameras.get(name)
            if camera is not None:
                self._count(camera, message.topic, f"{what}_active_count", what,
                            message.payload.strip())
        elif kind == "state":
            camera = self._camera(name, message.topic, discover=True)
            if camera is not None:
                self._switch(camera, what, message.payload.strip())
        elif what == "audio":
            camera = self.cameras.get(name)
            if camera is not None:
                self._audio(camera, message, kind)

    def _audio(self, camera: FrigateCamera, message: Message, label: str) -> None:
        """``P/<camera>/audio/<label>`` ON/OFF (a sound Frigate knows), or the levels
        ``dBFS`` and ``rms``."""
        payload = message.payload.strip()
        if not CAMERA_NAME.match(label):
            self._bad(camera, message.topic, f"{message.topic}: an audio label may only hold "
                                             "letters, digits, _ and -")
            return
        if label in ("dBFS", "rms"):
            try:
                level = float(payload)
            except ValueError:
                level = math.nan
            if not math.isfinite(level):
                self._bad(camera, message.topic,
                          f"{message.topic}: expected a number, got {payload[:40]!r}")
                return
            self.hub.registry.set_state(camera.id, {f"audio_{label.lower()}": level})
            return
        state = _ON_OFF.get(payload)
        if state is None:
            self._bad(camera, message.topic,
                      f"{message.topic}: expected ON or OFF, got {payload[:40]!r}")
            return
        key = f"audio_{label}"
        before = self.hub.registry.get(camera.id).state.get(key)
        self.hub.registry.set_state(camera.id, {key: state})
        if state == "on" and before != "on" and not message.retain and camera.audio is not None:
            self.hub.firing.fire(camera.id, camera.audio,
                                 {"camera": camera.name, "audio": label},
                                 audio=spoken(label), camera=spoken(camera.name),
                                 area=camera.config.area)

    # -- handling ------------------------------------------------------------------------

    def _snapshot(self, camera: FrigateCamera, message: Message, label: str) -> None:
        payload = message.payload
        if not payload:
            camera.clear_snapshot(label)  # an empty retained message deletes the retained one
            return
        if label not in camera.labels:
            self.ignored_snapshots += 1  # not bad input: Frigate sends every label it tracks
            _LOGGER.debug("snapshot of another label ignored topic=%s", message.topic)
            return
        limit = self.config.fetch.max_frame_bytes
        if len(payload) > limit:
            self._bad(camera, message.topic, f"{message.topic}: a {len(payload)}-byte snapshot "
                                             f"is more than max_frame_bytes ({limit})")
            return
        problem = jpeg_problem(payload)
        if problem is not None:
            self._bad(camera, message.topic, f"{message.topic}: snapshot is {problem}")
            return
        camera.snapshot(label, payload)

    def _count(self, camera: FrigateCamera, topic: str, key: str, label: str,
               payload: bytes) -> None:
        if payload.isdigit() and len(payload) < 10:
            if camera.keeps(key):
                self.hub.registry.set_state(camera.id, {key: int(payload)})
        elif label in camera.labels:
            self._bad(camera, topic, f"{topic}: expected a count, got {payload[:40]!r}")
        # other levels (ptz, enabled...) are Frigate's commands and switches, not counts

    def _switch(self, camera: FrigateCamera, feature: str, payload: bytes) -> None:
        value: str | int | None = _ON_OFF.get(payload)
        if value is None and payload.isdigit() and len(payload) < 10:
            value = int(payload)  # motion_threshold, motion_contour_area
        elif value is None and 0 < len(payload) <= 32 and payload.isalnum():
            value = payload.decode("ascii").lower()  # birdseye_mode: CONTINUOUS...
        if value is not None:
            key = "motion_detection" if feature == "motion" else feature
            if camera.keeps(key):
                self.hub.registry.set_state(camera.id, {key: value})

    def _object(self, camera: FrigateCamera, event: ObjectEvent) -> None:
        obj = event.after
        if event.type == "end":
            self._objects.pop(obj.id, None)
            return
        if obj.false_positive or obj.label not in camera.labels:
            return
        if obj.best_score < camera.filters.min_score:
            return
        seen = self._objects.get(obj.id)
        if seen is None:
            seen = self._objects[obj.id] = _Seen()
            if len(self._objects) > _MAX_TRACKED:
                self._objects.popitem(last=False)
        wanted = camera.zones
        relevant = [z for z in obj.zones if z in wanted] if wanted else list(obj.zones)
        new_zones = [z for z in relevant if z not in seen.zones]
        room = _MAX_ZONES - len(seen.zones)
        if len(new_zones) > room:
            self.dropped_zones += len(new_zones) - room
            new_zones = new_zones[:room]
        detect = not seen.detected and (bool(relevant) or not wanted)
        if not detect and not new_zones:
            return  # the usual update: a better snapshot, nothing new to tell
        payload, fields = _object_payload(obj), _object_fields(camera, obj)
        if detect:
            seen.detected = True
            self.hub.registry.set_state(camera.id, {
                "last_label": obj.label, "last_score": round(obj.best_score, 3),
                "last_event_id": obj.id, "last_zones": list(obj.current_zones),
            })
            trigger = camera.detected.get(obj.label)
            if trigger is not None:
                self.hub.firing.fire(camera.id, trigger, payload, **fields)
        trigger = camera.in_zone.get(obj.label)
        for zone in new_zones:
            seen.zones.add(zone)
            if trigger is not None:
                self.hub.firing.fire(camera.id, trigger, {**payload, "zone": zone},
                                     zone=spoken(zone), **fields)

    def _review(self, camera: FrigateCamera, review: Review) -> None:
        if review.type == "end":
            self._reviews.pop(review.id, None)
            return
        if review.labels and not review.labels & camera.labels:
            return
        if camera.zones and camera.zones.isdisjoint(review.zones):
            return
        fired = self._reviews.get(review.id)
        if fired is None:
            fired = self._reviews[review.id] = set()
            if len(self._reviews) > _MAX_TRACKED:
                self._reviews.popitem(last=False)
        # a review can be raised from detection to alert, never lowered
        if review.severity in fired or "alert" in fired:
            return
        fired.add(review.severity)
        trigger = camera.reviews.get(review.severity)
        if trigger is None:
            return
        payload = {"review_id": review.id, "camera": review.camera, "severity": review.severity,
                   "objects": list(review.objects), "zones": list(review.zones),
                   "sub_labels": list(review.sub_labels), "detections": list(review.detections),
                   "audio": list(review.audio), "start_time": review.start_time}
        self.hub.firing.fire(
            camera.id, trigger, payload, severity=review.severity,
            camera=camera.config.area, area=camera.config.area,
            objects=", ".join(spoken(o) for o in review.objects + review.audio) or "activity",
            zones=", ".join(spoken(z) for z in review.zones),
            sub_labels=", ".join(review.sub_labels),
        )


def _object_payload(obj: TrackedObject) -> dict[str, object]:
    return {"event_id": obj.id, "camera": obj.camera, "label": obj.label,
            "sub_label": obj.sub_label, "score": obj.score, "top_score": obj.top_score,
            "zones": list(obj.current_zones), "entered_zones": list(obj.entered_zones),
            "has_snapshot": obj.has_snapshot, "has_clip": obj.has_clip,
            "start_time": obj.start_time}


def _object_fields(camera: FrigateCamera, obj: TrackedObject) -> dict[str, str]:
    return {"label": spoken(obj.label), "camera": camera.config.area,
            "area": camera.config.area, "score": f"{round(obj.best_score * 100)}%",
            "zones": ", ".join(spoken(z) for z in obj.current_zones),
            "sub_label": obj.sub_label or ""}


__all__ = ["FrigateBridge"]
