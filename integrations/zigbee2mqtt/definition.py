"""One entry of Zigbee2MQTT's retained ``<base>/bridge/devices`` list, checked.

The list holds every device the bridge knows, the coordinator included. A device becomes
capabilities once its interview completed and Zigbee2MQTT knows its definition; disabled
devices and the coordinator are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.errors import PayloadError
from hub.inputs import shown, topic_problem
from integrations.zigbee2mqtt.exposes import Expose, parse_exposes


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    ieee_address: str
    friendly_name: str
    exposes: tuple[Expose, ...]
    vendor: str = ""
    model: str = ""
    model_description: str = ""
    """The definition's description, e.g. "Hue white ambiance E26/E27"."""
    description: str = ""
    """What the user wrote about the device in Zigbee2MQTT, if anything."""
    power_source: str = ""
    supported: bool = True
    supports_ota: bool = False
    """Zigbee2MQTT can update its firmware (an `update` entity, as Home Assistant has)."""


def entry_name(raw: Any) -> str | None:
    """The friendly name of a raw entry, if it has a usable one (for error sources): one
    that could be a topic, so that it is safe in a log line too."""
    if isinstance(raw, Mapping):
        name = raw.get("friendly_name")
        if isinstance(name, str) and name and friendly_name_problem(name) is None:
            return name
    return None


def parse_device(raw: Any, where: str) -> DeviceInfo | None:
    """A device from a ``bridge/devices`` entry (or a ``device_interview`` event's data).

    None for entries that are not (yet) devices with capabilities: the coordinator,
    disabled devices, devices still being interviewed or without a definition.
    PayloadError when the entry misses what every device has or its exposes are malformed.
    """
    if not isinstance(raw, Mapping):
        raise PayloadError(f"{where}: expected an object, got {type(raw).__name__}")
    if raw.get("type") == "Coordinator":
        return None
    ieee = raw.get("ieee_address")
    if not isinstance(ieee, str) or not ieee:
        raise PayloadError(f"{where}: missing 'ieee_address'")
    name = raw.get("friendly_name")
    if not isinstance(name, str) or not name.strip():
        raise PayloadError(f"{where} ({ieee}): missing 'friendly_name'")
    problem = friendly_name_problem(name)
    if problem is not None:
        raise PayloadError(f"{where}: {problem}")
    if raw.get("disabled") is True or raw.get("interview_completed") is False:
        return None
    definition = raw.get("definition")
    if definition is None:
        return None  # not interviewed yet, or unknown to Zigbee2MQTT: nothing to expose
    if not isinstance(definition, Mapping):
        raise PayloadError(f"{where} ({name}).definition: expected an object")
    exposes = parse_exposes(definition.get("exposes"), f"{where} ({name}).definition.exposes")
    return DeviceInfo(
        ieee_address=ieee,
        friendly_name=name,
        exposes=exposes,
        vendor=_text(definition.get("vendor")),
        model=_text(definition.get("model")),
        model_description=_text(definition.get("description")),
        description=_text(raw.get("description")),
        power_source=_text(raw.get("power_source")),
        supports_ota=definition.get("supports_ota") is True,
        supported=raw.get("supported") is not False,
    )


def friendly_name_problem(name: str) -> str | None:
    """Names become topic levels: wildcards or empty levels would break the subscriptions,
    and what a broker refuses in a topic (a NUL, a control character, a lone surrogate...)
    would get the hub disconnected on every subscribe (`hub.inputs.topic_problem`)."""
    if "+" in name or "#" in name:
        return f"friendly name {shown(name)} contains an MQTT wildcard (+ or #)"
    if name.startswith("/") or name.endswith("/") or "//" in name:
        return f"friendly name {shown(name)} has an empty topic level"
    problem = topic_problem(name)
    if problem is not None:
        return f"friendly name {shown(name)} {problem}"
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
