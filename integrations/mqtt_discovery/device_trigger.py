"""Device triggers (`device_automation` discovery): button presses, remote actions.

A device trigger belongs to a device, not to an entity, so the triggers of one device are
gathered on one capability of its own, ``event.<device id>`` (Home Assistant's `event`
domain: its state is the last event). Each announced trigger becomes a `Trigger` on it,
named ``<type>_<subtype>``, with the intent text ``"<type> <subtype> on <device name>"``
(``"button_short_press button_1 on Hall remote"``); a message on its `topic` (matching
`payload`, after `value_template`, when one is given) fires it as `TriggerFired`.
Retained messages replayed at subscription are old news and fire nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from hub.errors import PayloadError
from hub.model import Capability, Trigger
from hub.templates import Template
from integrations.mqtt_discovery.entity import Context, Device, Discovered, read_device, slug
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload

_LOGGER = logging.getLogger(__name__)

_KEYS = frozenset({"platform", "automation_type", "topic", "type", "subtype", "payload",
                   "value_template", "qos", "device", "origin", "encoding"})

_PAYLOAD_SCHEMA = MappingProxyType({"type": "object", "properties": MappingProxyType({
    "type": MappingProxyType({"type": "string"}),
    "subtype": MappingProxyType({"type": "string"}),
    "payload": MappingProxyType({"type": "string"}),
})})


@dataclass(frozen=True, slots=True)
class DeviceTrigger:
    key: str
    device: Device
    topic: str
    type: str
    subtype: str
    payload: str | None
    template: Template | None
    qos: int
    trigger: Trigger
    discovery_topic: str = ""

    @property
    def capability_id(self) -> str:
        return f"event.{self.device.id}"


def read_trigger(ctx: Context, found: Discovered) -> DeviceTrigger:
    """The trigger of a `device_automation` configuration; PayloadError if malformed."""
    opts = Options(found.config, found.topic, ctx.templates)
    kind = opts.text("automation_type", "")
    if kind != "trigger":
        raise opts.error("automation_type", f"expected 'trigger', got {kind!r}")
    topic = opts.subscribe_topic("topic", required=True) or ""
    type_ = opts.optional_text("type")
    subtype = opts.optional_text("subtype")
    if not type_ or not subtype:
        missing = "type" if not type_ else "subtype"
        raise opts.error(missing, "missing; a device trigger needs type and subtype")
    device = read_device(opts)
    if device is None:
        raise opts.error("device", "missing; a device trigger belongs to a device")
    device_name = device.name or device.id
    unknown = opts.unknown_keys(_KEYS)
    if unknown:
        _LOGGER.debug("ignored unknown keys topic=%s keys=%s", found.topic, unknown)
    config = ctx.config
    return DeviceTrigger(
        key=found.key, device=device, topic=topic, type=type_, subtype=subtype,
        payload=opts.optional_text("payload"), template=opts.template("value_template"),
        qos=opts.integer("qos", 0, low=0, high=2),
        trigger=Trigger(
            name=slug(f"{type_}_{subtype}") or "trigger",
            description=f"{type_.replace('_', ' ')} ({subtype}) on {device_name}",
            intent=f"{type_} {subtype} on {device_name}",
            payload=_PAYLOAD_SCHEMA, priority=config.trigger_priority,
            throttle=config.trigger_throttle,
        ),
        discovery_topic=found.topic,
    )


MAX_PER_DEVICE = 256
"""Device triggers on one device's capability at most (a remote has a few dozen): each
change re-registers the capability with all of them."""


class DeviceTriggers:
    """The device triggers of every device, and the `event.<device>` capabilities."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._triggers: dict[str, DeviceTrigger] = {}
        self._cancels: dict[str, Any] = {}
        self._by_capability: dict[str, dict[str, DeviceTrigger]] = {}
        """capability id -> (announcement key -> trigger), in announcement order."""

    def __len__(self) -> int:
        return len(self._triggers)

    def put(self, item: DeviceTrigger) -> None:
        """Add or replace the trigger of `item.key`; PayloadError when its device has
        `MAX_PER_DEVICE` triggers already."""
        old = self._triggers.get(item.key)
        mine = self._by_capability.get(item.capability_id, {})
        if item.key not in mine and len(mine) >= MAX_PER_DEVICE:
            raise PayloadError(f"{item.discovery_topic}: not added: device {item.device.id} has "
                               f"{len(mine)} device triggers, the limit")
        self._triggers[item.key] = item
        if old is not None:
            self._by_capability.get(old.capability_id, {}).pop(item.key, None)
        self._by_capability.setdefault(item.capability_id, {})[item.key] = item
        cancel = self._ctx.router.subscribe(item.topic, lambda p: self._on_message(item, p),
                                            source=item.key, qos=item.qos)
        old_cancel = self._cancels.pop(item.key, None)
        self._cancels[item.key] = cancel
        if old_cancel is not None:
            old_cancel()
        if old is not None and old.capability_id != item.capability_id:
            self._register(old.capability_id)
        self._register(item.capability_id)

    def remove(self, key: str) -> bool:
        old = self._triggers.pop(key, None)
        if old is None:
            return False
        self._by_capability.get(old.capability_id, {}).pop(key, None)
        self._cancels.pop(key)()
        self._register(old.capability_id)
        return True

    def close(self) -> None:
        for key in list(self._triggers):
            self.remove(key)

    def _register(self, capability_id: str) -> None:
        """Register (or update, or withdraw when none is left) a device's capability."""
        registry = self._ctx.hub.registry
        mine = list(self._by_capability.get(capability_id, {}).values())
        if not mine:
            self._by_capability.pop(capability_id, None)
            registry.remove(capability_id)
            return
        device = mine[-1].device  # the latest announcement names the device
        name = device.name or device.id
        triggers: dict[str, Trigger] = {t.trigger.name: t.trigger for t in mine}
        registry.add(Capability(
            id=capability_id, type="event", name=name, area=device.area,
            node=self._ctx.hub.node_id, source="mqtt_discovery",
            description=f"Buttons and actions of {name}"
                        + (f" in the {device.area}" if device.area else ""),
            tools=_event_tools(), triggers=tuple(triggers.values()),
            attributes=MappingProxyType({
                "protocol": "mqtt_discovery",
                "device": dict(device.info, id=device.id, name=device.name),
                "event_types": sorted({f"{t.type} {t.subtype}" for t in mine}),
            }),
        ))

    def _on_message(self, item: DeviceTrigger, payload: Payload) -> None:
        if payload.retain:
            return
        value = payload.text if item.template is None else item.template.render(
            payload.variables).strip()
        if item.payload is not None and value != item.payload:
            return
        hub = self._ctx.hub
        if item.capability_id not in hub.registry:
            raise PayloadError(f"{payload.topic}: device trigger of a withdrawn device")
        hub.registry.set_state(item.capability_id, {
            "state": hub.clock.now().isoformat(timespec="milliseconds"),
            "event_type": item.type, "subtype": item.subtype,
        })
        hub.firing.fire(item.capability_id, item.trigger,
                        {"type": item.type, "subtype": item.subtype, "payload": value})


def _event_tools() -> tuple[Any, ...]:
    from hub.domains import standard_tools

    return standard_tools("event")
