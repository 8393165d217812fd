"""The demo end to end inside one hub: simulated devices on a real Mosquitto, read by the
real zigbee2mqtt, mqtt_discovery and frigate integrations."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from hub.config import check_config
from hub.errors import ConfigError
from hub.events import BadInput, StateChanged, TriggerFired
from hub.located import located
from hub.model import Capability
from hub.runtime import Hub
from integrations.demo import validate
from tests.broker import Mosquitto
from tests.hubs import demo_section, hub_config, write_config
from tests.mqtt import mqtt_peer
from tests.waiting import eventually

LIGHT = "light.kitchen_light"
MOTION = "binary_sensor.hallway_motion_occupancy"
SENSOR = "sensor.living_room_temperature"
CAMERA = "camera.front_door"


def demo_hub(tmp_path: Path, broker: Mosquitto, prefix: str, **options: Any) -> Hub:
    config = hub_config(tmp_path, broker.host, broker.port,
                        integrations={"demo": demo_section(prefix, **options)})
    return Hub(config)


async def test_the_demo_devices_are_capabilities_of_the_real_integrations(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    async with demo_hub(tmp_path, mosquitto, topic_prefix) as hub:
        ids = {c.id: c.source for c in hub.registry.all()}
        assert ids == {
            LIGHT: "zigbee2mqtt", MOTION: "zigbee2mqtt",
            "sensor.hallway_motion_illuminance": "zigbee2mqtt",
            "sensor.hallway_motion_battery": "zigbee2mqtt",
            "sensor.hallway_motion_voltage": "zigbee2mqtt",
            # the bulb's effect is a select of its own too, as Home Assistant shows it
            "select.kitchen_light_effect": "zigbee2mqtt",
            SENSOR: "mqtt_discovery", CAMERA: "frigate",
        }
        light = hub.registry.get(LIGHT)
        assert (light.type, light.name, light.area) == ("light", "Kitchen light", "kitchen")
        assert light.description == "Ceiling light above the kitchen table (simulated)"
        assert light.attributes["topic"] == f"{topic_prefix}/demo/zigbee2mqtt/kitchen/light"
        assert light.attributes["supported_color_modes"] == ["brightness", "color_temp"]
        motion = hub.registry.get(MOTION)
        assert (motion.area, motion.attributes["device_class"]) == ("hallway", "motion")
        assert [(t.name, t.intent) for t in motion.triggers] == [
            ("motion_detected", "motion detected in {area}")]
        camera = hub.registry.get(CAMERA)
        assert (camera.area, camera.available) == ("front door", True)
        assert "person_detected" in [t.name for t in camera.triggers]
        assert camera.state["snapshot_label"] == "person"

        await eventually(lambda: isinstance(hub.registry.get(SENSOR).state.get("state"), float)
                         and hub.registry.get(LIGHT).state.get("state") == "off"
                         and "battery" not in hub.registry.get(MOTION).state
                         and hub.registry.get("sensor.hallway_motion_battery").state
                         .get("state") == 97)
        sensor = hub.registry.get(SENSOR)
        assert (sensor.name, sensor.area) == ("Living room climate Temperature", "living room")
        assert sensor.attributes["unit_of_measurement"] == "°C"
        assert sensor.available
        assert hub.registry.get(LIGHT).state["color_temp_kelvin"] == 2702  # floor, as HA
        # everything the simulated devices publish is what the integrations expect
        assert hub.bad_input.counts == {}


async def test_a_zigbee2mqtt_state_report_updates_the_light(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    async with demo_hub(tmp_path, mosquitto, topic_prefix) as hub:
        changes: list[StateChanged] = []
        hub.bus.listen(StateChanged, changes.append)
        with mqtt_peer(mosquitto.host, mosquitto.port) as zigbee2mqtt:
            zigbee2mqtt.publish(f"{topic_prefix}/demo/zigbee2mqtt/kitchen/light",
                                json.dumps({"state": "ON", "brightness": 127, "color_temp": 250}))
            await eventually(lambda: hub.registry.get(LIGHT).state.get("state") == "on")
        state = hub.registry.get(LIGHT).state
        assert (state["brightness"], state["color_temp_kelvin"]) == (128, 4000)
        assert any(c.capability_id == LIGHT and c.new["state"] == "on" for c in changes)


async def test_light_tools_publish_the_zigbee2mqtt_set_payload_and_the_light_confirms(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    set_topic = f"{topic_prefix}/demo/zigbee2mqtt/kitchen/light/set"
    with mqtt_peer(mosquitto.host, mosquitto.port) as observer:
        observer.subscribe(set_topic)
        async with demo_hub(tmp_path, mosquitto, topic_prefix) as hub:
            result = await hub.call(LIGHT, "turn_on", {"brightness_pct": 30})
            assert (result.value["state"]["state"], result.value["state"]["brightness"]) == (
                "on", 76)
            result = await hub.call(LIGHT, "turn_on", {"color_temp_kelvin": 2700})
            assert result.value["state"]["color_temp_kelvin"] == 2702  # floor, as HA
            await hub.call(LIGHT, "turn_off", {})
            assert hub.registry.get(LIGHT).state["state"] == "off"

            await hub.call(LIGHT, "turn_on", {"duration": 1})  # the bulb turns itself off
            await eventually(lambda: hub.registry.get(LIGHT).state["state"] == "off")

            await eventually(lambda: len(observer.messages(set_topic)) == 4)
            assert observer.messages(set_topic) == [
                b'{"state":"ON","brightness":76}',
                b'{"state":"ON","color_temp":370}',
                b'{"state":"OFF"}',
                b'{"state":"ON","on_time":1}',
            ]
            # get_state reads the light afresh with /get, which it answers
            fresh = await hub.call(LIGHT, "get_state", {})
            assert fresh.value["state"]["brightness"] == 76


async def test_camera_get_frame_returns_a_jpeg_that_decodes(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    async with demo_hub(tmp_path, mosquitto, topic_prefix) as hub:
        result = await hub.call(CAMERA, "get_frame", {})
        labelled = await hub.call(CAMERA, "get_frame", {"label": "person"})
    assert result.content_type == "image/jpeg"
    assert labelled.data == result.data
    image = Image.open(io.BytesIO(result.data))
    image.load()
    assert image.format == "JPEG" and image.size == (640, 360)


async def test_motion_and_a_person_at_the_door_fire_triggers_with_intents(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    fired: list[TriggerFired] = []
    async with demo_hub(tmp_path, mosquitto, topic_prefix, motion_interval=0.2,
                        person_interval=0.2) as hub:
        hub.bus.listen(TriggerFired, fired.append)
        await eventually(lambda: {f.capability_id for f in fired} >= {MOTION, CAMERA})
        camera = hub.registry.get(CAMERA)
        assert camera.state["last_label"] == "person"
        await eventually(lambda: hub.registry.get(MOTION).state["state"] == "off"
                         and hub.registry.get(CAMERA).state.get("motion") == "off")
        assert hub.bad_input.counts == {}
    motion = next(f for f in fired if f.capability_id == MOTION)
    assert (motion.trigger, motion.intent, motion.priority) == (
        "motion_detected", "motion detected in hallway", 1)
    person = next(f for f in fired if f.capability_id == CAMERA)
    assert (person.trigger, person.intent, person.priority) == (
        "person_detected", "person detected at front door", 2)
    assert person.payload["camera"] == "front_door" and person.payload["has_snapshot"] is True


async def test_malformed_device_payloads_are_counted_and_the_hub_keeps_going(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    light_topic = f"{topic_prefix}/demo/zigbee2mqtt/kitchen/light"
    events_topic = f"{topic_prefix}/demo/frigate/events"
    async with demo_hub(tmp_path, mosquitto, topic_prefix) as hub:
        bad: list[BadInput] = []
        hub.bus.listen(BadInput, bad.append)
        with mqtt_peer(mosquitto.host, mosquitto.port) as device:
            device.publish(light_topic, b"{not json")
            device.publish(light_topic, json.dumps({"state": "ON", "brightness": "high"}))
            device.publish(light_topic, b"\xff\xfe\x00garbage")
            device.publish(light_topic, json.dumps([1, 2, 3]))
            device.publish(events_topic, b'{"type": "new", "after": {"camera": "front_door"}}')
            device.publish(light_topic, json.dumps({"state": "ON", "brightness": 200}))
            await eventually(lambda: hub.registry.get(LIGHT).state.get("brightness") == 201)
            await eventually(lambda: hub.bad_input.counts[CAMERA] == 1)
        assert hub.bad_input.counts[light_topic] == 4
        reasons = [b.reason for b in bad if b.source == light_topic]
        assert reasons[0].startswith(f"{light_topic}: payload is not JSON")
        assert reasons[1:] == [
            f"{light_topic}: brightness: expected 0..254, got 'high'",
            f"{light_topic}: payload is not UTF-8 (bad byte at 0)",
            f"{light_topic}: expected a JSON object, got a list",
        ]
        assert [b.reason for b in bad if b.source == CAMERA] == [
            f"{events_topic}: after.id: missing"]
        # the hub and the other devices carry on
        result = await hub.call(LIGHT, "turn_off", {})
        assert result.value["state"]["state"] == "off"
        frame = await hub.call(CAMERA, "get_frame", {})
        assert frame.content_type == "image/jpeg"


async def test_broker_restart_keeps_subscriptions(
    tmp_path: Path, private_mosquitto: Mosquitto, topic_prefix: str
) -> None:
    broker = private_mosquitto
    topic = f"{topic_prefix}/demo/zigbee2mqtt/kitchen/light"
    async with demo_hub(tmp_path, broker, topic_prefix) as hub:
        changes: list[StateChanged] = []
        hub.bus.listen(StateChanged, changes.append)
        broker.stop()
        await eventually(lambda: not hub.fabric.connected)
        broker.start()
        await eventually(lambda: hub.connected, timeout=15)
        with mqtt_peer(broker.host, broker.port) as device:
            device.publish(topic, json.dumps({"state": "ON", "brightness": 10}))
            # the simulated bridge may report its own state again when it reconnects: look
            # for this report among the changes, not at the last state
            await eventually(lambda: any(c.capability_id == LIGHT and c.new.get("brightness")
                                         == 10 for c in changes))


async def test_capabilities_an_older_demo_registered_itself_are_withdrawn(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    async with Hub(hub_config(tmp_path, mosquitto.host, mosquitto.port)) as hub:
        hub.registry.add(Capability(id="light.kitchen", type="light", source="demo"))
    async with Hub(hub_config(tmp_path, mosquitto.host, mosquitto.port)) as hub:
        assert "light.kitchen" in hub.registry  # restored from the store
    async with demo_hub(tmp_path, mosquitto, topic_prefix) as hub:
        assert "light.kitchen" not in hub.registry
        assert LIGHT in hub.registry


def test_demo_options_are_checked_with_file_and_line(tmp_path: Path) -> None:
    directory = write_config(tmp_path, integrations={"demo": {
        "topic_prefix": "demo/#", "motion_interval": "often", "devices": False}})
    problems = check_config(directory, env={})
    assert len(problems) == 3, problems
    patterns = [
        r"integrations\.demo: unknown key 'devices'; expected one of: topic_prefix, ",
        (r"integrations\.demo\.topic_prefix: expected an MQTT topic without wildcards or empty "
         r"levels, got 'demo/#'"),
        r"integrations\.demo\.motion_interval: expected a number > 0, got 'often'",
    ]
    for pattern in patterns:
        assert any(re.match(rf"configuration\.yaml:\d+:\d+: {pattern}", p) for p in problems), (
            pattern, problems)


def test_a_bare_demo_section_means_the_defaults() -> None:
    config = validate(None)
    assert (config.zigbee2mqtt_topic, config.discovery_prefix, config.frigate_topic) == (
        "demo/zigbee2mqtt", "demo/homeassistant", "demo/frigate")
    raw = located({"topic_prefix": "a//b", "camera_interval": 0}, path="integrations.demo")
    with pytest.raises(ConfigError) as caught:
        validate(raw)
    assert "integrations.demo.topic_prefix: expected an MQTT topic without wildcards or empty " \
        "levels, got 'a//b'" in str(caught.value)
    assert "integrations.demo.camera_interval: expected a number > 0, got 0" in str(caught.value)


async def retained_on(broker: Mosquitto) -> dict[str, bytes]:
    """Every retained message on the broker: subscribe to '#', then wait for a marker sent
    after the SUBACK, which the broker delivers after the retained messages."""
    with mqtt_peer(broker.host, broker.port) as peer:
        peer.subscribe("#")
        peer.publish("marker/end", b"end")
        await eventually(lambda: peer.messages("marker/end") != [])
        with peer.lock:
            return {t: p for t, p in peer.received if t != "marker/end"}


async def test_a_clean_stop_leaves_no_retained_demo_messages_on_the_broker(
    tmp_path: Path, private_mosquitto: Mosquitto, topic_prefix: str
) -> None:
    async with demo_hub(tmp_path, private_mosquitto, topic_prefix) as hub:
        await hub.call(LIGHT, "turn_on", {"brightness_pct": 50})
        node = hub.node_id
        during = await retained_on(private_mosquitto)
        assert f"{topic_prefix}/demo/frigate/front_door/person/snapshot" in during
        assert len([t for t in during if t.startswith(f"{topic_prefix}/demo/")]) >= 12
    after = await retained_on(private_mosquitto)
    # only the hub's own presence stays: left (a clean stop; a crash leaves the will, offline)
    assert list(after) == [f"atmosphere/v1/nodes/{node}/status"]
    assert json.loads(after[f"atmosphere/v1/nodes/{node}/status"])["state"] == "left"
