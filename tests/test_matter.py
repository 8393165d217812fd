"""The Matter bridge end to end against a Matter server of our own over a real WebSocket,
a real Mosquitto and a real hub: mapping per device type, tools as device_commands, events,
MQTT state, reconnects that resync as a diff, and bad input."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest

from hub.errors import ConfigError, PayloadError, ToolError
from hub.events import BadInput, CapabilityAdded, StateChanged, TriggerFired
from hub.located import parse_yaml
from hub.runtime import Hub
from integrations.matter import validate
from tests.broker import Mosquitto
from tests.hubs import hub_config
from tests.matter_fake import FakeMatterServer, fake_matter_server
from tests.matter_nodes import all_nodes
from tests.waiting import eventually

EXPECTED: list[tuple[str, str, dict[str, Any]]] = [
    # (node, capability id, state) -- a table per device type
    ("dimmable-light", "light.matter_1_1", {"state": "on", "brightness": 52}),
    ("dimmable-light", "binary_sensor.matter_1_1_occupancy", {"state": "off"}),
    ("door_lock", "lock.matter_2_1", {"state": "unlocked", "door": "closed"}),
    ("contact-sensor", "binary_sensor.matter_3_1_contact", {"state": "off"}),
    ("generic_switch", "event.matter_4_1_button", {"state": 0}),
    ("fake-bridge-two-light", "light.matter_5_9", {"state": "on"}),
    ("fake-bridge-two-light", "light.matter_5_10", {"state": "off"}),
    ("aqara_motion_p2", "binary_sensor.matter_6_1_occupancy", {"state": "off"}),
    ("aqara_motion_p2", "sensor.matter_6_2_illuminance", {"state": 37.0, "unit": "lx"}),
    ("eve_weather_sensor", "sensor.matter_7_1_temperature", {"state": 16.03, "unit": "°C"}),
    ("eve_weather_sensor", "sensor.matter_7_2_humidity", {"state": 80.66, "unit": "%"}),
    ("cover", "cover.matter_201_1", {"state": "open", "current_position": 75}),
    ("thermostat", "climate.matter_202_1", {"state": "heat", "current_temperature": 21.5,
                                            "temperature": 20.0}),
    ("fan", "fan.matter_203_1", {"state": "on", "percentage": 50}),
    ("sensors", "sensor.matter_204_1_pressure", {"state": 1013.0, "unit": "hPa"}),
    ("sensors", "sensor.matter_204_1_flow", {"state": 12.5, "unit": "m³/h"}),
    ("sensors", "sensor.matter_204_1_illuminance", {"state": 10000.0}),
    ("sensors", "sensor.matter_204_1_air_quality", {"state": "fair"}),
    ("colour", "light.matter_205_1", {"state": "on", "brightness": 128,
                                      "color_temp_kelvin": 2703, "hs_color": [180.0, 100.0]}),
    ("odd", "switch.matter_206_1", {"state": None}),
    ("odd", "sensor.matter_206_1_temperature", {"state": None}),
]


def matter_config(tmp_path: Path, mosquitto: Mosquitto, url: str, base: str,
                  **options: Any) -> Any:
    return hub_config(tmp_path, mosquitto.host, mosquitto.port,
                      integrations={"matter": {"url": url, "base_topic": base, **options}})


@asynccontextmanager
async def matter_hub(tmp_path: Path, mosquitto: Mosquitto, fake: FakeMatterServer, base: str,
                     **options: Any) -> AsyncIterator[Hub]:
    async with Hub(matter_config(tmp_path, mosquitto, fake.url, base, **options)) as hub:
        await eventually(lambda: hub.registry.get("sensor.matter_server").state["state"]
                         == "connected" and fake.listened > 0, timeout=10)
        yield hub


class Watcher:
    """A plain MQTT client that keeps the last payload of every topic under a filter."""

    def __init__(self, mosquitto: Mosquitto, pattern: str) -> None:
        self.last: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2)
        self.client.on_message = self._on
        self.client.connect(mosquitto.host, mosquitto.port)
        self.client.subscribe(pattern, qos=1)
        self.client.loop_start()

    def _on(self, _c: Any, _u: Any, message: paho.MQTTMessage) -> None:
        with self.lock:
            self.last[message.topic] = message.payload

    def json(self, topic: str) -> Any:
        with self.lock:
            payload = self.last.get(topic)
        return None if payload is None else json.loads(payload)

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


async def test_every_node_maps_to_its_capabilities_and_states(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    nodes = all_nodes()
    async with fake_matter_server(list(nodes.values())) as fake, \
            matter_hub(tmp_path, mosquitto, fake, f"{topic_prefix}/matter") as hub:
        for node, cap_id, state in EXPECTED:
            capability = hub.registry.get(cap_id)
            assert {k: capability.state.get(k) for k in state} == state, (node, cap_id)
            assert capability.available, cap_id
        light = hub.registry.get("light.matter_205_1")
        turn_on = light.tool("turn_on")
        assert turn_on is not None
        assert {"brightness_pct", "color_temp_kelvin", "hs_color", "rgb_color",
                "transition"} <= set(turn_on.parameters["properties"])
        assert "color_name" not in turn_on.parameters["properties"]
        assert [t.name for t in hub.registry.get("lock.matter_2_1").triggers] == [
            "jammed", "door_open"]
        assert hub.registry.get("light.matter_5_9").name == "Kitchen Ceiling"
        assert hub.registry.get("sensor.matter_7_1_temperature").attributes[
            "matter_unknown_clusters"] == [319486977]
        assert hub.registry.get("switch.matter_206_1").attributes[
            "matter_unknown_clusters"] == [4242]
        server = hub.registry.get("sensor.matter_server")
        assert (server.state["nodes"], server.state["schema_version"],
                server.state["fabric_id"]) == (len(nodes), 11, 1)
    assert not [c for c in hub.registry.all() if c.source == "matter"]


async def test_tools_reach_the_server_as_device_commands(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    async with fake_matter_server(list(all_nodes().values())) as fake, \
            matter_hub(tmp_path, mosquitto, fake, f"{topic_prefix}/matter") as hub:
        result = await hub.call("light.matter_205_1", "turn_on",
                                {"brightness_pct": 50, "color_temp_kelvin": 4000,
                                 "transition": 1.5})
        assert result.value["accepted"] == ["MoveToLevelWithOnOff", "MoveToColorTemperature"]
        assert fake.sent("device_command")[-2:] == [
            {"node_id": 205, "endpoint_id": 1, "cluster_id": 8,
             "command_name": "MoveToLevelWithOnOff",
             "payload": {"level": 127, "transitionTime": 15, "optionsMask": 0,
                         "optionsOverride": 0}},
            {"node_id": 205, "endpoint_id": 1, "cluster_id": 768,
             "command_name": "MoveToColorTemperature",
             "payload": {"colorTemperatureMireds": 250, "transitionTime": 15,
                         "optionsMask": 0, "optionsOverride": 0}}]
        await hub.call("lock.matter_2_1", "lock", {})
        await hub.call("cover.matter_201_1", "set_cover_position", {"position": 30})
        await hub.call("climate.matter_202_1", "set_temperature", {"temperature": 22.5})
        await hub.call("fan.matter_203_1", "set_percentage", {"percentage": 80})
        commands = fake.sent("device_command")
        assert commands[-2]["command_name"] == "LockDoor"
        assert commands[-1]["payload"] == {"liftPercent100thsValue": 7000}
        assert fake.sent("write_attribute")[-2:] == [
            {"node_id": 202, "attribute_path": "1/513/18", "value": 2250},
            {"node_id": 203, "attribute_path": "1/514/2", "value": 80}]
        fake.refuse["device_command"] = (1, "Invalid command")
        with pytest.raises(ToolError, match="lock.matter_2_1/unlock: Matter server refused: "
                                            "error 1: Invalid command"):
            await hub.call("lock.matter_2_1", "unlock", {})
        await hub.call("sensor.matter_server", "commission", {"code": "MT:Y.K9042C00KA0648G00"})
        assert fake.sent("commission_with_code") == [
            {"code": "MT:Y.K9042C00KA0648G00", "network_only": True}]


async def test_attribute_updates_and_node_events_reach_state_mqtt_and_triggers(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    base = f"{topic_prefix}/matter"
    watcher = Watcher(mosquitto, f"{base}/#")
    fired: list[TriggerFired] = []
    try:
        async with fake_matter_server(list(all_nodes().values())) as fake, \
                matter_hub(tmp_path, mosquitto, fake, base) as hub:
            hub.bus.listen(TriggerFired, fired.append)
            await eventually(lambda: watcher.json(f"{base}/205/1") is not None)
            assert watcher.last[f"{base}/205/availability"] == b"online"
            await fake.event("attribute_updated", [205, "1/8/0", 254])
            await fake.event("attribute_updated", [7, "1/1026/0", None])
            await fake.event("attribute_updated", [205, "1/4242/1", 3])  # unknown cluster
            await eventually(lambda: hub.registry.get("light.matter_205_1").state.get(
                "brightness") == 255)
            await eventually(lambda: (watcher.json(f"{base}/205/1") or {}).get(
                "light", {}).get("brightness") == 255)
            await eventually(lambda: hub.registry.get(
                "sensor.matter_7_1_temperature").state["state"] is None)
            await fake.event("node_event", {
                "node_id": 4, "endpoint_id": 1, "cluster_id": 59, "event_id": 6,
                "event_number": 1, "priority": 1, "timestamp": 0, "timestamp_type": 0,
                "data": {"previousPosition": 0, "totalNumberOfPressesCounted": 2}})
            await fake.event("node_event", {
                "node_id": 2, "endpoint_id": 1, "cluster_id": 257, "event_id": 0,
                "event_number": 2, "priority": 2, "timestamp": 0, "timestamp_type": 0,
                "data": {"alarmCode": 0}})
            await eventually(lambda: len(fired) >= 2)
            assert [(f.capability_id, f.trigger, dict(f.payload)) for f in fired] == [
                ("event.matter_4_1_button", "multi_press_complete", {"count": 2}),
                ("lock.matter_2_1", "jammed", {})]
            assert fired[0].intent.endswith(" pressed 2 times")
            # a node goes away and comes back unavailable
            node = dict(fake.nodes[2], available=False)
            await fake.event("node_updated", node)
            await eventually(lambda: not hub.registry.get("lock.matter_2_1").available)
            await eventually(lambda: watcher.last.get(f"{base}/2/availability") == b"offline")
            await fake.event("node_removed", 3)
            await eventually(lambda: "binary_sensor.matter_3_1_contact" not in hub.registry)
    finally:
        watcher.stop()


async def test_commands_on_mqtt_are_checked_like_rpc_and_can_be_switched_off(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    base = f"{topic_prefix}/matter"
    publisher = paho.Client(paho.CallbackAPIVersion.VERSION2)
    publisher.connect(mosquitto.host, mosquitto.port)
    publisher.loop_start()
    try:
        async with fake_matter_server(list(all_nodes().values())) as fake, \
                matter_hub(tmp_path, mosquitto, fake, base) as hub:
            bad: list[BadInput] = []
            hub.bus.listen(BadInput, bad.append)
            publisher.publish(f"{base}/205/1/set", json.dumps(
                {"tool": "turn_on", "arguments": {"brightness_pct": 150}}), qos=1)
            publisher.publish(f"{base}/205/1/set", json.dumps({"tool": "lock"}), qos=1)
            publisher.publish(f"{base}/205/1/set", b"{not json", qos=1)
            publisher.publish(f"{base}/205/1/set", json.dumps({"tool": "turn_off"}), qos=1)
            await eventually(lambda: any(c["command_name"] == "Off"
                                         for c in fake.sent("device_command")))
            assert len(fake.sent("device_command")) == 1, "the bad ones never reached it"
            await eventually(lambda: len(bad) == 3)
            assert [b.reason for b in bad] == [
                f"{base}/205/1/set: turn_on.brightness_pct: expected 0..100, got 150",
                f"{base}/205/1/set: no capability of node 205 endpoint 1 has a tool 'lock'",
                (f"{base}/205/1/set: payload is not JSON: Expecting property name enclosed in "
                 f"double quotes: line 1 column 2 (char 1)")]
        async with fake_matter_server(list(all_nodes().values())) as fake, \
                matter_hub(tmp_path / "off", mosquitto, fake, base, commands=False) as hub:
            publisher.publish(f"{base}/205/1/set", json.dumps({"tool": "turn_off"}), qos=1)
            await hub.call("switch.matter_206_1", "turn_on", {})  # a marker after it
            assert [c["command_name"] for c in fake.sent("device_command")] == ["On"]
    finally:
        publisher.loop_stop()
        publisher.disconnect()


async def test_a_reconnect_resyncs_as_a_diff_and_survives_a_drop_mid_message(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    nodes = all_nodes()
    async with fake_matter_server(list(nodes.values())) as fake, \
            matter_hub(tmp_path, mosquitto, fake, f"{topic_prefix}/matter") as hub:
        added: list[str] = []
        changed: list[str] = []
        hub.bus.listen(CapabilityAdded, lambda e: added.append(e.capability.id))
        hub.bus.listen(StateChanged, lambda e: changed.append(e.capability_id))
        bridge_unchanged = lambda: hub.registry.get("sensor.matter_server")
        fake.drop_next_listing = True
        del fake.nodes[3]
        fake.nodes[205]["attributes"]["1/6/0"] = False
        await fake.drop_all()
        await eventually(lambda: fake.listened >= 3, timeout=15)
        await eventually(lambda: hub.registry.get("sensor.matter_server").state["state"]
                         == "connected" and "binary_sensor.matter_3_1_contact"
                         not in hub.registry, timeout=15)
        assert hub.registry.get("light.matter_205_1").state["state"] == "off"
        assert hub.registry.get("light.matter_205_1").available
        assert added == [], "unchanged and changed nodes keep their registrations"
        assert set(changed) == {"light.matter_205_1", "sensor.matter_server"}, \
            "unchanged nodes are not touched"
        assert bridge_unchanged().state["nodes"] == len(nodes) - 1


async def test_a_refused_schema_version_is_reported_clearly(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    async with fake_matter_server(list(all_nodes().values())) as fake:
        fake.info["min_supported_schema_version"] = 99
        config = matter_config(tmp_path, mosquitto, fake.url, f"{topic_prefix}/matter")
        async with Hub(config) as hub:
            await eventually(lambda: "schema" in hub.registry.get(
                "sensor.matter_server").state["problem"], timeout=10)
            problem = hub.registry.get("sensor.matter_server").state["problem"]
            assert "needs clients of schema version 99 or newer, this hub speaks 11" in problem
            assert fake.listened == 0


def test_configuration_errors_name_file_and_line() -> None:
    raw = parse_yaml("url: http://x\nbase_topic: a/#\ncommands: maybe\n",
                     file="configuration.yaml")
    with pytest.raises(ConfigError) as caught:
        validate(raw)
    text = str(caught.value)
    assert "configuration.yaml:1:6: url: expected a WebSocket URL" in text
    assert "configuration.yaml:2:13: base_topic: expected an MQTT topic" in text
    assert "configuration.yaml:3" in text
    assert validate(None).url == "ws://localhost:5580/ws"


async def test_the_cli_and_the_http_api_commission_through_the_server(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    import httpx

    from hub.cli import main
    from tests.test_web_events import serving
    from web import create_app

    async with fake_matter_server(list(all_nodes().values())) as fake, \
            matter_hub(tmp_path, mosquitto, fake, f"{topic_prefix}/matter") as hub, \
            serving(create_app(hub)) as url:
        code = await asyncio.to_thread(main, ["matter", "commission", "34970112332", "--url",
                                              url, "--token", hub.api_token])
        assert code == 0
        assert json.loads(capsys.readouterr().out) == {
            "commissioned": {"node_id": 77, "attributes": {}}}
        async with httpx.AsyncClient(base_url=url) as http:
            response = await http.post(
                "/api/capabilities/sensor.matter_server/tools/commission",
                json={"code": "MT:Y.K9042C00KA0648G00", "network_only": False},
                headers={"Authorization": f"Bearer {hub.api_token}"})
        assert response.status_code == 200, response.text
        assert fake.sent("commission_with_code") == [
            {"code": "34970112332", "network_only": True},
            {"code": "MT:Y.K9042C00KA0648G00", "network_only": False}]
        fake.refuse["commission_with_code"] = (5, "Commissioning failed")
        assert await asyncio.to_thread(main, ["matter", "commission", "1", "--url", url,
                                              "--token", hub.api_token]) == 1
        assert "commission_with_code: Matter server refused: error 5: Commissioning failed" \
            in capsys.readouterr().err


async def test_a_large_message_is_parsed_in_steps_as_json_loads_would() -> None:
    from integrations.matter.chunked import parse_in_steps
    from integrations.matter.units import illuminance_lux, kelvin_to_mireds, mireds_to_kelvin

    nodes = list(all_nodes().values()) * 5
    text = json.dumps({"message_id": "1", "result": nodes, "extra": {"a": [1, 2]}}, indent=1)
    assert await parse_in_steps(text, "ws://x", step=1000) == json.loads(text)
    assert await parse_in_steps('{"result": []}', "ws://x") == {"result": []}
    for bad, problem in (('{"result": [1, NaN]}', "NaN is not a number JSON allows"),
                         ('{"result": [1 2]}', "expected ','"),
                         ('{"a": 1} x', "extra data at character 9")):
        with pytest.raises(PayloadError, match=problem):
            await parse_in_steps(bad, "ws://x")
    # units exactly as Matter defines them
    assert (illuminance_lux(1), illuminance_lux(10001), illuminance_lux(0),
            illuminance_lux(None)) == (1.0, 10.0, 0.0, None)
    assert (mireds_to_kelvin(370), mireds_to_kelvin(0), kelvin_to_mireds(4000)) == (
        2703, None, 250)
