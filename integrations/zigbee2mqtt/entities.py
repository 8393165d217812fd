"""A device's exposes become its entities: the specific ones first (a light, a lock...),
then one capability per remaining generic property (sensors, binary sensors, events...).

Every top-level generic expose is an entity of its own, as Zigbee2MQTT's Home Assistant
discovery makes it (a cover's ``moving`` is also a sensor; settings such as
``power_on_behavior`` are selects with ``entity_category: config``). ``linkquality`` is
left out: Home Assistant disables it by default, every device reports it, and it changes
with every message. A climate device's own features that Home Assistant shows apart
(`local_temperature` when the device has no temperature sensor of its own,
`pi_heating_demand`, `local_temperature_calibration`) are entities too
(`climate.extras`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType

from integrations.zigbee2mqtt import climate, cover, fan, generic, light, naming, onoff
from integrations.zigbee2mqtt.entity import Context, Entity
from integrations.zigbee2mqtt.exposes import GENERIC, Expose
from integrations.zigbee2mqtt.extras import Update

SKIPPED_PROPERTIES = frozenset({"linkquality"})

Builder = Callable[[Context, Expose, str, tuple[Expose, ...]], Entity | None]

_SPECIFIC: Mapping[str, Builder] = MappingProxyType({
    "light": light.build,
    "cover": cover.build,
    "switch": lambda ctx, e, suffix, _all: onoff.build_switch(ctx, e, suffix),
    "lock": lambda ctx, e, suffix, _all: onoff.build_lock(ctx, e, suffix),
    "fan": lambda ctx, e, suffix, _all: fan.build(ctx, e, suffix),
    "climate": lambda ctx, e, suffix, _all: climate.build(ctx, e, suffix),
})


def build_entities(ctx: Context, exposes: tuple[Expose, ...]) -> list[Entity]:
    entities: list[Entity] = []
    ids: set[str] = set()
    read: set[str] = set()
    for expose in exposes:
        build = _SPECIFIC.get(expose.type)
        if build is None:
            continue
        suffix = naming.slug(expose.endpoint)
        entity = build(ctx, expose, suffix, exposes)
        if entity is None:
            continue
        n = 2
        while entity.id in ids:  # two unnamed exposes of one type: number the later ones
            entity = build(ctx, expose, f"{suffix}_{n}" if suffix else str(n), exposes)
            assert entity is not None
            n += 1
        ids.add(entity.id)
        read.update(entity.readers)
        entities.append(entity)
    names = [e.capability.name for e in entities]
    for i, entity in enumerate(entities):
        if names.index(entity.capability.name) < i:  # a fan's light: "Office fan light"
            cap = entity.capability
            entity.capability = replace(cap, name=f"{cap.name} {naming.words(cap.type)}")
    for expose in (*exposes, *climate.extras(exposes)):
        if expose.type not in GENERIC:
            continue
        if expose.property in SKIPPED_PROPERTIES:
            continue
        entity = generic.build(ctx, expose)
        if entity is None or entity.id in ids:
            continue
        ids.add(entity.id)
        read.update(entity.readers)
        entities.append(entity)
    if ctx.info.supports_ota:
        entities.append(Update(ctx))
    return entities
