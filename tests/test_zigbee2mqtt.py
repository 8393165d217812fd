"""The Zigbee2MQTT integration end to end: a real Mosquitto, a hub, and a test peer that
plays Zigbee2MQTT (the retained device list, state reports, answers to /set and /get)."""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest

from hub.errors import PayloadError, ToolError
from hub.events import AvailabilityChanged, StateChanged, TriggerFired
from hub.model import Capability
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import hub_config
from tests.mqtt import Peer, mqtt_peer
from tests.waiting import eventually

DATA = Path(__file__).parent / "data" / "zigbee2mqtt"
DEVICES: list[dict[str, Any]] = json.loads((DATA / "bridge_devices.json").read_text())


@dataclass
class FakeZigbee2MQTT:
    """Plays the Zigbee2MQTT side: answers `/set` with the new state and `/get` with the
    current one, the way the bridge publishes a device's state after a command."""

    peer: Peer
    base: str
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    silent: set[str] = field(default_factory=set)
    commands: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def publish_devices(self, devices: list[dict[str, Any]]) -> None:
        self.peer.publish(f"{self.base}/bridge/devices", json.dumps(devices), retain=True)

    def report(self, name: str, state: dict[str, Any], retain: bool = False) -> None:
        with self.lock:
            self.states.setdefault(name, {}).update(state)
        self.peer.publish(f"{self.base}/{name}", json.dumps(state), retain=retain)

    def sent(self, name: str, kind: str = "set") -> list[dict[str, Any]]:
        with self.lock:
            return [c for n, k, c in self.commands if n == name and k == kind]

    def on_message(self, client: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        topic = message.topic
        name, _, kind = topic[len(self.base) + 1:].rpartition("/")
        if kind not in ("set", "get") or name.startswith("bridge"):
            return
        command = json.loads(message.payload)
        with self.lock:
            self.commands.append((name, kind, command))
            if name in self.silent:
                return
            state = self.states.setdefault(name, {})
            if kind == "set":
                for key, value in command.items():
                    if value == "TOGGLE":
                        value = "OFF" if state.get(key) == "ON" else "ON"
                    if key not in ("transition", "on_time", "effect"):
                        state[key] = value
            reply = json.dumps(state)
        client.publish(topic.rsplit("/", 1)[0], reply)


@contextmanager
def fake_zigbee2mqtt(mosquitto: Mosquitto, base: str,
                     devices: list[dict[str, Any]] | None = None) -> Iterator[FakeZigbee2MQTT]:
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        fake = FakeZigbee2MQTT(peer, base)
        peer.client.on_message = fake.on_message
        peer.subscribe(f"{base}/#")
        fake.publish_devices(DEVICES if devices is None else devices)
        try:
            yield fake
        finally:  # retained messages would outlive the test on the shared broker
            peer.publish(f"{base}/bridge/devices", b"", retain=True)


def z2m_config(tmp_path: Path, mosquitto: Mosquitto, base: str, **options: Any) -> Any:
    section = {"base_topic": base, "command_timeout": 2, **options}
    return hub_config(tmp_path, mosquitto.host, mosquitto.port,
                      integrations={"zigbee2mqtt": section})


def ids_of(hub: Hub) -> set[str]:
    return {c.id for c in hub.registry.all() if c.source == "zigbee2mqtt"}


def params(hub: Hub, capability_id: str, tool: str) -> set[str]:
    spec = hub.registry.get(capability_id).tool(tool)
    assert spec is not None, f"{capability_id} has no {tool}"
    return set(spec.parameters["properties"])


# -- discovery ----------------------------------------------------------------------------------


async def test_devices_from_bridge_devices_become_capabilities_with_their_tools(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    with fake_zigbee2mqtt(mosquitto, base):
        config = z2m_config(tmp_path, mosquitto, base, devices={
            "kitchen_ceiling": {"area": "kitchen", "name": "Kitchen pendant",
                                "aliases": ["island light"]},
        })
        async with Hub(config) as hub:
            ids = ids_of(hub)
            assert {
                "light.living_room_floor_lamp", "light.kitchen_ceiling", "switch.stairs_switch_l1",
                "switch.stairs_switch_l2", "switch.coffee_machine", "sensor.coffee_machine_power",
                "switch.coffee_machine_child_lock", "binary_sensor.hallway_motion_occupancy",
                "sensor.hallway_motion_illuminance", "sensor.hallway_motion_battery",
                "binary_sensor.front_door_contact", "binary_sensor.bathroom_leak_water_leak",
                "event.kitchen_remote_action", "event.desk_button_action",
                "lock.back_door_lock", "cover.bedroom_blind", "fan.office_fan",
                "light.office_fan", "climate.bedroom_radiator",
                "sensor.living_room_climate_temperature",
            } <= ids
            # no coordinator, disabled or half-interviewed device; no linkquality
            assert not any("coordinator" in i or "garage" in i or "0x00158d0008192a3b" in i
                           or "linkquality" in i for i in ids)
            # settings are capabilities too, marked as Home Assistant marks them
            setting = hub.registry.get("select.coffee_machine_power_on_behavior")
            assert setting.attributes["entity_category"] == "config"
            assert {"select.kitchen_ceiling_effect",
                    "select.living_room_floor_lamp_power_on_behavior"} <= ids
            assert len(ids) == 44

            lamp = hub.registry.get("light.living_room_floor_lamp")
            assert (lamp.name, lamp.area, lamp.available) == ("Living room floor lamp",
                                                              "living room", True)
            assert lamp.attributes["topic"] == f"{base}/living_room/floor_lamp"
            assert lamp.attributes["supported_color_modes"] == ["brightness", "color_temp", "xy"]
            assert {"brightness_pct", "color_temp_kelvin", "hs_color", "rgb_color", "color_name",
                    "effect", "transition", "duration"} <= params(hub, lamp.id, "turn_on")

            pendant = hub.registry.get("light.kitchen_ceiling")
            assert (pendant.name, pendant.area, pendant.aliases) == (
                "Kitchen pendant", "kitchen", ("island light",))
            assert pendant.description == "Pendant above the island"
            assert "color_temp_kelvin" in params(hub, pendant.id, "turn_on")
            assert "hs_color" not in params(hub, pendant.id, "turn_on")
            assert pendant.attributes["min_color_temp_kelvin"] == 2202  # floor, as HA

            assert [t.name for t in hub.registry.get("cover.bedroom_blind").tools] == [
                "open_cover", "close_cover", "stop_cover", "toggle", "set_cover_position",
                "get_state"]
            assert [t.name for t in hub.registry.get("lock.back_door_lock").tools] == [
                "lock", "unlock", "get_state"]
            radiator = hub.registry.get("climate.bedroom_radiator")
            temperature = radiator.tool("set_temperature")
            assert temperature is not None
            assert temperature.parameters["properties"]["temperature"]["maximum"] == 35
            assert hub.registry.get("light.office_fan").name == "Office fan light"

            remote = hub.registry.get("event.desk_button_action")
            assert [t.name for t in remote.triggers] == [
                "single", "double", "triple", "quadruple", "hold", "release"]
            motion = hub.registry.get("binary_sensor.hallway_motion_occupancy")
            assert motion.attributes["device_class"] == "motion"
            assert (motion.triggers[0].intent, motion.triggers[0].priority) == (
                "motion detected in {area}", 1)
        assert ids_of(hub) == set(), "exit withdraws every capability"


async def test_a_hub_started_before_zigbee2mqtt_discovers_the_devices_later(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    async with Hub(z2m_config(tmp_path, mosquitto, base, discovery_wait=0)) as hub:
        assert ids_of(hub) == set()
        with fake_zigbee2mqtt(mosquitto, base):
            await eventually(lambda: "lock.back_door_lock" in hub.registry)


# -- state --------------------------------------------------------------------------------------


async def test_state_reports_update_the_capabilities_and_reach_the_bus(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    with fake_zigbee2mqtt(mosquitto, base) as z2m:
        async with Hub(z2m_config(tmp_path, mosquitto, base)) as hub:
            changes: list[StateChanged] = []
            hub.bus.listen(StateChanged, changes.append)
            z2m.report("living_room/floor_lamp", {
                "state": "ON", "brightness": 254, "color_temp": 370, "color_mode": "color_temp",
                "color": {"x": 0.4599, "y": 0.4106}, "linkquality": 120,
                "last_seen": "2026-01-01T10:00:00.000Z"})
            z2m.report("hallway/motion", {"occupancy": True, "illuminance": 140, "battery": 97,
                                          "voltage": 3005, "linkquality": 96})
            z2m.report("bedroom/radiator", {"occupied_heating_setpoint": 21, "local_temperature":
                                            19.5, "system_mode": "heat",
                                            "running_state": "heat"})
            z2m.report("bedroom/blind", {"position": 0, "state": "CLOSE"})
            z2m.report("front_door", {"contact": True, "battery": 100})
            await eventually(lambda: "state" in hub.registry.get("binary_sensor.front_door_contact")
                             .state)

            assert dict(hub.registry.get("light.living_room_floor_lamp").state) == {
                "state": "on", "brightness": 255, "color_temp": 370, "color_temp_kelvin": 2702,
                "color_mode": "color_temp", "xy_color": [0.4599, 0.4106]}
            assert hub.registry.get("binary_sensor.hallway_motion_occupancy").state["state"] == "on"
            assert hub.registry.get("sensor.hallway_motion_illuminance").state["state"] == 140
            assert hub.registry.get("sensor.hallway_motion_voltage").state["state"] == 3005
            assert dict(hub.registry.get("climate.bedroom_radiator").state) == {
                "temperature": 21, "current_temperature": 19.5, "state": "heat",
                "hvac_action": "heating"}
            assert dict(hub.registry.get("cover.bedroom_blind").state) == {
                "current_position": 0, "state": "closed"}
            # Zigbee2MQTT's contact true means closed: Home Assistant's door is "off"
            assert hub.registry.get("binary_sensor.front_door_contact").state["state"] == "off"
            changed = {c.capability_id for c in changes}
            assert {"light.living_room_floor_lamp", "sensor.hallway_motion_battery",
                    "climate.bedroom_radiator"} <= changed
            assert hub.bad_input.total == 0


# -- tools --------------------------------------------------------------------------------------


async def test_light_tools_publish_what_zigbee2mqtt_expects_and_return_on_confirmation(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    lamp = "living_room/floor_lamp"
    with fake_zigbee2mqtt(mosquitto, base) as z2m:
        async with Hub(z2m_config(tmp_path, mosquitto, base)) as hub:
            cap = "light.living_room_floor_lamp"
            result = await hub.call(cap, "turn_on", {"brightness_pct": 30})
            assert z2m.sent(lamp)[-1] == {"state": "ON", "brightness": 76}
            assert result.value["state"]["state"] == "on"
            assert result.value["state"]["brightness"] == 76

            await hub.call(cap, "turn_on", {"color_temp_kelvin": 2700, "transition": 2})
            assert z2m.sent(lamp)[-1] == {"state": "ON", "color_temp": 370, "transition": 2}
            assert hub.registry.get(cap).state["color_temp_kelvin"] == 2702

            await hub.call(cap, "turn_on", {"rgb_color": [255, 0, 0]})
            assert z2m.sent(lamp)[-1] == {"state": "ON", "color": {"x": 0.701, "y": 0.299}}
            await hub.call(cap, "turn_on", {"color_name": "blue", "brightness": 255})
            assert z2m.sent(lamp)[-1] == {"state": "ON", "brightness": 254,
                                          "color": {"x": 0.136, "y": 0.04}}
            assert hub.registry.get(cap).state["xy_color"] == [0.136, 0.04]

            await hub.call(cap, "turn_on", {"brightness_step_pct": -50})
            assert z2m.sent(lamp)[-1] == {"state": "ON", "brightness": 127}
            await hub.call(cap, "turn_on", {"duration": 300})
            assert z2m.sent(lamp)[-1] == {"state": "ON", "on_time": 300}

            await hub.call(cap, "turn_off", {})
            assert z2m.sent(lamp)[-1] == {"state": "OFF"}
            assert hub.registry.get(cap).state["state"] == "off"
            await hub.call(cap, "toggle", {})
            assert z2m.sent(lamp)[-1] == {"state": "TOGGLE"}
            assert hub.registry.get(cap).state["state"] == "on"
            await hub.call(cap, "turn_on", {"brightness_pct": 0})
            assert z2m.sent(lamp)[-1] == {"state": "OFF"}

            state = await hub.call(cap, "get_state", {})
            assert z2m.sent(lamp, "get")[-1] == {"state": "", "brightness": "", "color_temp": "",
                                                 "color": ""}
            assert state.value["state"]["state"] == "off" and state.value["available"] is True

            with pytest.raises(PayloadError, match="unknown argument 'hs_color'; known: "):
                await hub.call("light.kitchen_ceiling", "turn_on", {"hs_color": [30, 100]})
            with pytest.raises(ToolError, match="color_name: unknown colour 'no such colour'"):
                await hub.call(cap, "turn_on", {"color_name": "no such colour"})


async def test_switch_lock_cover_fan_and_climate_commands(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    with fake_zigbee2mqtt(mosquitto, base) as z2m:
        async with Hub(z2m_config(tmp_path, mosquitto, base)) as hub:
            await hub.call("switch.stairs_switch_l2", "turn_on", {})
            assert z2m.sent("stairs_switch")[-1] == {"state_l2": "ON"}
            assert hub.registry.get("switch.stairs_switch_l2").state["state"] == "on"
            assert "state" not in hub.registry.get("switch.stairs_switch_l1").state

            await hub.call("switch.coffee_machine_child_lock", "turn_on", {})
            assert z2m.sent("coffee_machine")[-1] == {"child_lock": "LOCK"}

            result = await hub.call("lock.back_door_lock", "lock", {})
            assert z2m.sent("back_door_lock")[-1] == {"state": "LOCK"}
            assert result.value["state"]["state"] == "locked"
            await hub.call("lock.back_door_lock", "unlock", {})
            assert z2m.sent("back_door_lock")[-1] == {"state": "UNLOCK"}

            await hub.call("cover.bedroom_blind", "set_cover_position", {"position": 40})
            assert z2m.sent("bedroom/blind")[-1] == {"position": 40}
            assert hub.registry.get("cover.bedroom_blind").state["current_position"] == 40
            await hub.call("cover.bedroom_blind", "close_cover", {})
            assert z2m.sent("bedroom/blind")[-1] == {"state": "CLOSE"}

            await hub.call("fan.office_fan", "set_percentage", {"percentage": 50})
            assert z2m.sent("office_fan")[-1] == {"fan_mode": "medium"}
            # a 99432: low, medium, high and on are its four speeds (as Zigbee2MQTT's
            # discovery has them), medium is 2/4
            assert hub.registry.get("fan.office_fan").state["percentage"] == 50
            await hub.call("fan.office_fan", "set_preset_mode", {"preset_mode": "smart"})
            assert z2m.sent("office_fan")[-1] == {"fan_mode": "smart"}
            await hub.call("fan.office_fan", "turn_off", {})
            assert z2m.sent("office_fan")[-1] == {"fan_state": "OFF"}

            await hub.call("climate.bedroom_radiator", "set_temperature",
                           {"temperature": 21.4, "hvac_mode": "heat"})
            # sent as asked, as Home Assistant sends it (the device rounds to its step)
            assert z2m.sent("bedroom/radiator")[-1] == {"occupied_heating_setpoint": 21.4,
                                                        "system_mode": "heat"}
            state = hub.registry.get("climate.bedroom_radiator").state
            assert (state["temperature"], state["state"]) == (21.4, "heat")
            await hub.call("climate.bedroom_radiator", "turn_off", {})
            assert z2m.sent("bedroom/radiator")[-1] == {"system_mode": "off"}
            with pytest.raises(PayloadError, match=r"temperature: expected 5..35, got 40"):
                await hub.call("climate.bedroom_radiator", "set_temperature",
                               {"temperature": 40})


async def test_a_device_that_does_not_confirm_fails_the_call_with_a_clear_error(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    with fake_zigbee2mqtt(mosquitto, base) as z2m:
        z2m.silent.add("kitchen_ceiling")
        config = z2m_config(tmp_path, mosquitto, base, command_timeout=0.3)
        async with Hub(config) as hub:
            with pytest.raises(ToolError, match=(
                    r"light.kitchen_ceiling/turn_on: sent \{\"state\":\"ON\",\"brightness\":254\}"
                    rf" to {base}/kitchen_ceiling/set: the device did not confirm within 0.3 s$")):
                await hub.call("light.kitchen_ceiling", "turn_on", {"brightness_pct": 100})
            z2m.report("kitchen_ceiling/availability", {"state": "offline"})
            await eventually(lambda: not hub.registry.get("light.kitchen_ceiling").available)
            with pytest.raises(ToolError, match="Zigbee2MQTT reports the device offline$"):
                await hub.call("light.kitchen_ceiling", "get_state", {})
            # the other devices still answer
            await hub.call("light.living_room_floor_lamp", "turn_on", {})


# -- triggers -----------------------------------------------------------------------------------


async def test_actions_and_sensor_events_fire_triggers_with_their_intents(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    with fake_zigbee2mqtt(mosquitto, base) as z2m:
        async with Hub(z2m_config(tmp_path, mosquitto, base)) as hub:
            fired: list[TriggerFired] = []
            hub.bus.listen(TriggerFired, fired.append)
            z2m.report("desk_button", {"action": "single", "battery": 90, "linkquality": 80})
            z2m.report("desk_button", {"action": "double", "action_duration": 0.2})
            z2m.report("kitchen_remote", {"action": "on"})
            z2m.report("hallway/motion", {"occupancy": True})
            z2m.report("hallway/motion", {"occupancy": True, "illuminance": 10})  # no new edge
            z2m.report("front_door", {"contact": False})
            z2m.report("bathroom/leak", {"water_leak": True})
            await eventually(lambda: len(fired) == 6)
            assert [(f.capability_id, f.trigger, f.intent, f.priority) for f in fired] == [
                ("event.desk_button_action", "single", "desk button single press", 1),
                ("event.desk_button_action", "double", "desk button double press", 1),
                ("event.kitchen_remote_action", "on", "kitchen remote on press", 1),
                ("binary_sensor.hallway_motion_occupancy", "motion_detected",
                 "motion detected in hallway", 1),
                ("binary_sensor.front_door_contact", "opened", "front door opened", 1),
                ("binary_sensor.bathroom_leak_water_leak", "water_leak",
                 "water leak detected in bathroom", 3),
            ]
            assert fired[0].payload == {"action": "single"}
            button = hub.registry.get("event.desk_button_action").state
            assert button["event_type"] == "double"
            assert hub.bad_input.total == 0



async def test_retained_reports_update_state_but_fire_nothing(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    with fake_zigbee2mqtt(mosquitto, base) as z2m:
        z2m.report("front_door", {"contact": False}, retain=True)  # old news when we start
        hub = Hub(z2m_config(tmp_path, mosquitto, base))
        fired: list[TriggerFired] = []
        hub.bus.listen(TriggerFired, fired.append)
        try:
            async with hub:
                await eventually(lambda: hub.registry.get("binary_sensor.front_door_contact")
                                 .state.get("state") == "on")
                z2m.report("front_door", {"contact": True})
                z2m.report("front_door", {"contact": False})
                await eventually(lambda: len(fired) == 1)
        finally:
            z2m.peer.publish(f"{base}/front_door", b"", retain=True)


# -- availability, leaves, renames ----------------------------------------------------------------


async def test_availability_follows_the_device_and_the_bridge(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    with fake_zigbee2mqtt(mosquitto, base) as z2m:
        async with Hub(z2m_config(tmp_path, mosquitto, base)) as hub:
            flips: list[AvailabilityChanged] = []
            hub.bus.listen(AvailabilityChanged, flips.append)
            motion = [i for i in ids_of(hub) if i.split(".")[1].startswith("hallway_motion")]
            assert len(motion) == 5

            z2m.report("hallway/motion/availability", {"state": "offline"})
            await eventually(lambda: not any(hub.registry.get(i).available for i in motion))
            assert hub.registry.get("light.kitchen_ceiling").available
            z2m.peer.publish(f"{base}/hallway/motion/availability", b"online")  # legacy form
            await eventually(lambda: all(hub.registry.get(i).available for i in motion))
            assert {f.capability_id for f in flips} == set(motion)

            z2m.peer.publish(f"{base}/bridge/state", json.dumps({"state": "offline"}))
            await eventually(lambda: not any(c.available for c in hub.registry.all()
                                             if c.source == "zigbee2mqtt"))
            z2m.peer.publish(f"{base}/bridge/state", b"online")
            await eventually(lambda: all(c.available for c in hub.registry.all()
                                         if c.source == "zigbee2mqtt"))


async def test_leaves_removals_renames_and_new_interviews(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    with fake_zigbee2mqtt(mosquitto, base) as z2m:
        async with Hub(z2m_config(tmp_path, mosquitto, base)) as hub:
            z2m.report("kitchen_ceiling", {"state": "ON", "brightness": 100})
            await eventually(lambda: hub.registry.get("light.kitchen_ceiling").state != {})

            joined = {"type": "device_joined", "data": {"ieee_address": "0x00158d00aabbccdd",
                                                        "friendly_name": "0x00158d00aabbccdd"}}
            z2m.peer.publish(f"{base}/bridge/event", json.dumps(joined))
            leave = {"type": "device_leave", "data": {"ieee_address": "0x000d6f0011223344",
                                                      "friendly_name": "back_door_lock"}}
            z2m.peer.publish(f"{base}/bridge/event", json.dumps(leave))
            await eventually(lambda: "lock.back_door_lock" not in hub.registry)
            assert "sensor.back_door_lock_battery" not in hub.registry

            devices = copy.deepcopy(DEVICES)
            devices = [d for d in devices if d["friendly_name"] not in (
                "back_door_lock", "front_door")]
            ceiling = next(d for d in devices if d["friendly_name"] == "kitchen_ceiling")
            ceiling["friendly_name"] = "kitchen/pendant"
            z2m.publish_devices(devices)
            await eventually(lambda: "light.kitchen_pendant" in hub.registry)
            await hub.fabric.wait_subscribed()
            assert "light.kitchen_ceiling" not in hub.registry
            assert "binary_sensor.front_door_contact" not in hub.registry
            pendant = hub.registry.get("light.kitchen_pendant")
            assert (pendant.area, pendant.state["brightness"]) == ("kitchen", 100)
            await hub.call("light.kitchen_pendant", "turn_off", {})
            assert z2m.sent("kitchen/pendant")[-1] == {"state": "OFF"}

            lock = next(d for d in DEVICES if d["friendly_name"] == "back_door_lock")
            interview = {"type": "device_interview", "data": {
                "friendly_name": "back_door_lock", "ieee_address": lock["ieee_address"],
                "status": "successful", "supported": True, "definition": lock["definition"]}}
            z2m.peer.publish(f"{base}/bridge/event", json.dumps(interview))
            await eventually(lambda: "lock.back_door_lock" in hub.registry)
            assert hub.bad_input.total == 0


async def test_two_names_with_one_slug_get_distinct_ids_and_a_stopped_bridge_is_offline(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    first = copy.deepcopy(next(d for d in DEVICES if d["friendly_name"] == "kitchen_ceiling"))
    second = {**copy.deepcopy(first), "ieee_address": "0x00178801aaaab2c3",
              "friendly_name": "Kitchen Ceiling"}
    third = {**copy.deepcopy(first), "ieee_address": "0x00178801cccc0001",
             "friendly_name": "hall"}
    with fake_zigbee2mqtt(mosquitto, base, [first, second]) as z2m:
        z2m.peer.publish(f"{base}/bridge/state", b"offline", retain=True)
        try:
            config = z2m_config(tmp_path, mosquitto, base)
            config = dataclasses.replace(config, capabilities=(
                Capability(id="light.hall", type="light", name="Hall (declared)"),))
            async with Hub(config) as hub:
                assert {i for i in ids_of(hub) if i.startswith("light.")} == {
                    "light.kitchen_ceiling", "light.kitchen_ceiling_b2c3"}
                assert hub.registry.get("light.kitchen_ceiling_b2c3").attributes[
                    "friendly_name"] == "Kitchen Ceiling"
                assert not any(hub.registry.get(i).available for i in ids_of(hub))
                # an id another part of the hub registered is not taken over
                z2m.publish_devices([first, second, third])
                await eventually(lambda: "light.hall_0001" in hub.registry)
                assert hub.registry.get("light.hall").name == "Hall (declared)"
        finally:
            z2m.peer.publish(f"{base}/bridge/state", b"", retain=True)


async def test_capabilities_left_from_an_earlier_run_are_withdrawn(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    with fake_zigbee2mqtt(mosquitto, base) as z2m:
        async with Hub(z2m_config(tmp_path, mosquitto, base)) as hub:
            # what the registry restores from its store after a crash: no device runs it
            for base_topic in (base, "elsewhere"):
                hub.registry.add(Capability(
                    id=f"lock.gone_{base_topic.count('/')}", type="lock", source="zigbee2mqtt",
                    attributes={"base_topic": base_topic}))
            # a new version of the list (the same bytes again would not be read again)
            z2m.peer.publish(f"{base}/bridge/devices", json.dumps(DEVICES, indent=1),
                             retain=True)
            await eventually(lambda: "lock.gone_" + str(base.count("/")) not in hub.registry)
            assert "lock.gone_0" in hub.registry, "another bridge's capability stays"
            assert "light.kitchen_ceiling" in hub.registry


# -- bad input --------------------------------------------------------------------------------------


async def test_bad_input_is_counted_and_logged_once_per_device_and_others_carry_on(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    base = f"{topic_prefix}/z2m"
    caplog.set_level(logging.WARNING, logger="hub.devices.badinput")
    devices = copy.deepcopy(DEVICES)
    del devices[5]["definition"]["exposes"][0]["property"]  # hallway/motion's occupancy
    with fake_zigbee2mqtt(mosquitto, base, devices) as z2m:
        async with Hub(z2m_config(tmp_path, mosquitto, base)) as hub:
            motion_topic = f"{base}/hallway/motion"
            assert hub.bad_input.counts[motion_topic] == 1
            assert "exposes[0]: a binary expose needs a 'property'" in caplog.text
            assert "sensor.hallway_motion_battery" not in hub.registry

            topic = f"{base}/kitchen_ceiling"
            peer = z2m.peer
            peer.publish(topic, b"{not json")
            peer.publish(topic, json.dumps({"state": "ON", "brightness": "high"}))
            peer.publish(topic, b"\xff\xfe\x00garbage")
            peer.publish(topic, json.dumps([1, 2, 3]))
            peer.publish(topic, json.dumps({"state": "ON", "colour": "red"}))
            peer.publish(topic, b"{" + b" " * (256 * 1024) + b"}")
            peer.publish(f"{base}/kitchen_ceiling/availability", b"maybe")
            peer.publish(f"{base}/living_room/floor_lamp", json.dumps({"state": "ON"}))
            await eventually(lambda: hub.registry.get("light.living_room_floor_lamp")
                             .state.get("state") == "on")
            await eventually(lambda: hub.bad_input.counts[topic] == 6)
            # the good fields of a partly bad report are kept; a key beyond the exposes is an
            # attribute (of the device's first entity), as Home Assistant shows it, not bad
            assert hub.registry.get("light.kitchen_ceiling").state["state"] == "on"
            assert hub.registry.get("light.kitchen_ceiling").state["colour"] == "red"
            assert "brightness" not in hub.registry.get("light.kitchen_ceiling").state
            logged = [r.getMessage() for r in caplog.records if f"source={topic} " in
                      r.getMessage()]
            assert len(logged) == 1
            assert logged[0].endswith(f"{topic}: payload is not JSON: Expecting property name "
                                      "enclosed in double quotes: line 1 column 2 (char 1)")

            peer.publish(f"{base}/bridge/devices", b"[{\"friendly_name\": 3}]", retain=True)
            peer.publish(f"{base}/bridge/event", json.dumps({"type": "device_leave"}))
            await eventually(lambda: hub.bad_input.counts[f"{base}/bridge/event"] == 1)
            assert hub.bad_input.counts[f"{base}/bridge/devices"] == 1
            assert "missing 'ieee_address'" in caplog.text
            # a malformed list withdraws nothing that runs
            assert "light.kitchen_ceiling" in hub.registry

            reasons = hub.bad_input.counts
            assert reasons[f"{base}/living_room/floor_lamp"] == 0
