"""The `frigate:` section. Every key is optional; a bare ``frigate:`` listens on the
default ``frigate/`` topics and adds each camera Frigate reports.

    frigate:
      topic_prefix: frigate
      url: http://frigate.local:5000     # Frigate's HTTP API: live frames, event snapshots
      labels: [person, car]              # object labels that get triggers
      min_score: 0.7                     # ignore objects whose best score is lower
      zones: []                          # only these zones (empty: anywhere)
      cameras:
        - front_door                     # Frigate's camera name
        - name: driveway
          area: driveway
          labels: [car]
      triggers:
        detected: {intent: "{label} detected at {camera}", priority: 2, throttle: 10}
        review_detection: false
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from hub.located import Located, Problems, Section, as_list, as_text
from hub.media import MAX_FRAME_BYTES, FetchSettings, mask_url

CAMERA_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
"""What Frigate accepts as a camera (and zone) name."""
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_CAPABILITY_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)?$")

DEFAULT_LABELS = ("person", "car", "dog", "cat")

# Placeholders each trigger's intent template may use (all filled as text).
_OBJECT_FIELDS = ("label", "camera", "area", "score", "zones", "sub_label")
TEMPLATE_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "detected": _OBJECT_FIELDS,
    "zone": (*_OBJECT_FIELDS, "zone"),
    "review_alert": ("severity", "camera", "area", "objects", "zones", "sub_labels"),
    "review_detection": ("severity", "camera", "area", "objects", "zones", "sub_labels"),
    "motion": ("camera", "area"),
    "audio": ("audio", "camera", "area"),
})


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    intent: str
    priority: int
    throttle: float
    enabled: bool = True


DEFAULT_TRIGGERS: Mapping[str, TriggerSpec] = MappingProxyType({
    "detected": TriggerSpec("{label} detected at {camera}", 2, 10.0),
    "zone": TriggerSpec("{label} in {zone}", 2, 10.0),
    "review_alert": TriggerSpec("{severity} at {camera}: {objects}", 3, 0.0),
    "review_detection": TriggerSpec("{severity} at {camera}: {objects}", 1, 0.0),
    "motion": TriggerSpec("motion at {camera}", 1, 30.0, enabled=False),
    "audio": TriggerSpec("{audio} heard at {camera}", 2, 10.0, enabled=False),
})
"""Motion and audio are opt-in (``triggers: {motion: true}``): Frigate reports motion far
more often than objects."""


@dataclass(frozen=True, slots=True)
class Filters:
    """Which tracked objects fire triggers."""

    labels: tuple[str, ...] = DEFAULT_LABELS
    min_score: float = 0.0
    """Compared with the object's best score so far (``top_score``, else ``score``)."""
    zones: tuple[str, ...] = ()
    """Empty: anywhere; otherwise the object (or review) must be in one of these."""


@dataclass(frozen=True, slots=True)
class CameraConfig:
    name: str
    """Frigate's name of the camera (``front_door``), as in its topics."""
    id: str
    area: str
    filters: Filters


@dataclass(frozen=True, slots=True)
class Config:
    topic_prefix: str = "frigate"
    url: str | None = None
    fetch: FetchSettings = field(default_factory=FetchSettings)
    username: str | None = None
    """With `password`: Frigate's login (its authenticated port, 8971)."""
    password: str | None = field(default=None, repr=False)
    discover: bool = True
    max_cameras: int = 64
    max_snapshots: int = 256
    """Snapshots kept in memory over all cameras (one per camera and label)."""
    max_snapshot_bytes: int = 64 * 1024 * 1024
    """Bytes of snapshots kept in memory over all cameras; past either limit the least
    recently used snapshot goes first."""
    filters: Filters = field(default_factory=Filters)
    cameras: tuple[CameraConfig, ...] = ()
    triggers: Mapping[str, TriggerSpec] = field(default_factory=lambda: DEFAULT_TRIGGERS)

    def camera_for(self, name: str) -> CameraConfig:
        """The configuration of camera `name`: its own, or the defaults for a camera found
        on the topics."""
        for camera in self.cameras:
            if camera.name == name:
                return camera
        return CameraConfig(name, f"camera.{slug(name)}", spoken(name), self.filters)


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("_", ascii_text.lower()).strip("_")


def spoken(name: str) -> str:
    """How a Frigate name reads in a sentence: ``front_door`` -> ``front door``."""
    return name.replace("_", " ").replace("-", " ").strip()


_SECTION_KEYS = ("topic_prefix", "url", "username", "password", "timeout", "verify_ssl",
                 "max_frame_bytes", "max_snapshots", "max_snapshot_bytes",
                 "discover", "max_cameras", "labels", "min_score", "zones", "cameras",
                 "triggers")
_CAMERA_KEYS = ("name", "id", "area", "labels", "min_score", "zones")
_TRIGGER_KEYS = ("intent", "priority", "throttle")


def validate(raw: Located | None) -> Config:
    """Check the `frigate:` section; raises ConfigError listing every problem with its
    file:line."""
    problems = Problems()
    section = Section(raw, problems, _SECTION_KEYS)
    base = Config()
    prefix = _topic_prefix(section, problems)
    url = _url(section, problems)
    fetch = FetchSettings(
        timeout=section.number("timeout", base.fetch.timeout, low=0, low_open=True),
        verify_ssl=section.flag("verify_ssl", base.fetch.verify_ssl),
        max_frame_bytes=section.integer("max_frame_bytes", MAX_FRAME_BYTES, low=1024,
                                        high=4 * MAX_FRAME_BYTES),
    )
    filters = _filters(section, base.filters, problems)
    cameras = _cameras(section, filters, problems)
    config = Config(
        topic_prefix=prefix,
        url=url,
        fetch=fetch,
        discover=section.flag("discover", base.discover),
        max_cameras=section.integer("max_cameras", base.max_cameras, low=1, high=10_000),
        max_snapshots=section.integer("max_snapshots", base.max_snapshots, low=1,
                                      high=100_000),
        max_snapshot_bytes=_snapshot_bytes(section, base, fetch.max_frame_bytes),
        filters=filters,
        cameras=cameras,
        triggers=_triggers(section, problems),
        username=section.optional_text("username"),
        password=section.optional_text("password"),
    )
    if (config.username is None) != (config.password is None):
        node = section.get("username") or section.get("password")
        assert node is not None
        problems.add(node, "give both username and password (Frigate's login, port 8971), "
                           "or neither", at_key=True)
    problems.raise_if_any()
    return config


def _snapshot_bytes(section: Section, base: Config, max_frame_bytes: int) -> int:
    value = section.integer("max_snapshot_bytes", max(base.max_snapshot_bytes, max_frame_bytes),
                            low=1024, high=16 * 1024 * 1024 * 1024)
    node = section.get("max_snapshot_bytes")
    if node is not None and isinstance(node.value, int) and value < max_frame_bytes:
        section.problems.add(node, f"must be at least max_frame_bytes ({max_frame_bytes}), "
                                   f"or no snapshot of that size could be kept; got {value}")
    return value


def _topic_prefix(section: Section, problems: Problems) -> str:
    prefix = section.text("topic_prefix", "frigate")
    node = section.get("topic_prefix")
    if node is not None and ("#" in prefix or "+" in prefix or prefix.startswith("/")
                             or prefix.endswith("/")):
        problems.add(node, f"expected an MQTT topic without wildcards or a leading or "
                           f"trailing '/', got {node.describe()}")
    return prefix


def _url(section: Section, problems: Problems) -> str | None:
    node = section.get("url")
    if node is None:
        return None
    text = as_text(node, problems)
    if text is None:
        return None
    shown = repr(mask_url(text)) if node.secret is None else node.describe()
    try:
        parts = urlsplit(text.strip())
        _ = parts.port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        problems.add(node, f"expected Frigate's address as an http:// or https:// URL "
                           f"(like http://frigate.local:5000), got {shown}")
        return None
    return text.strip().rstrip("/")


def _names(section: Section, key: str, problems: Problems, what: str) -> tuple[str, ...]:
    node = section.get(key)
    if node is None:
        return ()
    names = []
    for item in as_list(node, problems):
        text = as_text(item, problems)
        if text is None:
            continue
        if not CAMERA_NAME.match(text):
            problems.add(item, f"expected a Frigate {what} (letters, digits, _ and -), "
                               f"got {item.describe()}")
            continue
        names.append(text)
    return tuple(names)


def _filters(section: Section, base: Filters, problems: Problems) -> Filters:
    labels = _names(section, "labels", problems, "label")
    return Filters(
        labels=labels if section.get("labels") is not None else base.labels,
        min_score=section.number("min_score", base.min_score, low=0, high=1),
        zones=_names(section, "zones", problems, "zone") if section.get("zones") is not None
        else base.zones,
    )


def _cameras(section: Section, filters: Filters, problems: Problems) -> tuple[CameraConfig, ...]:
    node = section.get("cameras")
    if node is None:
        return ()
    cameras: list[CameraConfig] = []
    seen: dict[str, str] = {}
    for item in as_list(node, problems):
        camera = _camera(item, filters, problems)
        if camera is None:
            continue
        for key in (camera.name, camera.id):
            if key in seen:
                problems.add(item, f"'{key}' is already used by the camera at {seen[key]}")
                break
        else:
            seen[camera.name] = seen[camera.id] = item.where
            cameras.append(camera)
    return tuple(cameras)


def _camera(item: Located, filters: Filters, problems: Problems) -> CameraConfig | None:
    if isinstance(item.value, str):
        if not CAMERA_NAME.match(item.value):
            problems.add(item, f"expected Frigate's camera name (letters, digits, _ and -), "
                               f"got {item.describe()}")
            return None
        return CameraConfig(item.value, f"camera.{slug(item.value)}", spoken(item.value),
                            filters)
    if not item.is_mapping:
        problems.add(item, f"expected a camera name or a mapping with name:, got "
                           f"{item.describe()}")
        return None
    section = Section(item, problems, _CAMERA_KEYS)
    before = len(problems)
    name = section.text("name", "")
    if section.get("name") is None:
        problems.add(item, "a camera needs Frigate's name for it (name:)")
    elif not CAMERA_NAME.match(name):
        problems.add(section.get("name") or item,
                     "expected Frigate's camera name (letters, digits, _ and -)")
    capability_id = f"camera.{slug(name)}"
    id_node = section.get("id")
    if id_node is not None:
        text = section.text("id", "")
        if not _CAPABILITY_ID.match(text):
            problems.add(id_node, f"expected an id of lowercase letters, digits and _ (like "
                                  f"'porch' or 'camera.porch'), got {id_node.describe()}")
        capability_id = text if "." in text else f"camera.{text}"
    camera = CameraConfig(name, capability_id, section.text("area", spoken(name)),
                          _filters(section, filters, problems))
    return camera if len(problems) == before else None


def _triggers(section: Section, problems: Problems) -> Mapping[str, TriggerSpec]:
    node = section.get("triggers")
    if node is None:
        return DEFAULT_TRIGGERS
    triggers = dict(DEFAULT_TRIGGERS)
    kinds = Section(node, problems, tuple(DEFAULT_TRIGGERS))
    for kind, default in DEFAULT_TRIGGERS.items():
        child = kinds.get(kind)
        if child is None:
            continue
        if child.value is True:
            triggers[kind] = TriggerSpec(default.intent, default.priority, default.throttle)
            continue
        if child.value is False:
            triggers[kind] = TriggerSpec(default.intent, default.priority, default.throttle,
                                         enabled=False)
            continue
        spec = Section(child, problems, _TRIGGER_KEYS)
        intent = spec.text("intent", default.intent)
        intent_node = spec.get("intent")
        if intent_node is not None:
            _check_template(intent_node, intent, TEMPLATE_FIELDS[kind], problems)
        triggers[kind] = TriggerSpec(
            intent=intent,
            priority=spec.integer("priority", default.priority, low=0, high=10),
            throttle=spec.number("throttle", default.throttle, low=0),
        )
    return MappingProxyType(triggers)


def _check_template(node: Located, template: str, known: tuple[str, ...],
                    problems: Problems) -> None:
    """Templates are checked here, once, so that filling one per event cannot fail."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        problems.add(node, f"not a valid template ({exc}); write a literal brace as {{{{ or }}}}")
        return
    for _text, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in known:
            problems.add(node, f"unknown placeholder {{{name}}}; known: "
                               f"{', '.join('{' + k + '}' for k in known)}")
        elif spec or conversion:
            problems.add(node, f"write {{{name}}} without a format or conversion: every "
                               f"placeholder is filled as text")


__all__ = ["CAMERA_NAME", "DEFAULT_LABELS", "DEFAULT_TRIGGERS", "TEMPLATE_FIELDS", "CameraConfig",
           "Config", "Filters", "TriggerSpec", "slug", "spoken", "validate"]
