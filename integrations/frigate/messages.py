"""Frigate's JSON messages (``frigate/events``, ``frigate/reviews``) read into values.

Only the keys the hub uses are checked, and only those are required (``after.id``,
``after.camera``, ``after.label`` for events; ``after.id``, ``after.camera``,
``after.severity`` for reviews). Other keys are ignored on purpose: Frigate adds fields
from one release to the next, and a new field must not turn every event into bad input.
Errors name the topic and the field: ``frigate/events: after.score: expected a number
0..1, got 'high'``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from hub.errors import PayloadError
from hub.inputs import load_json

MAX_JSON_BYTES = 256 * 1024
"""Larger JSON messages are dropped as bad input: Frigate's are a few KiB."""

EventType = Literal["new", "update", "end"]
_TYPES: tuple[EventType, ...] = ("new", "update", "end")
Severity = Literal["alert", "detection"]
_SEVERITIES: tuple[Severity, ...] = ("alert", "detection")


@dataclass(frozen=True, slots=True)
class TrackedObject:
    """The ``after`` part of a ``frigate/events`` message."""

    id: str
    camera: str
    label: str
    sub_label: str | None = None
    score: float | None = None
    top_score: float | None = None
    current_zones: tuple[str, ...] = ()
    entered_zones: tuple[str, ...] = ()
    false_positive: bool = False
    has_snapshot: bool = False
    has_clip: bool = False
    start_time: float | None = None

    @property
    def best_score(self) -> float:
        return max(self.top_score or 0.0, self.score or 0.0)

    @property
    def zones(self) -> tuple[str, ...]:
        """Every zone the object is in or has entered, in Frigate's order, once each."""
        return tuple(dict.fromkeys((*self.entered_zones, *self.current_zones)))


@dataclass(frozen=True, slots=True)
class ObjectEvent:
    type: EventType
    after: TrackedObject


@dataclass(frozen=True, slots=True)
class Review:
    """A ``frigate/reviews`` message: its ``type`` and the ``after`` review item."""

    type: EventType
    id: str
    camera: str
    severity: Severity
    objects: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    sub_labels: tuple[str, ...] = ()
    detections: tuple[str, ...] = ()
    audio: tuple[str, ...] = ()
    start_time: float | None = None

    @property
    def labels(self) -> frozenset[str]:
        """Object and audio labels, without Frigate's ``-verified`` suffix."""
        return frozenset(label.removesuffix("-verified") for label in (*self.objects, *self.audio))


def parse_json(topic: str, payload: bytes) -> dict[str, Any]:
    """A JSON object from a payload, or PayloadError saying what is wrong."""
    if len(payload) > MAX_JSON_BYTES:
        raise PayloadError(f"{topic}: {len(payload)} bytes is more than the limit of "
                           f"{MAX_JSON_BYTES} bytes for a JSON message")
    try:
        # decoded first: json.loads(bytes) would also guess UTF-16 and UTF-32
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"{topic}: payload is not UTF-8 text ({exc.reason} at byte "
                           f"{exc.start})") from exc
    # depth, digits, NaN and lone surrogates: hub.inputs' rules for outside JSON
    value = load_json(text, topic)
    if not isinstance(value, dict):
        raise PayloadError(f"{topic}: expected a JSON object, got {_kind(value)}")
    return value


def camera_of(data: Mapping[str, Any]) -> str | None:
    """``after.camera`` when it is text, to blame a camera for a message that fails later."""
    after = data.get("after")
    camera = after.get("camera") if isinstance(after, dict) else None
    return camera if isinstance(camera, str) else None


def parse_event(topic: str, data: Mapping[str, Any]) -> ObjectEvent:
    kind = _type(topic, data)  # first: a type of a newer release is skipped, not judged
    read = _Reader(topic, _after(topic, data))
    sub_label = read.value("sub_label")
    # Frigate sends null, a name, or [name, score] (newer releases)
    if isinstance(sub_label, list) and sub_label and isinstance(sub_label[0], str):
        sub_label = sub_label[0]
    elif sub_label is not None and not isinstance(sub_label, str):
        raise PayloadError(f"{topic}: after.sub_label: expected text, [text, score] or null, "
                           f"got {sub_label!r}")
    after = TrackedObject(
        id=read.text("id"),
        camera=read.text("camera"),
        label=read.text("label"),
        sub_label=sub_label or None,
        score=read.score("score"),
        top_score=read.score("top_score"),
        current_zones=read.texts("current_zones"),
        entered_zones=read.texts("entered_zones"),
        false_positive=read.flag("false_positive"),
        has_snapshot=read.flag("has_snapshot"),
        has_clip=read.flag("has_clip"),
        start_time=read.number("start_time"),
    )
    return ObjectEvent(kind, after)


def parse_review(topic: str, data: Mapping[str, Any]) -> Review:
    kind = _type(topic, data)  # first: a type of a newer release is skipped, not judged
    after = _after(topic, data)
    read = _Reader(topic, after)
    severity = read.text("severity")
    if severity not in _SEVERITIES:
        raise PayloadError(f"{topic}: after.severity: expected 'alert' or 'detection', "
                           f"got {severity!r}")
    details = after.get("data", {})
    if not isinstance(details, dict):
        raise PayloadError(f"{topic}: after.data: expected an object, got {_kind(details)}")
    inner = _Reader(topic, details, "after.data")
    return Review(
        type=kind,
        id=read.text("id"),
        camera=read.text("camera"),
        severity=severity,
        objects=inner.texts("objects"),
        zones=inner.texts("zones"),
        sub_labels=inner.texts("sub_labels"),
        detections=inner.texts("detections"),
        audio=inner.texts("audio"),
        start_time=read.number("start_time"),
    )


class UnknownType(PayloadError):
    """A message `type` this hub does not know (newer Frigate releases add some, e.g.
    "genai" reviews): skipped, not bad input."""


def _type(topic: str, data: Mapping[str, Any]) -> EventType:
    kind = data.get("type")
    for known in _TYPES:
        if kind == known:
            return known
    if isinstance(kind, str) and kind:
        raise UnknownType(f"{topic}: type {kind!r} is not one this hub handles; skipped")
    raise PayloadError(f"{topic}: type: expected 'new', 'update' or 'end', got {kind!r}")


def _after(topic: str, data: Mapping[str, Any]) -> dict[str, Any]:
    after = data.get("after")
    if not isinstance(after, dict):
        what = "missing" if after is None else f"expected an object, got {_kind(after)}"
        raise PayloadError(f"{topic}: after: {what}")
    return after


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false",
            type(None): "null"}.get(type(value), "a number")


class _Reader:
    """Typed reads of one JSON object; errors name the topic and the key's path."""

    __slots__ = ("_data", "_path", "_topic")

    def __init__(self, topic: str, data: Mapping[str, Any], path: str = "after") -> None:
        self._topic = topic
        self._data = data
        self._path = path

    def _fail(self, key: str, expected: str, value: Any) -> PayloadError:
        return PayloadError(f"{self._topic}: {self._path}.{key}: expected {expected}, "
                            f"got {value!r}")

    def value(self, key: str) -> Any:
        return self._data.get(key)

    def text(self, key: str) -> str:
        value = self._data.get(key)
        if value is None:
            raise PayloadError(f"{self._topic}: {self._path}.{key}: missing")
        if not isinstance(value, str) or not value:
            raise self._fail(key, "non-empty text", value)
        return value

    def number(self, key: str) -> float | None:
        value = self._data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._fail(key, "a number", value)
        return float(value)

    def score(self, key: str) -> float | None:
        value = self.number(key)
        if value is not None and not 0.0 <= value <= 1.0:
            raise self._fail(key, "a number 0..1", value)
        return value

    def flag(self, key: str) -> bool:
        value = self._data.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self._fail(key, "true or false", value)
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(key, "a list of text", value)
        return tuple(value)


__all__ = ["MAX_JSON_BYTES", "ObjectEvent", "Review", "TrackedObject", "camera_of",
           "parse_event", "parse_json", "parse_review"]
