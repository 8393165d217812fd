"""The hub side of the demo: what the simulated devices publish becomes capabilities.

These adapters read the same public conventions a real Zigbee2MQTT bridge, Home Assistant
discovery device or camera uses; the full integrations for those ecosystems build on the
same ideas (see docs/integrations/).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from hub.confirmations import Confirmations
from hub.domains import standard_tools
from hub.errors import PayloadError, ToolError
from hub.fabric import Message
from hub.model import Capability, ToolResult, Trigger

if TYPE_CHECKING:
    from hub.runtime import Hub



def parse_object(message: Message) -> dict[str, Any]:
    """A JSON object from a device payload, or PayloadError saying what is wrong."""
    try:
        value = json.loads(message.payload)
    except UnicodeDecodeError as exc:
        raise PayloadError(f"{message.topic}: payload is not UTF-8") from exc
    except ValueError as exc:
        raise PayloadError(f"{message.topic}: payload is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise PayloadError(f"{message.topic}: expected a JSON object, got {type(value).__name__}")
    return value


def _int_field(topic: str, data: Mapping[str, Any], key: str, low: int, high: int) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise PayloadError(f"{topic}: {key}: expected {low}..{high}, got {value!r}")
    return value


class Z2MLight:
    """A Zigbee2MQTT light: state on `<topic>`, commands on `<topic>/set`."""

    def __init__(self, hub: Hub, capability_id: str, topic: str, name: str, area: str) -> None:
        self.hub = hub
        self.topic = topic
        self.confirm = Confirmations()
        self.capability = Capability(
            id=capability_id, type="light", name=name, area=area, node=hub.identity.node_id,
            description=f"Dimmable Zigbee light in the {area}",
            tools=standard_tools("light"), source="demo",
            attributes={"protocol": "zigbee2mqtt", "topic": topic},
        )

    def attach(self) -> None:
        self.hub.registry.add(self.capability, self.handle)
        self.hub.fabric.subscribe(self.topic, self._on_state)
        self.hub.fabric.subscribe(f"{self.topic}/availability", self._on_availability)

    def _on_state(self, message: Message) -> None:
        try:
            state = self.parse(message)
        except PayloadError as exc:
            self.hub.bad_input.report(message.topic, str(exc))
            return
        self.hub.registry.set_state(self.capability.id, state)
        self.confirm.resolve(state)

    def _on_availability(self, message: Message) -> None:
        try:
            online = parse_object(message).get("state") == "online"
        except PayloadError:
            online = message.payload.strip() == b"online"
        self.hub.registry.set_available(self.capability.id, online)

    @staticmethod
    def parse(message: Message) -> dict[str, Any]:
        data = parse_object(message)
        topic = message.topic
        state: dict[str, Any] = {}
        raw = data.get("state")
        if raw is not None:
            if raw not in ("ON", "OFF"):
                raise PayloadError(f"{topic}: state: expected \"ON\" or \"OFF\", got {raw!r}")
            state["state"] = raw.lower()
        brightness = _int_field(topic, data, "brightness", 0, 254)
        if brightness is not None:
            state["brightness"] = round(brightness * 255 / 254)  # Z2M 0..254, HA 0..255
            state["brightness_pct"] = round(brightness * 100 / 254)
        mired = _int_field(topic, data, "color_temp", 50, 1000)
        if mired is not None:
            state["color_temp_kelvin"] = round(1_000_000 / mired)
        for key in ("color_mode", "color", "linkquality"):
            if key in data:
                state[key] = data[key]
        if not state:
            raise PayloadError(f"{topic}: no known light field in {sorted(data)}")
        return state

    async def handle(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool == "get_state":
            current = self.hub.registry.get(self.capability.id)
            return ToolResult(value={"state": dict(current.state), "available": current.available})
        command, expect = self.command(tool, arguments)
        timeout = 5.0
        state = await self.confirm.wait(
            expect,
            lambda: self.hub.fabric.publish(f"{self.topic}/set", json.dumps(command).encode()),
            timeout, f"{self.capability.id}/{tool}",
        )
        return ToolResult(value={"state": dict(state)})

    def command(
        self, tool: str, args: Mapping[str, Any]
    ) -> tuple[dict[str, Any], Callable[[Mapping[str, Any]], bool]]:
        """The Zigbee2MQTT `/set` payload for a tool, and how to know the light did it."""
        if tool == "turn_off":
            command: dict[str, Any] = {"state": "OFF"}
            if "transition" in args:
                command["transition"] = args["transition"]
            return command, lambda s: s.get("state") == "off"
        if tool == "toggle":
            return {"state": "TOGGLE"}, lambda s: "state" in s
        if tool != "turn_on":
            raise ToolError(f"{self.capability.id}: tool {tool!r} is not supported by this light")
        command = {"state": "ON"}
        current = self.hub.registry.get(self.capability.id).state
        if "brightness_pct" in args:
            command["brightness"] = round(args["brightness_pct"] * 254 / 100)
        elif "brightness" in args:
            command["brightness"] = round(args["brightness"] * 254 / 255)
        elif "brightness_step_pct" in args:
            now = current.get("brightness_pct", 100 if current.get("state") == "on" else 0)
            pct = max(0, min(100, now + args["brightness_step_pct"]))
            command["brightness"] = round(pct * 254 / 100)
        if "color_temp_kelvin" in args:
            command["color_temp"] = round(1_000_000 / args["color_temp_kelvin"])
        if "color_name" in args or "rgb_color" in args:
            command["color"] = {"hex": _hex_colour(args)}
        if "transition" in args:
            command["transition"] = args["transition"]
        target = command.get("brightness")
        if target == 0:
            return command, lambda s: s.get("state") == "off"
        if target is None:
            return command, lambda s: s.get("state") == "on"
        pct = round(target * 100 / 254)
        return command, lambda s: s.get("state") == "on" and s.get("brightness_pct") == pct


def _hex_colour(args: Mapping[str, Any]) -> str:
    if "rgb_color" in args:
        r, g, b = (int(v) for v in args["rgb_color"])
        return f"#{r:02x}{g:02x}{b:02x}"
    from PIL import ImageColor  # CSS colour names, as Home Assistant's color_name accepts

    try:
        r, g, b = ImageColor.getrgb(str(args["color_name"]))[:3]
    except ValueError:
        raise PayloadError(f"color_name: unknown colour {args['color_name']!r}") from None
    return f"#{r:02x}{g:02x}{b:02x}"


class Z2MMotion:
    """A Zigbee2MQTT occupancy sensor: a binary_sensor that fires `motion_detected`."""

    def __init__(self, hub: Hub, capability_id: str, topic: str, name: str, area: str) -> None:
        self.hub = hub
        self.topic = topic
        self.trigger = Trigger(
            name="motion_detected", description=f"Motion detected in the {area}",
            intent="motion detected in {area}", priority=1, throttle=10.0,
            payload={"type": "object", "properties": {"occupancy": {"type": "boolean"}}},
        )
        self.capability = Capability(
            id=capability_id, type="binary_sensor", name=name, area=area,
            node=hub.identity.node_id, description=f"Motion sensor in the {area}",
            tools=standard_tools("binary_sensor"), triggers=(self.trigger,), source="demo",
            attributes={"device_class": "motion", "protocol": "zigbee2mqtt", "topic": topic},
        )

    def attach(self) -> None:
        self.hub.registry.add(self.capability)
        self.hub.fabric.subscribe(self.topic, self._on_state)

    def _on_state(self, message: Message) -> None:
        try:
            data = parse_object(message)
            occupancy = data.get("occupancy")
            if not isinstance(occupancy, bool):
                raise PayloadError(f"{message.topic}: occupancy: expected true or false, "
                                   f"got {occupancy!r}")
        except PayloadError as exc:
            self.hub.bad_input.report(message.topic, str(exc))
            return
        state = {"state": "on" if occupancy else "off"}
        for key in ("battery", "illuminance_lux", "linkquality"):
            if key in data:
                state[key] = data[key]
        before = self.hub.registry.get(self.capability.id).state.get("state")
        self.hub.registry.set_state(self.capability.id, state)
        if occupancy and before != "on":
            self.hub.firing.fire(self.capability.id, self.trigger, {"occupancy": True},
                                 area=self.capability.area)


class DiscoveredSensor:
    """A sensor announced by Home Assistant MQTT discovery (the demo's subset of it)."""

    ABBREVIATIONS: ClassVar[dict[str, str]] = {"stat_t": "state_topic", "val_tpl": "value_template",
                     "unit_of_meas": "unit_of_measurement", "dev_cla": "device_class",
                     "uniq_id": "unique_id", "avty_t": "availability_topic",
                     "stat_cla": "state_class", "dev": "device"}

    def __init__(self, hub: Hub, config_topic: str, area: str) -> None:
        self.hub = hub
        self.config_topic = config_topic
        self.area = area
        self.capability: Capability | None = None
        self._template: Any = None
        self._cancels: list[Callable[[], None]] = []

    def attach(self) -> None:
        self.hub.fabric.subscribe(self.config_topic, self._on_config)

    def _on_config(self, message: Message) -> None:
        try:
            config = self.expand(parse_object(message))
            for key in ("state_topic", "unique_id"):
                if not isinstance(config.get(key), str):
                    raise PayloadError(f"{message.topic}: missing required key {key!r}")
        except PayloadError as exc:
            self.hub.bad_input.report(message.topic, str(exc))
            return
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        self._template = ImmutableSandboxedEnvironment().from_string(
            config.get("value_template", "{{ value }}")
        )
        self.capability = Capability(
            id=f"sensor.{config['unique_id']}", type="sensor",
            name=str(config.get("name", config["unique_id"])), area=self.area,
            node=self.hub.identity.node_id, tools=standard_tools("sensor"), source="demo",
            description=f"{config.get('device_class', 'sensor')} in the {self.area}",
            attributes={"device_class": config.get("device_class"),
                        "unit_of_measurement": config.get("unit_of_measurement"),
                        "protocol": "homeassistant-discovery"},
        )
        self.hub.registry.add(self.capability)
        for cancel in self._cancels:
            cancel()
        self._cancels = [self.hub.fabric.subscribe(config["state_topic"], self._on_state)]
        if isinstance(config.get("availability_topic"), str):
            self._cancels.append(
                self.hub.fabric.subscribe(config["availability_topic"], self._on_availability)
            )

    def expand(self, config: dict[str, Any]) -> dict[str, Any]:
        base = config.pop("~", None)
        out: dict[str, Any] = {}
        for key, value in config.items():
            key = self.ABBREVIATIONS.get(key, key)
            if isinstance(base, str) and isinstance(value, str) and key.endswith("_topic"):
                value = value.replace("~", base) if value.startswith("~") or value.endswith("~") else value
            out[key] = value
        return out

    def _on_state(self, message: Message) -> None:
        assert self.capability is not None
        try:
            text = message.payload.decode()
            try:
                value_json = json.loads(text)
            except ValueError:
                value_json = None
            rendered = self._template.render(value=text, value_json=value_json).strip()
        except Exception as exc:  # noqa: BLE001 - a template error is bad input, never a crash
            self.hub.bad_input.report(message.topic, f"{message.topic}: {exc}")
            return
        value: Any = rendered
        try:
            value = float(rendered)
        except ValueError:
            pass
        self.hub.registry.set_state(self.capability.id, {"state": value})

    def _on_availability(self, message: Message) -> None:
        if self.capability is not None:
            online = message.payload.strip() == b"online"
            self.hub.registry.set_available(self.capability.id, online)


class SnapshotCamera:
    """A camera whose frames arrive as JPEG bytes on `<topic>/snapshot`."""

    def __init__(self, hub: Hub, capability_id: str, topic: str, name: str, area: str,
                 max_age: float) -> None:
        self.hub = hub
        self.topic = topic
        self.max_age = max_age
        self.frame = b""
        self.frame_at = 0.0
        self._fresh: asyncio.Event = asyncio.Event()
        self.capability = Capability(
            id=capability_id, type="camera", name=name, area=area, node=hub.identity.node_id,
            description=f"Camera watching the {area}", tools=standard_tools("camera"),
            source="demo", attributes={"topic": topic, "content_type": "image/jpeg"},
        )

    def attach(self) -> None:
        self.hub.registry.add(self.capability, self.handle)
        self.hub.fabric.subscribe(f"{self.topic}/snapshot", self._on_frame)
        self.hub.fabric.subscribe(f"{self.topic}/availability", self._on_availability)

    def _on_frame(self, message: Message) -> None:
        if not message.payload.startswith(b"\xff\xd8"):
            self.hub.bad_input.report(message.topic, f"{message.topic}: not a JPEG frame")
            return
        self.frame = message.payload
        self.frame_at = time.monotonic()
        self.hub.registry.set_state(
            self.capability.id, {"state": "streaming", "frame_bytes": len(self.frame),
                                 "frame_time": round(time.time(), 3)},
        )
        self._fresh.set()
        self._fresh = asyncio.Event()

    def _on_availability(self, message: Message) -> None:
        self.hub.registry.set_available(self.capability.id, message.payload.strip() == b"online")

    async def handle(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        if tool == "get_state":
            current = self.hub.registry.get(self.capability.id)
            return ToolResult(value={"state": dict(current.state), "available": current.available})
        if tool != "get_frame":
            raise ToolError(f"{self.capability.id}: tool {tool!r} is not supported")
        if not self.frame or time.monotonic() - self.frame_at > self.max_age:
            fresh = self._fresh
            self.hub.fabric.publish(f"{self.topic}/command", b"snapshot")
            try:
                async with asyncio.timeout(5.0):
                    await fresh.wait()
            except TimeoutError:
                if not self.frame:
                    raise ToolError(f"{self.capability.id}: no frame within 5 s") from None
        return ToolResult(data=self.frame, content_type="image/jpeg")
