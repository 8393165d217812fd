"""Zigbee2MQTT groups (``<base>/bridge/groups``) as capabilities, as Zigbee2MQTT's Home
Assistant discovery makes them.

A group has no definition of its own: its lights, switches, locks and covers come from
its members' exposes, one entity per kind (a light takes every feature any member's light
has, so a group of colour and white bulbs can still be coloured); features lose their
endpoint (``state_l1`` is the group's ``state``). The group then runs as a device named
as the group: state from ``<base>/<group>``, commands to ``<base>/<group>/set``. Members
the hub does not know (not in the device list, or not interviewed) add nothing; a group
whose members bring nothing has no capability.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from hub.errors import PayloadError
from integrations.zigbee2mqtt.definition import DeviceInfo, friendly_name_problem
from integrations.zigbee2mqtt.exposes import Expose

GROUP = "group:"
"""Prefix of a group's key among the bridge's devices (devices are keyed by address)."""
_KINDS = ("light", "switch", "lock", "cover")


def _plain(feature: Expose) -> Expose:
    """The feature as a group has it: its property without the member's endpoint."""
    prop = feature.property
    if feature.endpoint and prop.endswith(f"_{feature.endpoint}"):
        prop = prop[: -len(feature.endpoint) - 1]
    return replace(feature, property=prop, endpoint="")


def merge(member_exposes: list[tuple[Expose, ...]]) -> tuple[Expose, ...]:
    by_kind: dict[str, list[Expose]] = {}
    for exposes in member_exposes:
        for expose in exposes:
            if expose.type not in _KINDS:
                continue
            key = expose.type
            state = expose.feature("state")
            if expose.type != "light" and expose.endpoint and state is not None:
                key += _plain(state).property
            by_kind.setdefault(key, []).append(expose)
    merged = []
    for same in by_kind.values():
        features: dict[str, Expose] = {}
        for expose in same:
            for feature in expose.features:
                features.setdefault(feature.name, _plain(feature))
        merged.append(replace(same[0], endpoint="", features=tuple(features.values())))
    return tuple(merged)


def group_info(entry: Any, exposes_of: Callable[[str], tuple[Expose, ...] | None],
               where: str) -> DeviceInfo | None:
    """The group as a device, or None when its members bring no entity."""
    if not isinstance(entry, Mapping):
        raise PayloadError(f"{where}: expected an object, got {type(entry).__name__}")
    group_id, name = entry.get("id"), entry.get("friendly_name")
    if type(group_id) is not int:
        raise PayloadError(f"{where}: missing 'id'")
    if not isinstance(name, str) or not name.strip():
        raise PayloadError(f"{where} (group {group_id}): missing 'friendly_name'")
    problem = friendly_name_problem(name)
    if problem is not None:
        raise PayloadError(f"{where}: {problem}")
    members = entry.get("members")
    if not isinstance(members, list):
        raise PayloadError(f"{where} ({name}): members: expected a list")
    found = [exposes_of(m["ieee_address"]) for m in members
             if isinstance(m, Mapping) and isinstance(m.get("ieee_address"), str)]
    exposes = merge([e for e in found if e])
    if not exposes:
        return None
    description = entry.get("description")
    return DeviceInfo(
        ieee_address=f"{GROUP}{group_id}", friendly_name=name, exposes=exposes,
        vendor="Zigbee2MQTT", model="group",
        model_description=f"Zigbee group of {len(found)} devices",
        description=description if isinstance(description, str) else "",
    )
