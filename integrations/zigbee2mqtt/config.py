"""The `zigbee2mqtt:` section of configuration.yaml.

    integrations:
      zigbee2mqtt:
        base_topic: zigbee2mqtt        # Zigbee2MQTT's own `mqtt.base_topic`
        command_timeout: 5             # seconds a tool call waits for the device
        discovery_wait: 1              # seconds start-up waits for bridge/devices
        max_devices: 1000              # entries of bridge/devices read (a bigger list is cut)
        max_device_list_bytes: 16777216  # a larger bridge/devices is bad input
        devices:                       # optional: by friendly name or IEEE address
          kitchen/ceiling:
            name: Kitchen ceiling light
            area: kitchen
            aliases: [big light]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from hub.located import Located, Problems, Section, as_mapping
from integrations.zigbee2mqtt.definition import friendly_name_problem
from integrations.zigbee2mqtt.payload import BRIDGE_LIMIT

_OPTIONS = ("base_topic", "command_timeout", "discovery_wait", "max_devices",
            "max_device_list_bytes", "devices")
_DEVICE_OPTIONS = ("name", "area", "aliases")


@dataclass(frozen=True, slots=True)
class DeviceOptions:
    """What Zigbee2MQTT does not know about a device: how people call it and where it is."""

    name: str | None = None
    area: str | None = None
    aliases: tuple[str, ...] = ()


def _no_devices() -> Mapping[str, DeviceOptions]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Zigbee2MQTTConfig:
    base_topic: str = "zigbee2mqtt"
    command_timeout: float = 5.0
    """How long a tool call waits for the device to report the asked state."""
    discovery_wait: float = 1.0
    """How long start-up waits for the retained device list before going on without it."""
    max_devices: int = 1000
    """Entries of the device list read (the coordinator's too), and devices run at most."""
    max_device_list_bytes: int = BRIDGE_LIMIT
    """A larger device list is bad input."""
    devices: Mapping[str, DeviceOptions] = field(default_factory=_no_devices)
    """Options by friendly name or IEEE address."""

    def options(self, friendly_name: str, ieee_address: str) -> DeviceOptions:
        return (self.devices.get(friendly_name) or self.devices.get(ieee_address)
                or DeviceOptions())


def validate(raw: Located | None) -> Zigbee2MQTTConfig:
    """Check the section; a bare `zigbee2mqtt:` means every default."""
    problems = Problems()
    section = Section(raw, problems, _OPTIONS)
    base_topic = section.text("base_topic", "zigbee2mqtt")
    node = section.get("base_topic")
    if node is not None and isinstance(node.value, str) and not _topic_ok(base_topic):
        problems.add(node, f"expected an MQTT topic without wildcards or empty levels, "
                           f"got {node.describe()}")
    config = Zigbee2MQTTConfig(
        base_topic=base_topic,
        command_timeout=section.number("command_timeout", 5.0, low=0, low_open=True, high=300),
        discovery_wait=section.number("discovery_wait", 1.0, low=0, high=60),
        max_devices=section.integer("max_devices", 1000, low=1, high=100_000),
        max_device_list_bytes=section.integer("max_device_list_bytes", BRIDGE_LIMIT,
                                              low=1024, high=256 * 1024 * 1024),
        devices=_devices(section.get("devices"), problems),
    )
    problems.raise_if_any()
    return config


def _devices(node: Located | None, problems: Problems) -> Mapping[str, DeviceOptions]:
    if node is None or not as_mapping(node, problems):
        return MappingProxyType({})
    devices: dict[str, DeviceOptions] = {}
    for key, child in node.items():
        problem = friendly_name_problem(key)
        if problem is not None:
            problems.add(child, problem, at_key=True)
            continue
        options = Section(child, problems, _DEVICE_OPTIONS)
        devices[key] = DeviceOptions(
            name=options.optional_text("name"),
            area=options.optional_text("area"),
            aliases=options.texts("aliases"),
        )
    return MappingProxyType(devices)


def _topic_ok(topic: str) -> bool:
    return bool(topic) and not any(c in topic for c in "+#") and "" not in topic.split("/")
