"""A Home Assistant ``GET /api/states`` dump as capabilities, to try routing on a real home.

Home Assistant answers ``GET /api/states`` with a JSON list of entities:
``{"entity_id": "light.kitchen", "state": "on", "attributes": {"friendly_name": "Kitchen",
"device_class": ..., ...}, "last_changed": ...}``. Each becomes a capability of the entity's
domain with its standard tools: the friendly name is the name, ``device_class`` (and
``floor``/``area`` when an export adds them) become attributes, and the state with its
attributes is the capability's state. Entities of domains that have no standard tools
(``sun``, ``zone``, ``update``, ``automation``...) are skipped and counted.

The states API carries no areas; names that start with a room ("Kitchen ceiling") still
give the resolver an area through the name's words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.capfile import parse_capabilities
from hub.domains import KNOWN_TYPES
from hub.errors import ConfigError
from hub.located import located
from hub.model import Capability

_KEPT_ATTRIBUTES = ("device_class", "floor", "device")


@dataclass(frozen=True, slots=True)
class Imported:
    capabilities: tuple[Capability, ...]
    skipped: Mapping[str, int]
    """Entities left out, by domain (domains without standard tools)."""


def is_states_dump(raw: Any) -> bool:
    """Whether `raw` (parsed JSON) looks like Home Assistant's ``/api/states`` answer."""
    return (
        isinstance(raw, list)
        and bool(raw)
        and all(isinstance(e, dict) and "entity_id" in e and "id" not in e for e in raw)
    )


def from_states(raw: Sequence[Any], *, source: str = "ha-states") -> Imported:
    """Capabilities from a states dump; ConfigError names the entity that is malformed."""
    entries: list[dict[str, Any]] = []
    skipped: dict[str, int] = {}
    for index, entity in enumerate(raw):
        entity_id = entity.get("entity_id") if isinstance(entity, dict) else None
        if not isinstance(entity_id, str) or "." not in entity_id:
            raise ConfigError(
                f"[{index}]: expected an entity with 'entity_id' like 'light.kitchen', "
                f"got {str(entity)[:80]!r}"
            )
        domain = entity_id.split(".", 1)[0]
        if domain not in KNOWN_TYPES:
            skipped[domain] = skipped.get(domain, 0) + 1
            continue
        attributes = entity.get("attributes")
        attributes = attributes if isinstance(attributes, dict) else {}
        entry: dict[str, Any] = {"id": entity_id, "type": domain}
        name = attributes.get("friendly_name")
        if isinstance(name, str) and name.strip():
            entry["name"] = name
        for key in _KEPT_ATTRIBUTES:
            if isinstance(attributes.get(key), str):
                entry[key] = attributes[key]
        if isinstance(attributes.get("area"), str):
            entry["area"] = attributes["area"]
        state = {k: v for k, v in attributes.items() if k != "friendly_name"}
        if "state" in entity:
            state["state"] = entity["state"]
        entry["state"] = state
        entries.append(entry)
    return Imported(parse_capabilities(located(entries), source=source), dict(skipped))


__all__ = ["Imported", "from_states", "is_states_dump"]
