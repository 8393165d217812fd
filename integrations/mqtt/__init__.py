"""Home Assistant's manual MQTT entities: `light:`, `switch:`, `sensor:`... under `mqtt:`.

The hub's configuration reader hands this integration the entities written under the
top-level `mqtt:` key (both of Home Assistant's forms, joined into the mapping form; see
hub/config/mqtt.py); it is not written under `integrations:`. Each entity is a discovery
configuration that came from YAML: MQTT discovery's entity classes run it, so state
topics, templates, availability, commands and confirmations behave as they do for
discovered devices. See docs/integrations/mqtt.md.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.located import Located, Problems
from hub.templates import Templates
from integrations.mqtt.declared import SUPPORTED, read_entities
from integrations.mqtt_discovery.config import Config as DiscoveryConfig
from integrations.mqtt_discovery.config import validate as validate_discovery
from integrations.mqtt_discovery.discovery import FACTORIES
from integrations.mqtt_discovery.entity import Context, Discovered, Entity
from integrations.mqtt_discovery.router import TopicRouter

if TYPE_CHECKING:
    from hub.runtime import Hub

_LOGGER = logging.getLogger(__name__)

DISCOVERY = "mqtt_discovery"


@dataclass(frozen=True, slots=True)
class Config:
    entities: tuple[Discovered, ...] = ()
    """Every entity, checked, in the order written."""


def validate(raw: Located | None) -> Config:
    """Check the entities (the mapping form: platform -> list of entity mappings)."""
    problems = Problems()
    entities = read_entities(raw, problems) if raw is not None else ()
    problems.raise_if_any()
    return Config(entities)


def _options(hub: Hub) -> DiscoveryConfig:
    """Command timeout, image limit and trigger settings: the `mqtt_discovery` section's
    when it is configured (one place to tune both), else its defaults."""
    section = hub.config.integrations.get(DISCOVERY)
    return validate_discovery(section) if section is not None else DiscoveryConfig()


@asynccontextmanager
async def setup(hub: Hub, config: Config) -> AsyncIterator[None]:
    """Run every entity while inside; withdraw their capabilities on exit.

    An entity takes over a capability of the same id that is already registered (one
    declared under `capabilities:` without a provider, or one restored from the store).
    """
    ctx = Context(hub, Templates(), TopicRouter(hub.fabric, hub.bad_input), _options(hub))
    running: list[Entity] = []
    try:
        for found in config.entities:
            entity = FACTORIES[found.component](ctx, found)
            before = hub.registry.find(entity.id)
            entity.start()
            running.append(entity)
            if before is not None and before.source == "config":
                _LOGGER.info("mqtt entity provides the declared capability capability=%s "
                             "at=%s", entity.id, found.declared_at)
        _LOGGER.info("mqtt entities started count=%d", len(running))
        yield
    finally:
        for entity in reversed(running):
            entity.stop(remove=True)


__all__ = ["SUPPORTED", "Config", "setup", "validate"]
