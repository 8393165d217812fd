"""Entities written under `mqtt:` in YAML, read into what MQTT discovery reads from a topic.

A manual entity is a discovery configuration that came from a file: the same keys
(abbreviations allowed), the same entity classes. Each is checked here, at configuration
load, by building its entity once without running it, so every problem is reported with
the file:line of the key at fault (`atmosphere config check`), never at run time.

Capability ids follow Home Assistant's entity ids for YAML entities: `default_entity_id`,
else `object_id`, else the name (with the device's, as the entity is named), else
`unique_id`, else ``mqtt_<platform>``. Two entities with one id are an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NoReturn, cast

from hub.errors import PayloadError
from hub.fabric import validate_filter
from hub.located import Located, Problems, did_you_mean
from hub.templates import Templates
from integrations.mqtt_discovery.abbreviations import ABBREVIATIONS, expand
from integrations.mqtt_discovery.config import Config as DiscoveryConfig
from integrations.mqtt_discovery.discovery import FACTORIES
from integrations.mqtt_discovery.entity import COMMON_KEYS, Context, Discovered, Entity, slug

if TYPE_CHECKING:
    from hub.runtime import Hub
    from integrations.mqtt_discovery.router import TopicRouter

SUPPORTED = tuple(sorted(FACTORIES))
"""The platforms the hub drives (the components MQTT discovery supports)."""

OTHER_KEYS = frozenset({
    # light, default schema: topics the hub does not drive (yet)
    "rgbw_command_topic", "rgbw_command_template", "rgbw_state_topic", "rgbw_value_template",
    "rgbww_command_topic", "rgbww_command_template", "rgbww_state_topic",
    "rgbww_value_template", "white_command_topic", "white_scale", "xy_command_template",
    # light, json schema (older flags) and template schema
    "schema", "brightness", "color_temp", "effect", "flash", "hs", "rgb", "xy", "transition",
    "command_on_template", "command_off_template", "state_template", "brightness_template",
    "red_template", "green_template", "blue_template", "color_temp_template",
    "effect_template",
    # sensors, covers, climate
    "expire_after", "force_update", "last_reset_value_template", "options",
    "payload_stop_tilt", "precision", "initial", "fan_modes", "swing_modes",
    "swing_horizontal_modes", "swing_horizontal_mode_command_topic",
    "swing_horizontal_mode_command_template", "swing_horizontal_mode_state_topic",
    "swing_horizontal_mode_state_template", "payload_reset",
})
"""Keys of Home Assistant's MQTT platforms that nothing here reads: accepted and ignored,
as discovery ignores them (docs/integrations/mqtt_discovery.md lists what is unsupported)."""

_KNOWN = COMMON_KEYS | frozenset(ABBREVIATIONS.values()) | OTHER_KEYS
_SHORT = {long: short for short, long in ABBREVIATIONS.items()}
_ITEM = re.compile(r"^(\w+)\[(\d+)\]$")
_PROBE = {"command_topic": "probe", "state_topic": "probe", "topic": "probe"}


class _NotRunning:
    """Stands in for the hub and the topic router while entities are only checked."""

    def __getattr__(self, name: str) -> NoReturn:
        raise RuntimeError(f"MQTT entities are only being checked: nothing runs ({name})")


def checking_context(templates: Templates) -> Context:
    """A context to build entities in for checking: templates compile, nothing subscribes."""
    idle = _NotRunning()
    return Context(cast("Hub", idle), templates, cast("TopicRouter", idle), DiscoveryConfig())


def read_entities(raw: Located, problems: Problems) -> tuple[Discovered, ...]:
    """The entities of the mapping form (platform -> entities), checked; problems go to
    `problems` with the place of the key at fault."""
    checker = Checker(checking_context(Templates()), problems)
    taken: dict[str, Located] = {}
    found: list[Discovered] = []
    for platform, items in raw.items():
        if platform not in FACTORIES:
            problems.add(items, f"Home Assistant's {platform} platform is not supported "
                         f"(yet); supported: {', '.join(SUPPORTED)}", at_key=True)
            continue
        for node in items:
            entity = checker.entity(platform, node)
            if entity is None:
                continue
            first = taken.setdefault(entity.id, node)
            if first is not node:
                problems.add(node, f"capability id {entity.id} is taken by {first.path} "
                             f"({first.where}); give each its own name or object_id")
                continue
            found.append(entity.found)
    return tuple(found)


class Checker:
    """Builds entities from YAML without running them, reporting what is wrong."""

    def __init__(self, ctx: Context, problems: Problems) -> None:
        self.ctx = ctx
        self.problems = problems
        self._reads: dict[tuple[str, str], frozenset[str]] = {}

    def entity(self, platform: str, node: Located) -> Entity | None:
        """The entity of `node` (not started), or None after reporting why not."""
        config = expand(node.plain())
        found = Discovered(platform, node.path, f"yaml/{node.path}", f"mqtt_{platform}",
                           config, declared_at=node.where)
        entity: Entity | None = None
        # Every bad topic is reported at once; building the entity would stop at the first.
        if self._topics(node):
            try:
                entity = FACTORIES[platform](self.ctx, found)
            except PayloadError as exc:
                _report(node, str(exc), self.problems)
        self._unknown_keys(node, platform, config, entity)
        if entity is None:
            return None
        named = config.get("name") or (entity.device is not None and entity.device.name)
        if named and "default_entity_id" not in config and "object_id" not in config:
            # Home Assistant names a YAML entity's id after its name, not its unique_id
            suffix = slug(entity.name)
            if suffix:
                found = replace(found, config={**config, "object_id": suffix})
                entity = FACTORIES[platform](self.ctx, found)
        return entity

    def _unknown_keys(self, node: Located, platform: str, config: Mapping[str, Any],
                      entity: Entity | None) -> None:
        known = _KNOWN | self._keys_read(platform, config.get("schema"))
        if entity is not None:
            known = known | entity.opts.used
        for key, child in node.items():
            if ABBREVIATIONS.get(key, key) in known:
                continue
            close = did_you_mean(key, known)
            hint = (f"did you mean '{close}'?" if close is not None
                    else f"Home Assistant's MQTT {platform} has no such option")
            self.problems.add(child, f"unknown key; {hint}", at_key=True)

    def _topics(self, node: Located) -> bool:
        """Every topic is one the broker accepts as a filter (the fabric would refuse it
        when the entity starts); False after reporting one that is not."""
        good = True
        items = [node]
        availability = node.get("availability") or node.get("avty")
        if availability is not None and availability.is_sequence:
            items.extend(item for item in availability if item.is_mapping)
        for item in items:
            for key, child in item.items():
                long = ABBREVIATIONS.get(key, key)
                if not (long == "topic" or long.endswith("_topic")):
                    continue
                if not isinstance(child.value, str) or not child.value:
                    continue  # the entity reports what is not a topic at all
                try:
                    validate_filter(child.value)
                except ValueError as exc:
                    self.problems.add(child, f"not a topic the hub can subscribe to: {exc}")
                    good = False
        return good

    def _keys_read(self, platform: str, schema: Any) -> frozenset[str]:
        """Every key the platform's entity reads, found once by building one from a probe."""
        probe = dict(_PROBE)
        if isinstance(schema, str):
            probe["schema"] = schema
        cache_key = (platform, probe.get("schema", ""))
        keys = self._reads.get(cache_key)
        if keys is None:
            try:
                entity = FACTORIES[platform](
                    self.ctx, Discovered(platform, "probe", "probe", "probe", probe))
                keys = frozenset(entity.opts.used)
            except PayloadError:
                keys = frozenset()
            self._reads[cache_key] = keys
        return keys


def _report(node: Located, message: str, problems: Problems) -> None:
    """Put a discovery error (``<path>: key: what``) at the key's place in the file."""
    prefix = f"{node.path}: "
    text = message.removeprefix(prefix)
    target = node
    for _ in range(2):  # a key, then a key of a list item (availability[1]: topic: ...)
        head, sep, tail = text.partition(": ")
        child = _child(target, head) if sep else None
        if child is None:
            break
        target, text = child, tail
    problems.add(target, text)


def _child(node: Located, name: str) -> Located | None:
    """The value of `name` (long key, maybe with an index) in `node`, however it was
    written (long or abbreviated)."""
    match = _ITEM.match(name)
    key, index = (match.group(1), int(match.group(2))) if match else (name, None)
    child = node.get(key)
    if child is None and key in _SHORT:
        child = node.get(_SHORT[key])
    if child is None or index is None:
        return child
    return child[index] if child.is_sequence and index < len(child) else None
