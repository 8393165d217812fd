"""Sensors (a value) and binary sensors (on/off, with a push trigger when they turn on)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

from hub.errors import PayloadError
from hub.model import Trigger
from integrations.mqtt_discovery.entity import UNKNOWN, Entity, on_off
from integrations.mqtt_discovery.options import Options
from integrations.mqtt_discovery.payload import Payload
from integrations.mqtt_discovery.router import Handler


def number(text: str) -> int | float | None:
    """``"21"`` -> 21, ``"21.5"`` -> 21.5, anything else None: ``nan``, ``inf`` and
    ``1e999`` too (no reading; JSON, the store and the API have no such number), and an
    integer longer than Python reads (4,300 digits)."""
    if text.isdigit():  # the common integer case without raising
        try:
            return int(text)
        except ValueError:  # too many digits, or digits int() does not read ("²")
            return None
    try:
        value = float(text)
    except ValueError:
        return None
    if value - value:
        return None  # NaN or an infinity is no reading
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() \
        else value


class Sensor(Entity):
    domain = "sensor"
    STATE_KEYS = frozenset({"state", "last_reset"})

    def configure(self, opts: Options) -> None:
        self.state_topic = opts.subscribe_topic("state_topic", required=True) or ""
        self.value_template = opts.template("value_template")
        self.unit = opts.optional_text("unit_of_measurement")
        self.device_class = opts.optional_text("device_class")
        self.state_class = opts.optional_text("state_class")
        self.precision = opts.integer("suggested_display_precision", -1, low=0, high=15)
        self.expire_after = opts.number("expire_after", 0.0, low=0)
        self.force_update = opts.flag("force_update", False)
        self.last_reset_template = opts.template("last_reset_value_template")
        # a sensor with a unit or a state class measures something: its state is a number
        self.numeric = self.unit is not None or self.state_class is not None

    def attributes(self) -> dict[str, Any]:
        return {
            "device_class": self.device_class,
            "unit_of_measurement": self.unit,
            "state_class": self.state_class,
            "suggested_display_precision": self.precision if self.precision >= 0 else None,
        }

    def description(self) -> str:
        return f"{(self.device_class or 'sensor').replace('_', ' ')} sensor"

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        yield self.state_topic, self._on_state

    def _on_state(self, payload: Payload) -> None:
        changes: dict[str, Any] = {}
        bad_reset = None
        if self.last_reset_template is not None:
            # Home Assistant: read from the state message too; empty is ignored, a value
            # that is no time is reported and the reading kept
            reset = self.value(payload, self.last_reset_template)
            if reset and reset not in UNKNOWN:
                try:
                    changes["last_reset"] = datetime.fromisoformat(reset).isoformat()
                except ValueError:
                    bad_reset = (f"{payload.topic}: {self.id} last_reset: expected an ISO 8601 "
                                 f"date and time, got {reset[:40]!r}")
        text = self.value(payload, self.value_template)
        if text in UNKNOWN:
            changes["state"] = None
        elif (value := number(text)) is not None:
            changes["state"] = value
        elif self.numeric:
            raise PayloadError(f"{payload.topic}: {self.id} expects a number "
                               f"({self.unit or self.state_class}), got {text[:40]!r}")
        else:
            changes["state"] = text
        self.update(changes)
        if bad_reset is not None:
            raise PayloadError(bad_reset)


# device class -> (trigger name, intent template, priority boost); {area} is the area or
# the sensor's name when it has no area, {name} the sensor's name
_TRIGGERS: Mapping[str, tuple[str, str, int]] = MappingProxyType({
    "motion": ("motion_detected", "motion detected in {area}", 0),
    "occupancy": ("occupancy_detected", "occupancy detected in {area}", 0),
    "presence": ("presence_detected", "presence detected in {area}", 0),
    "door": ("door_opened", "{name} opened", 0),
    "garage_door": ("garage_door_opened", "{name} opened", 0),
    "window": ("window_opened", "{name} opened", 0),
    "opening": ("opened", "{name} opened", 0),
    "smoke": ("smoke_detected", "smoke detected in {area}", 2),
    "gas": ("gas_detected", "gas detected in {area}", 2),
    "carbon_monoxide": ("carbon_monoxide_detected", "carbon monoxide detected in {area}", 2),
    "moisture": ("leak_detected", "water leak detected in {area}", 2),
    "safety": ("unsafe", "{name} reports unsafe", 2),
    "problem": ("problem", "{name} reports a problem", 1),
    "tamper": ("tampering_detected", "tampering detected at {name}", 1),
    "vibration": ("vibration_detected", "vibration detected at {name}", 0),
    "sound": ("sound_detected", "sound detected in {area}", 0),
})


class BinarySensor(Entity):
    domain = "binary_sensor"

    def configure(self, opts: Options) -> None:
        self.state_topic = opts.subscribe_topic("state_topic", required=True) or ""
        self.value_template = opts.template("value_template")
        self.payload_on = opts.text("payload_on", "ON")
        self.payload_off = opts.text("payload_off", "OFF")
        self.device_class = opts.optional_text("device_class")
        self.off_delay = opts.number("off_delay", 0.0, low=0)
        self.expire_after = opts.number("expire_after", 0.0, low=0)
        self.force_update = opts.flag("force_update", False)
        name, intent, boost = _TRIGGERS.get(self.device_class or "",
                                            ("turned_on", "{name} turned on", 0))
        config = self.ctx.config
        self.trigger = Trigger(
            name=name, intent=intent, priority=config.trigger_priority + boost,
            throttle=config.trigger_throttle,
            description=f"Fires when {self.name} turns on.",
            payload=MappingProxyType({"type": "object", "properties": MappingProxyType(
                {"state": MappingProxyType({"type": "string", "enum": ["on"]})})}),
        )
        self._off_timer: Callable[[], None] | None = None

    def attributes(self) -> dict[str, Any]:
        return {"device_class": self.device_class}

    def description(self) -> str:
        return f"{(self.device_class or 'binary').replace('_', ' ')} sensor"

    def triggers(self) -> tuple[Trigger, ...]:
        return (self.trigger,)

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        yield self.state_topic, self._on_state

    def _on_state(self, payload: Payload) -> None:
        text = self.value(payload, self.value_template)
        state = on_off(payload, text, self.payload_on, self.payload_off)
        before = self.current().get("state")
        self.update({"state": state})
        if state == "on":
            self._schedule_off()
            # a retained "on" replayed at subscription is old news, not an event
            if before != "on" and not payload.retain:
                self.ctx.hub.firing.fire(self.id, self.trigger, {"state": "on"},
                                         area=self.area or self.name, name=self.name)

    def _schedule_off(self) -> None:
        if not self.off_delay:
            return
        self.stopped()
        clock = self.ctx.hub.clock
        self._off_timer = clock.call_at(clock.monotonic() + self.off_delay,
                                        lambda: self.update({"state": "off"}))

    def stopped(self) -> None:
        timer, self._off_timer = self._off_timer, None
        if timer is not None:
            timer()


class DeviceTracker(Entity):
    """Home Assistant's MQTT `device_tracker`: `state_topic` says `payload_home` ("home"),
    `payload_not_home` ("not_home"), `payload_reset` ("None": unknown) or a zone name;
    GPS trackers report latitude/longitude as JSON attributes (they need no state topic)."""

    domain = "device_tracker"
    STATE_KEYS = frozenset({"state"})

    def configure(self, opts: Options) -> None:
        self.state_topic = opts.subscribe_topic("state_topic")
        self.value_template = opts.template("value_template")
        self.payload_home = opts.text("payload_home", "home")
        self.payload_not_home = opts.text("payload_not_home", "not_home")
        self.payload_reset = opts.text("payload_reset", "None")
        self.source_type = opts.optional_text("source_type")

    def attributes(self) -> dict[str, Any]:
        return {"source_type": self.source_type}

    def subscriptions(self) -> Iterable[tuple[str, Handler]]:
        if self.state_topic is not None:
            yield self.state_topic, self._on_state

    def _on_state(self, payload: Payload) -> None:
        text = self.value(payload, self.value_template)
        if text == self.payload_reset or not text:
            state: str | None = None
        elif text == self.payload_home:
            state = "home"
        elif text == self.payload_not_home:
            state = "not_home"
        else:
            state = text  # a zone's name
        self.update({"state": state})
