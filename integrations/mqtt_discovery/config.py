"""The `mqtt_discovery:` section of configuration.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from hub.located import Located, Problems, Section
from hub.templates import Budget

_BUDGET = Budget()

_KEYS = (
    "discovery_prefix", "birth", "birth_topic", "birth_payload", "command_timeout",
    "max_image_bytes", "max_entities", "trigger_priority", "trigger_throttle", "template_time",
    "template_operations", "template_size",
)


@dataclass(frozen=True, slots=True)
class Config:
    discovery_prefix: str = "homeassistant"
    birth: bool = True
    """Publish the birth message when the integration starts (and after each reconnect),
    so that devices send their discovery configurations again."""
    birth_topic: str = ""
    """Empty: ``<discovery_prefix>/status``, as Home Assistant uses."""
    birth_payload: str = "online"
    command_timeout: float = 5.0
    """Seconds a tool call waits for the device to report the state it was asked for."""
    max_image_bytes: int = 8 * 1024 * 1024
    """Largest camera image accepted; larger ones are bad input."""
    max_entities: int = 5000
    """Entities and device triggers at most; announcements beyond are bad input (each
    runs subscriptions and a capability, and anyone on the broker can announce)."""
    trigger_priority: int = 1
    """Priority of device triggers (button presses...) and binary sensor triggers."""
    trigger_throttle: float = 0.0
    """Minimum seconds between two firings of the same device trigger."""
    template_time: float = _BUDGET.time
    """Seconds one render of a device's template may take."""
    template_operations: int = _BUDGET.operations
    """Operations one render may spend (loop iterations, calls, filters, operators)."""
    template_size: int = _BUDGET.size
    """Characters of any text one render makes, and of its output."""

    @property
    def template_budget(self) -> Budget:
        return Budget(time=self.template_time, operations=self.template_operations,
                      size=self.template_size)

    @property
    def status_topic(self) -> str:
        return self.birth_topic or f"{self.discovery_prefix}/status"


def _topic(section: Section, key: str, default: str) -> str:
    value = section.text(key, default)
    node = section.get(key)
    if node is not None and ("+" in value or "#" in value):
        section.problems.add(node, f"expected a topic without + or #, got {node.describe()}")
    return value.rstrip("/") if key == "discovery_prefix" else value


def validate(raw: Located | None) -> Config:
    """Check the section; a bare `mqtt_discovery:` means every default."""
    problems = Problems()
    section = Section(raw, problems, _KEYS)
    defaults = Config()
    config = Config(
        discovery_prefix=_topic(section, "discovery_prefix", defaults.discovery_prefix),
        birth=section.flag("birth", defaults.birth),
        birth_topic=_topic(section, "birth_topic", defaults.birth_topic),
        birth_payload=section.text("birth_payload", defaults.birth_payload),
        command_timeout=section.number("command_timeout", defaults.command_timeout,
                                       low=0, high=60, low_open=True),
        max_image_bytes=section.integer("max_image_bytes", defaults.max_image_bytes,
                                        low=1024, high=256 * 1024 * 1024),
        max_entities=section.integer("max_entities", defaults.max_entities, low=1,
                                     high=1_000_000),
        trigger_priority=section.integer("trigger_priority", defaults.trigger_priority,
                                         low=0, high=10),
        trigger_throttle=section.number("trigger_throttle", defaults.trigger_throttle,
                                        low=0, high=86400),
        template_time=section.number("template_time", defaults.template_time,
                                     low=0, high=1, low_open=True),
        template_operations=section.integer("template_operations",
                                            defaults.template_operations, low=100,
                                            high=10_000_000),
        template_size=section.integer("template_size", defaults.template_size,
                                      low=1024, high=64 * 1024 * 1024),
    )
    problems.raise_if_any()
    return config
