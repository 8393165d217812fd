"""Discovery: configurations on `<prefix>/...` topics become capabilities, and go away.

Topics read (``<prefix>`` is `discovery_prefix`, ``homeassistant`` by default):

- ``<prefix>/<component>/[<node_id>/]<object_id>/config``: one entity;
- ``<prefix>/device/<device_id>/config``: a device and its components (``cmps``), sharing
  the device block, availability and topics given next to ``cmps``.

A configuration that changes updates the capability (`CapabilityUpdated`, state kept); the
same configuration again (devices re-send theirs after the birth message) changes nothing;
an empty payload removes the entity (for a device: all of its components; a component sent
with only its ``platform`` is removed). A malformed configuration is bad input, counted
against its discovery topic; the entity it would have replaced stays as it was.

Two announcements whose ids come out the same (``Attic Water Sensor`` and
``attic/water_sensor``) both become capabilities, as in Home Assistant: the later one gets
``_2`` (then ``_3``...). An id registered by another part (an entity declared under `mqtt:`
in YAML) stays refused: the declared one wins, and the announcement is bad input. The suffixed ids are kept in the store (key `SUFFIXES`), so each
announcement gets the same id after a restart whatever order they come in; each is logged
once, when first given.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType, TracebackType
from typing import Any, Self

from hub.errors import PayloadError
from hub.fabric import Message
from hub.inputs import load_json
from hub.runtime import status_topic
from integrations.mqtt_discovery.abbreviations import base_topic, expand
from integrations.mqtt_discovery.alarm import AlarmPanel
from integrations.mqtt_discovery.camera import Camera, Image
from integrations.mqtt_discovery.climate import Climate
from integrations.mqtt_discovery.cover import Cover
from integrations.mqtt_discovery.device_trigger import DeviceTriggers, read_trigger
from integrations.mqtt_discovery.entity import Context, Discovered, Entity
from integrations.mqtt_discovery.event import Event, Tag
from integrations.mqtt_discovery.fan import Fan
from integrations.mqtt_discovery.humidifier import Humidifier, WaterHeater
from integrations.mqtt_discovery.lawn_mower import LawnMower
from integrations.mqtt_discovery.light import DefaultLight, JsonLight, TemplateLight
from integrations.mqtt_discovery.lock import Lock
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.sensor import BinarySensor, DeviceTracker, Sensor
from integrations.mqtt_discovery.siren import Siren
from integrations.mqtt_discovery.switch import Button, Notify, Scene, Switch
from integrations.mqtt_discovery.update import Update
from integrations.mqtt_discovery.vacuum import Vacuum
from integrations.mqtt_discovery.values import Number, Select, Text
from integrations.mqtt_discovery.valve import Valve

_LOGGER = logging.getLogger(__name__)

_ID = re.compile(r"^[A-Za-z0-9_-]+$")
TRIGGER_COMPONENT = "device_automation"
DEVICE = "device"
_NOT_SHARED = frozenset({"components", "name", "unique_id", "object_id", "default_entity_id",
                         "platform"})
"""Keys of a device discovery payload that stay with it and are not given to components."""
_MAX_UNSUPPORTED = 100
"""Unsupported component names remembered (each logged once); more are not logged."""
SUFFIXES = "mqtt_discovery.suffixed_ids"
"""Store key: announcement key -> the suffixed capability id it was given."""


def _light(ctx: Context, found: Discovered) -> Entity:
    schema = found.config.get("schema", "default")
    if schema in ("default", "basic"):
        return DefaultLight(ctx, found)
    if schema == "json":
        return JsonLight(ctx, found)
    if schema == "template":
        return TemplateLight(ctx, found)
    raise PayloadError(f"{found.topic}: schema: {schema!r} is not supported; use default, "
                       "json or template")


FACTORIES: Mapping[str, Callable[[Context, Discovered], Entity]] = MappingProxyType({
    "alarm_control_panel": AlarmPanel,
    "binary_sensor": BinarySensor,
    "button": Button,
    "camera": Camera,
    "climate": Climate,
    "cover": Cover,
    "device_tracker": DeviceTracker,
    "event": Event,
    "fan": Fan,
    "humidifier": Humidifier,
    "image": Image,
    "lawn_mower": LawnMower,
    "light": _light,
    "lock": Lock,
    "notify": Notify,
    "number": Number,
    "scene": Scene,
    "select": Select,
    "sensor": Sensor,
    "siren": Siren,
    "switch": Switch,
    "tag": Tag,
    "text": Text,
    "update": Update,
    "vacuum": Vacuum,
    "valve": Valve,
    "water_heater": WaterHeater,
})
"""Supported components; `device_automation` (device triggers) is handled apart."""


class Discovery:
    """``async with Discovery(ctx)``: listening for configurations while inside; on exit
    every discovered capability is withdrawn."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._prefix = ctx.config.discovery_prefix
        self._entities: dict[str, Entity] = {}
        self._configs: dict[str, Mapping[str, Any]] = {}
        self._ids: dict[str, str] = {}
        """capability id -> announcement key, so two announcements cannot share an id."""
        self._digests: dict[str, bytes] = {}
        """discovery topic -> digest of the announcement read from it (accepted ones only),
        so the same announcement again (after a birth) costs no parsing."""
        self._device_keys: dict[str, set[str]] = {}
        self._unsupported: set[str] = set()
        self._suffixed: dict[str, str] = {}
        """announcement key -> its suffixed id (persisted): stable across restarts."""
        self._saving: set[asyncio.Task[None]] = set()
        self._cancels: list[Callable[[], None]] = []
        self.triggers = DeviceTriggers(ctx)
        self.births = 0
        self.refused = 0
        """Announcements not taken because `max_entities` entities run already."""

    @property
    def entities(self) -> Mapping[str, Entity]:
        return MappingProxyType(self._entities)

    async def __aenter__(self) -> Self:
        stored = await self._ctx.hub.store.get(SUFFIXES)
        if isinstance(stored, dict):
            self._suffixed = {k: v for k, v in stored.items()
                              if isinstance(k, str) and isinstance(v, str)}
        router, prefix = self._ctx.router, self._prefix
        for pattern in (f"{prefix}/+/+/config", f"{prefix}/+/+/+/config"):
            self._cancels.append(router.subscribe(pattern, self._on_config, source=pattern,
                                                  qos=1))
        if self._ctx.config.birth:
            # The fabric re-publishes the hub's own status on every (re)connect; hearing it
            # is the moment to (re)announce, as Home Assistant does after each connect.
            fabric = self._ctx.hub.fabric
            self._cancels.append(fabric.subscribe(status_topic(self._ctx.hub.node_id),
                                                  self._on_own_status))
        _LOGGER.info("mqtt discovery listening prefix=%s", prefix)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        for cancel in self._cancels:
            cancel()
        self._cancels.clear()
        for key in list(self._entities):
            self._remove(key)
        self.triggers.close()
        if self._saving:
            await asyncio.gather(*self._saving, return_exceptions=True)
        _LOGGER.info("mqtt discovery stopped prefix=%s", self._prefix)

    # -- birth -------------------------------------------------------------------------------

    def _on_own_status(self, message: Message) -> None:
        try:
            online = load_json(message.payload, message.topic).get("state") == "online"
        except (PayloadError, AttributeError):
            online = False
        if online:
            config = self._ctx.config
            self._ctx.hub.fabric.publish(config.status_topic, config.birth_payload, qos=1)
            self.births += 1
            _LOGGER.info("birth published topic=%s", config.status_topic)

    # -- configurations ----------------------------------------------------------------------

    def _on_config(self, payload: Payload) -> None:
        topic = payload.topic
        levels = topic[len(self._prefix) + 1:].split("/")
        if len(levels) == 3:
            component, node_id, object_id = levels[0], "", levels[1]
        else:
            component, node_id, object_id = levels[0], levels[1], levels[2]
        for part in (component, node_id, object_id):
            if part and not _ID.match(part):
                raise PayloadError(f"{topic}: {part!r} in the topic may only hold letters, "
                                   "digits, _ and -")
        if component == DEVICE:
            if node_id:
                raise PayloadError(f"{topic}: device discovery is <prefix>/device/<id>/config")
            self._on_device(payload, object_id)
            return
        key = "/".join(p for p in (component, node_id, object_id) if p)
        if not payload.raw:
            self._digests.pop(topic, None)
            self._remove(key)
            return
        digest = _digest(payload.raw)
        if self._digests.get(topic) == digest:
            return  # the same announcement again (after a birth): nothing changes
        if component not in FACTORIES and component != TRIGGER_COMPONENT:
            self._skip(component, topic)
            return
        config = expand(payload.json_object())
        fallback = f"{node_id}_{object_id}" if node_id else object_id
        self._put(Discovered(component, topic, key, fallback, config))
        if key in self._configs:
            self._digests[topic] = digest
        else:
            self._digests.pop(topic, None)

    def _on_device(self, payload: Payload, device_id: str) -> None:
        topic = payload.topic
        if not payload.raw:
            self._digests.pop(topic, None)
            for key in self._device_keys.pop(topic, set()):
                self._remove(key)
            return
        digest = _digest(payload.raw)
        if self._digests.get(topic) == digest:
            return
        data = payload.json_object()
        base = base_topic(data)
        shared = expand(data)
        components = shared.get("components")
        if not isinstance(components, dict) or not components:
            raise PayloadError(f"{topic}: components (cmps): expected a mapping of component "
                               "ids to their configurations")
        if not isinstance(shared.get("device"), dict):
            raise PayloadError(f"{topic}: device (dev): missing; device discovery needs the "
                               "device block")
        common = {k: v for k, v in shared.items() if k not in _NOT_SHARED}
        seen: set[str] = set()
        for component_id, raw in components.items():
            key = f"{DEVICE}/{device_id}/{component_id}"
            if not isinstance(raw, dict) or not _ID.match(str(component_id)):
                self._ctx.hub.bad_input.report(topic, f"{topic}: cmps.{component_id}: expected "
                                               "a mapping, under an id of letters, digits, _, -")
                continue
            own = expand(raw, base)
            platform = own.get("platform")
            if set(own) <= {"platform"}:
                continue  # a component sent with only its platform is being removed
            if not isinstance(platform, str):
                self._ctx.hub.bad_input.report(
                    topic, f"{topic}: cmps.{component_id}: platform (p) missing")
                continue
            seen.add(key)
            if platform not in FACTORIES and platform != TRIGGER_COMPONENT:
                self._skip(platform, topic)
                continue
            self._put(Discovered(platform, topic, key, f"{device_id}_{component_id}",
                                 {**common, **own}))
        for key in self._device_keys.get(topic, set()) - seen:
            self._remove(key)
        seen.intersection_update(self._configs)  # what runs (refused and bad ones do not)
        if seen:
            self._device_keys[topic] = seen
            self._digests[topic] = digest
        else:
            self._device_keys.pop(topic, None)
            self._digests.pop(topic, None)

    def _skip(self, component: str, topic: str) -> None:
        if component not in self._unsupported and len(self._unsupported) < _MAX_UNSUPPORTED:
            self._unsupported.add(component)
            _LOGGER.info("component not supported, ignored component=%s topic=%s",
                         component, topic)

    def _put(self, found: Discovered) -> None:
        """Create or update the entity of an announcement; bad input leaves it as it was."""
        key = found.key
        if self._configs.get(key) == found.config:
            return
        bad_input = self._ctx.hub.bad_input
        limit = self._ctx.config.max_entities
        if key not in self._configs and len(self._configs) >= limit:
            self.refused += 1
            bad_input.report(found.topic, (
                f"{found.topic}: not added: {len(self._configs)} entities and device "
                f"triggers is the limit (max_entities in the mqtt_discovery section)"))
            return
        try:
            if found.component == TRIGGER_COMPONENT:
                trigger = read_trigger(self._ctx, found)
                self._remove(key, keep_trigger=True)
                self.triggers.put(trigger)
                self._configs[key] = found.config
                return
            entity = FACTORIES[found.component](self._ctx, found)
        except PayloadError as exc:
            bad_input.report(found.topic, str(exc))
            return
        existing = self._ctx.hub.registry.find(entity.id)
        if existing is not None and existing.source != "mqtt_discovery":
            bad_input.report(found.topic, f"{found.topic}: capability id {entity.id} is "
                             f"already registered by {existing.source or 'another part'}")
            return
        entity.id = self._unique_id(key, entity.id, found.topic)
        self.triggers.remove(key)
        previous = self._entities.get(key)
        if previous is not None and previous.id != entity.id:
            self._ids.pop(previous.id, None)
        self._entities[key] = entity
        self._ids[entity.id] = key
        self._configs[key] = found.config
        entity.start(previous)
        _LOGGER.debug("entity %s capability=%s topic=%s",
                      "updated" if previous else "added", entity.id, found.topic)

    def _taken(self, cap_id: str, key: str) -> bool:
        owner = self._ids.get(cap_id)
        if owner is not None:
            return owner != key
        if cap_id in self._suffixed.values() and self._suffixed.get(key) != cap_id:
            return True  # another announcement's id (from an earlier run)
        existing = self._ctx.hub.registry.find(cap_id)
        return existing is not None and existing.source != "mqtt_discovery"

    def _unique_id(self, key: str, natural: str, topic: str) -> str:
        """`natural`, or the suffixed id this announcement has (had) when another holds
        `natural`, as Home Assistant suffixes entity ids."""
        kept = self._suffixed.get(key)
        if kept is not None and kept.rsplit("_", 1)[0] == natural and not self._taken(kept,
                                                                                        key):
            return kept
        if not self._taken(natural, key):
            return natural
        n = 2
        while self._taken(f"{natural}_{n}", key):
            n += 1
        chosen = f"{natural}_{n}"
        self._suffixed[key] = chosen
        _LOGGER.info("capability id taken, suffixed id=%s taken_by=%s topic=%s", chosen,
                     natural, topic)
        self._save_suffixes()
        return chosen

    def _save_suffixes(self) -> None:
        task = asyncio.get_running_loop().create_task(
            self._ctx.hub.store.set(SUFFIXES, dict(self._suffixed)))
        self._saving.add(task)
        task.add_done_callback(self._saving.discard)

    def _remove(self, key: str, *, keep_trigger: bool = False) -> None:
        self._configs.pop(key, None)
        entity = self._entities.pop(key, None)
        if entity is not None:
            self._ids.pop(entity.id, None)
            entity.stop(remove=True)
            _LOGGER.debug("entity removed capability=%s", entity.id)
        if not keep_trigger:
            self.triggers.remove(key)


def _digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()
