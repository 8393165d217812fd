"""The demo integration end to end inside one hub: real Mosquitto, real MQTT peers."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image

from hub.events import StateChanged, TriggerFired
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import demo_section, hub_config
from tests.mqtt import mqtt_peer
from tests.waiting import eventually


async def test_zigbee2mqtt_state_updates_the_light(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        integrations={"demo": demo_section(topic_prefix, devices=False)})
    async with Hub(config) as hub:
        changes: list[StateChanged] = []
        hub.bus.listen(StateChanged, changes.append)
        with mqtt_peer(mosquitto.host, mosquitto.port) as device:
            device.publish(f"{topic_prefix}/z2m/kitchen_light",
                           json.dumps({"state": "ON", "brightness": 127}))
            await eventually(lambda: hub.registry.get("light.kitchen").state.get("state") == "on")
        state = hub.registry.get("light.kitchen").state
        assert state["brightness_pct"] == 50
        assert any(c.capability_id == "light.kitchen" for c in changes)


async def test_turn_on_publishes_the_zigbee2mqtt_set_payload(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        integrations={"demo": demo_section(topic_prefix)})
    set_topic = f"{topic_prefix}/z2m/kitchen_light/set"
    with mqtt_peer(mosquitto.host, mosquitto.port) as observer:
        observer.subscribe(set_topic)
        async with Hub(config) as hub:
            result = await hub.call("light.kitchen", "turn_on", {"brightness_pct": 30})
            assert result.value["state"]["state"] == "on"
            assert result.value["state"]["brightness_pct"] == 30
            await eventually(lambda: observer.messages(set_topic) != [])
            assert json.loads(observer.messages(set_topic)[0]) == {"state": "ON", "brightness": 76}

            await hub.call("light.kitchen", "turn_off", {})
            assert hub.registry.get("light.kitchen").state["state"] == "off"
            await eventually(lambda: len(observer.messages(set_topic)) == 2)
            assert json.loads(observer.messages(set_topic)[-1]) == {"state": "OFF"}


async def test_camera_get_frame_returns_a_jpeg_that_decodes(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        integrations={"demo": demo_section(topic_prefix)})
    async with Hub(config) as hub:
        result = await hub.call("camera.front_door", "get_frame", {})
    assert result.content_type == "image/jpeg"
    image = Image.open(io.BytesIO(result.data))
    image.load()
    assert image.format == "JPEG" and image.size == (640, 360)


async def test_discovery_sensor_and_motion_trigger(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        integrations={"demo": demo_section(topic_prefix)})
    async with Hub(config) as hub:
        fired: list[TriggerFired] = []
        hub.bus.listen(TriggerFired, fired.append)
        sensor_id = "sensor.demo_living_room_temperature"
        await eventually(
            lambda: (s := hub.registry.find(sensor_id)) is not None
            and isinstance(s.state.get("state"), float)
        )
        sensor = hub.registry.get(sensor_id)
        assert sensor.attributes["unit_of_measurement"] == "°C"
        with mqtt_peer(mosquitto.host, mosquitto.port) as device:
            device.publish(f"{topic_prefix}/z2m/hallway_motion", json.dumps({"occupancy": True}))
            await eventually(lambda: bool(fired))
        assert fired[0].capability_id == "binary_sensor.hallway_motion"
        assert fired[0].intent == "motion detected in hallway"


async def test_malformed_device_payloads_are_counted_and_the_hub_keeps_going(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        integrations={"demo": demo_section(topic_prefix, devices=False)})
    topic = f"{topic_prefix}/z2m/kitchen_light"
    async with Hub(config) as hub:
        with mqtt_peer(mosquitto.host, mosquitto.port) as device:
            device.publish(topic, b"{not json")
            device.publish(topic, json.dumps({"state": "ON", "brightness": "high"}))
            device.publish(topic, b"\xff\xfe\x00garbage")
            device.publish(topic, json.dumps([1, 2, 3]))
            device.publish(topic, json.dumps({"state": "ON", "brightness": 254}))
            await eventually(lambda: hub.registry.get("light.kitchen").state.get("state") == "on")
        assert hub.bad_input.counts[topic] == 4
        assert hub.registry.get("light.kitchen").state["brightness_pct"] == 100


async def test_broker_restart_keeps_subscriptions(
    tmp_path: Path, private_mosquitto: Mosquitto, topic_prefix: str
) -> None:
    broker = private_mosquitto
    config = hub_config(tmp_path, broker.host, broker.port,
                        integrations={"demo": demo_section(topic_prefix, devices=False)})
    topic = f"{topic_prefix}/z2m/kitchen_light"
    async with Hub(config) as hub:
        broker.stop()
        await eventually(lambda: not hub.fabric.connected)
        broker.start()
        await eventually(lambda: hub.fabric.connected, timeout=15)
        with mqtt_peer(broker.host, broker.port) as device:
            device.publish(topic, json.dumps({"state": "ON", "brightness": 10}))
            await eventually(lambda: hub.registry.get("light.kitchen").state.get("state") == "on")
