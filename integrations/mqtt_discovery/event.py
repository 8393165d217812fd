"""Events and tags: what a device reports happening, as push triggers.

- ``event``: `state_topic` carries JSON with `event_type` (one of `event_types`) and any
  other attributes (through `value_template`); each event type is a trigger of its own, and
  the state is the last event type with its time and attributes, as Home Assistant's event
  entities have it. An unknown event type is bad input.
- ``tag``: a tag scanner; `topic` carries the tag id (through `value_template`); every scan
  fires ``tag_scanned`` with ``tag_id``. Home Assistant needs the `device` block here.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

from hub.errors import PayloadError
from hub.model import Trigger
from integrations.mqtt_discovery.entity import Entity
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler


def _object(**properties: Any) -> MappingProxyType[str, Any]:
    return MappingProxyType({"type": "object", "properties": MappingProxyType(properties)})


class Event(Entity):
    domain = "event"

    def configure(self, opts: Options) -> None:
        self.state_topic = opts.subscribe_topic("state_topic", required=True) or ""
        self.value_template = opts.template("value_template")
        self.event_types = opts.text_list("event_types")
        if not self.event_types:
            raise opts.error("event_types", "missing; an event needs its list of event types")
        self.device_class = opts.optional_text("device_class")
        config = self.ctx.config
        self._triggers = {
            kind: Trigger(
                name=kind, intent="{name} " + kind.replace("_", " "),
                description=f"Fires when {self.name} reports {kind}.",
                priority=config.trigger_priority, throttle=config.trigger_throttle,
                payload=_object(event_type=MappingProxyType({"const": kind})),
            )
            for kind in self.event_types
        }

    def attributes(self) -> dict[str, Any]:
        return {"event_types": list(self.event_types), "device_class": self.device_class}

    def triggers(self) -> tuple[Trigger, ...]:
        return tuple(self._triggers.values())

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        yield self.state_topic, self._on_event

    def _on_event(self, payload: Payload) -> None:
        text = self.value(payload, self.value_template)
        data = Payload(payload.topic, text.encode(), payload.retain).json_object()
        kind = data.get("event_type")
        trigger = self._triggers.get(kind) if isinstance(kind, str) else None
        if trigger is None:
            raise PayloadError(f"{payload.topic}: event_type {kind!r} is not one of "
                               f"{', '.join(self.event_types)}")
        if payload.retain:
            return  # a retained event is old news
        attributes = {k: v for k, v in data.items() if k != "event_type"}
        self.update({"state": self.ctx.hub.clock.now().isoformat(timespec="seconds"),
                     "event_type": kind, "event_attributes": attributes})
        self.ctx.hub.firing.fire(self.id, trigger, {"event_type": kind, **attributes},
                                 area=self.area or self.name, name=self.name)


class Tag(Entity):
    domain = "tag"

    def configure(self, opts: Options) -> None:
        self.topic = opts.subscribe_topic("topic", required=True) or ""
        self.value_template = opts.template("value_template")
        if self.device is None:
            raise opts.error("device", "missing; a tag scanner needs its device block")
        config = self.ctx.config
        self.trigger = Trigger(
            name="tag_scanned", intent="tag {tag_id} scanned at {name}",
            description=f"Fires when {self.name} scans a tag.",
            priority=config.trigger_priority, throttle=0.0,
            payload=_object(tag_id=MappingProxyType({"type": "string"})),
        )

    def triggers(self) -> tuple[Trigger, ...]:
        return (self.trigger,)

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        yield self.topic, self._on_scan

    def _on_scan(self, payload: Payload) -> None:
        tag_id = self.value(payload, self.value_template)
        if not tag_id or payload.retain:
            return
        self.update({"state": tag_id,
                     "last_scanned": self.ctx.hub.clock.now().isoformat(timespec="seconds")})
        self.ctx.hub.firing.fire(self.id, self.trigger, {"tag_id": tag_id},
                                 area=self.area or self.name, name=self.name, tag_id=tag_id)
