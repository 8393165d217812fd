"""Home Assistant's manual MQTT entities (`mqtt:` in configuration.yaml) end to end: a real
hub started from a real configuration file, a real Mosquitto, devices played by a plain MQTT
client. Payloads are what the Home Assistant MQTT documentation describes (the same
expectations as the discovery tests: a manual entity is a discovery configuration that came
from YAML)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.config import load_config
from hub.domains import standard_tools
from hub.errors import ToolError
from hub.events import Event, TriggerFired
from hub.model import Capability
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import write_config
from tests.mqtt import mqtt_peer
from tests.test_mqtt_discovery import Rig
from tests.waiting import eventually
from web import create_app


@asynccontextmanager
async def yaml_hub(tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str,
                   entities: dict[str, Any] | list[dict[str, Any]],
                   **sections: Any) -> AsyncIterator[Rig]:
    """A hub whose configuration.yaml declares `entities` under `mqtt:` (next to the broker
    keys when a mapping; after a piece with them when a list, as Home Assistant's list form)."""
    broker = {"host": mosquitto.host, "port": mosquitto.port}
    mqtt: Any = {**broker, **entities} if isinstance(entities, dict) else [broker, *entities]
    config = load_config(write_config(tmp_path, mqtt=mqtt, **sections))
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        async with Hub(config) as hub:
            rig = Rig(hub, peer, f"{topic_prefix}/ha", f"{topic_prefix}/dev")
            hub.bus.listen(Event, rig.events.append)
            yield rig


def base(topic_prefix: str) -> str:
    return f"{topic_prefix}/dev"


def tools(rig: Rig, capability_id: str) -> list[str]:
    return [t.name for t in rig.hub.registry.get(capability_id).tools]


def available(rig: Rig, capability_id: str) -> bool:
    return rig.hub.registry.get(capability_id).available


# -- light ----------------------------------------------------------------------------------


async def test_default_light_state_commands_and_availability(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    dev = base(topic_prefix)
    light = {
        "name": "Desk lamp", "unique_id": "desk_lamp_0x12",
        "command_topic": f"{dev}/desk/switch", "state_topic": f"{dev}/desk/status",
        "brightness_command_topic": f"{dev}/desk/brightness/set",
        "brightness_state_topic": f"{dev}/desk/brightness", "brightness_scale": 100,
        "color_temp_command_topic": f"{dev}/desk/ct/set",
        "color_temp_state_topic": f"{dev}/desk/ct",
        "availability_topic": f"{dev}/desk/available",
        "device": {"identifiers": ["desk"], "suggested_area": "Office"},
    }
    async with yaml_hub(tmp_path, mosquitto, topic_prefix, {"light": [light]}) as rig:
        # the id comes from the name, as Home Assistant's entity id would
        cap = rig.hub.registry.get("light.desk_lamp")
        assert (cap.name, cap.area, cap.source) == ("Desk lamp", "Office", "mqtt")
        assert cap.attributes["protocol"] == "mqtt"
        assert cap.attributes["declared_at"] == "configuration.yaml:10:5"
        assert cap.attributes["unique_id"] == "desk_lamp_0x12"
        assert tools(rig, "light.desk_lamp") == ["turn_on", "turn_off", "toggle", "get_state"]
        assert not available(rig, "light.desk_lamp")  # until the device says it is online
        rig.send(rig.topic("desk", "available"), "online")
        await eventually(lambda: available(rig, "light.desk_lamp"))

        rig.send(rig.topic("desk", "status"), "ON")
        rig.send(rig.topic("desk", "brightness"), "40")
        await eventually(lambda: rig.state("light.desk_lamp") == {"state": "on",
                                                                  "brightness": 102})

        rig.echo(rig.topic("desk", "switch"), rig.topic("desk", "status"))
        rig.echo(rig.topic("desk", "brightness", "set"), rig.topic("desk", "brightness"))
        rig.echo(rig.topic("desk", "ct", "set"), rig.topic("desk", "ct"))
        result = await rig.hub.call("light.desk_lamp", "turn_on",
                                    {"brightness_pct": 50, "color_temp_kelvin": 2700})
        assert result.value["state"]["brightness"] == 128  # 50 on the device's 0..100 scale
        assert rig.peer.messages(rig.topic("desk", "brightness", "set")) == [b"50"]
        assert rig.peer.messages(rig.topic("desk", "ct", "set")) == [b"370"]  # mireds
        assert rig.peer.messages(rig.topic("desk", "switch")) == [b"ON"]
        await rig.hub.call("light.desk_lamp", "turn_off")
        assert rig.peer.messages(rig.topic("desk", "switch"))[-1] == b"OFF"
        assert rig.state("light.desk_lamp")["state"] == "off"

        rig.send(rig.topic("desk", "available"), "offline")
        await eventually(lambda: not available(rig, "light.desk_lamp"))


async def test_json_light_sends_what_home_assistant_sends(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    dev = base(topic_prefix)
    strip = {"schema": "json", "name": "Strip", "command_topic": f"{dev}/strip/set",
             "state_topic": f"{dev}/strip", "brightness": True, "brightness_scale": 254,
             "supported_color_modes": ["color_temp", "rgb"]}
    async with yaml_hub(tmp_path, mosquitto, topic_prefix, {"light": strip}) as rig:
        assert rig.hub.registry.get("light.strip").attributes["supported_color_modes"] == [
            "color_temp", "rgb"]
        rig.send(rig.topic("strip"), json.dumps({"state": "ON", "brightness": 254}))
        await eventually(lambda: rig.state("light.strip").get("brightness") == 255)

        def device(command: bytes) -> str:
            asked = json.loads(command)
            return json.dumps({"state": asked["state"],
                               "brightness": asked.get("brightness", 254),
                               "color_mode": "rgb", "color": asked.get("color", {})})

        rig.echo(rig.topic("strip", "set"), rig.topic("strip"), device)
        result = await rig.hub.call("light.strip", "turn_on",
                                    {"brightness": 128, "rgb_color": [255, 0, 0],
                                     "transition": 2})
        assert json.loads(rig.peer.messages(rig.topic("strip", "set"))[0]) == {
            "state": "ON", "brightness": 127, "color": {"r": 255, "g": 0, "b": 0},
            "transition": 2}
        assert result.value["state"]["rgb_color"] == [255, 0, 0]
        await rig.hub.call("light.strip", "turn_off", {"transition": 1})
        assert json.loads(rig.peer.messages(rig.topic("strip", "set"))[-1]) == {
            "state": "OFF", "transition": 1}


# -- switch ---------------------------------------------------------------------------------


async def test_switch_with_abbreviations_payloads_and_template(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    dev = base(topic_prefix)
    heater = {"name": "Heater", "cmd_t": f"{dev}/heater/cmd", "stat_t": f"{dev}/heater",
              "pl_on": "1", "pl_off": "0", "stat_on": "running", "stat_off": "idle",
              "cmd_tpl": '{"power": {{ value }}}',
              "avty": [{"t": f"{dev}/heater/lwt", "pl_avail": "alive",
                        "pl_not_avail": "dead"}]}
    async with yaml_hub(tmp_path, mosquitto, topic_prefix, {"switch": [heater]}) as rig:
        assert not available(rig, "switch.heater")
        rig.send(rig.topic("heater", "lwt"), "alive")
        rig.send(rig.topic("heater"), "running")
        await eventually(lambda: rig.state("switch.heater") == {"state": "on"})
        assert available(rig, "switch.heater")
        rig.echo(rig.topic("heater", "cmd"), rig.topic("heater"),
                 lambda p: "running" if json.loads(p)["power"] == 1 else "idle")
        result = await rig.hub.call("switch.heater", "turn_off")
        assert result.value == {"state": {"state": "off"}, "available": True}
        assert rig.peer.messages(rig.topic("heater", "cmd")) == [b'{"power": 0}']
        await rig.hub.call("switch.heater", "toggle")
        assert rig.peer.messages(rig.topic("heater", "cmd"))[-1] == b'{"power": 1}'
        rig.send(rig.topic("heater", "lwt"), "dead")
        await eventually(lambda: not available(rig, "switch.heater"))


# -- cover ----------------------------------------------------------------------------------


async def test_cover_commands_positions_and_state(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    dev = base(topic_prefix)
    blind = {"name": "Blind", "device_class": "blind", "command_topic": f"{dev}/blind/cmd",
             "state_topic": f"{dev}/blind/state", "position_topic": f"{dev}/blind/pos",
             "set_position_topic": f"{dev}/blind/setpos", "position_open": 255,
             "position_closed": 0, "payload_stop": None, "state_open": "up",
             "state_closed": "down", "availability_topic": f"{dev}/blind/online",
             "payload_available": "1", "payload_not_available": "0"}
    async with yaml_hub(tmp_path, mosquitto, topic_prefix, {"cover": [blind]}) as rig:
        assert tools(rig, "cover.blind") == [
            "open_cover", "close_cover", "toggle", "set_cover_position", "get_state"]
        rig.send(rig.topic("blind", "online"), "1")
        rig.send(rig.topic("blind", "state"), "down")
        await eventually(lambda: rig.state("cover.blind").get("state") == "closed")
        assert available(rig, "cover.blind")
        rig.echo(rig.topic("blind", "cmd"), rig.topic("blind", "state"),
                 lambda p: {b"OPEN": "up", b"CLOSE": "down"}[p])
        rig.echo(rig.topic("blind", "setpos"), rig.topic("blind", "pos"))
        result = await rig.hub.call("cover.blind", "open_cover")
        assert result.value["state"]["state"] == "open"
        result = await rig.hub.call("cover.blind", "set_cover_position", {"position": 50})
        assert rig.peer.messages(rig.topic("blind", "setpos")) == [b"128"]  # 50 % of 0..255
        assert result.value["state"]["current_position"] == 50
        await rig.hub.call("cover.blind", "toggle")
        assert rig.peer.messages(rig.topic("blind", "cmd")) == [b"OPEN", b"CLOSE"]
        rig.send(rig.topic("blind", "online"), "0")
        await eventually(lambda: not available(rig, "cover.blind"))


# -- lock -----------------------------------------------------------------------------------


async def test_lock_with_code_and_open(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    dev = base(topic_prefix)
    front = {"name": "Front door", "command_topic": f"{dev}/lock/set",
             "state_topic": f"{dev}/lock/state", "payload_open": "OPEN",
             "code_format": r"^\d{4}$",
             "command_template": '{"action": "{{ value }}", "code": "{{ code }}"}',
             "availability": [{"topic": f"{dev}/lock/lwt"}, {"topic": f"{dev}/bridge"}],
             "availability_mode": "all"}
    async with yaml_hub(tmp_path, mosquitto, topic_prefix, {"lock": [front]}) as rig:
        assert tools(rig, "lock.front_door") == ["lock", "unlock", "open", "get_state"]
        rig.send(rig.topic("lock", "lwt"), "online")
        rig.send(rig.topic("lock", "state"), "UNLOCKED")
        await eventually(lambda: rig.state("lock.front_door") == {"state": "unlocked"})
        assert not available(rig, "lock.front_door")  # mode all: the bridge is not online yet
        rig.send(rig.topic("bridge"), "online")
        await eventually(lambda: available(rig, "lock.front_door"))
        states = {"LOCK": "LOCKED", "UNLOCK": "UNLOCKED", "OPEN": "OPEN"}
        rig.echo(rig.topic("lock", "set"), rig.topic("lock", "state"),
                 lambda p: states[json.loads(p)["action"]])
        result = await rig.hub.call("lock.front_door", "lock", {"code": "1234"})
        assert result.value["state"]["state"] == "locked"
        assert json.loads(rig.peer.messages(rig.topic("lock", "set"))[0]) == {
            "action": "LOCK", "code": "1234"}
        await rig.hub.call("lock.front_door", "open", {"code": "1234"})
        assert rig.state("lock.front_door")["state"] == "open"
        with pytest.raises(ToolError, match=r"lock.front_door/unlock: this lock needs a code"):
            await rig.hub.call("lock.front_door", "unlock", {"code": "12"})


# -- sensors --------------------------------------------------------------------------------


async def test_sensor_reads_its_value_template_and_expires_availability(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    dev = base(topic_prefix)
    sensors = [
        {"name": "Kitchen temperature", "state_topic": f"{dev}/kitchen",
         "value_template": "{{ value_json.temperature | round(1) }}",
         "unit_of_measurement": "°C", "device_class": "temperature",
         "state_class": "measurement", "availability_topic": f"{dev}/kitchen/lwt"},
        {"name": "Kitchen humidity", "state_topic": f"{dev}/kitchen",
         "value_template": "{{ value_json.humidity }}", "unit_of_measurement": "%"},
    ]
    async with yaml_hub(tmp_path, mosquitto, topic_prefix, {"sensor": sensors}) as rig:
        rig.send(rig.topic("kitchen", "lwt"), "online")
        rig.send(rig.topic("kitchen"), json.dumps({"temperature": 21.47, "humidity": 40}))
        await eventually(lambda: rig.state("sensor.kitchen_temperature") == {"state": 21.5})
        await eventually(lambda: rig.state("sensor.kitchen_humidity") == {"state": 40})
        assert available(rig, "sensor.kitchen_temperature")
        cap = rig.hub.registry.get("sensor.kitchen_temperature")
        assert (cap.attributes["unit_of_measurement"], cap.attributes["device_class"]) == (
            "°C", "temperature")
        result = await rig.hub.call("sensor.kitchen_humidity", "get_state")
        assert result.value == {"state": {"state": 40}, "available": True}
        rig.send(rig.topic("kitchen", "lwt"), "offline")
        await eventually(lambda: not available(rig, "sensor.kitchen_temperature"))
        assert available(rig, "sensor.kitchen_humidity")  # it has no availability topic


async def test_binary_sensor_state_trigger_and_availability(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    dev = base(topic_prefix)
    motion = {"name": "Hall motion", "state_topic": f"{dev}/hall",
              "device_class": "motion", "value_template": "{{ value_json.occupancy }}",
              "payload_on": "True", "payload_off": "False",
              "availability_topic": f"{dev}/hall/lwt",
              "device": {"identifiers": "hall_sensor", "suggested_area": "hallway"}}
    async with yaml_hub(tmp_path, mosquitto, topic_prefix,
                        [{"binary_sensor": motion}]) as rig:  # HA's list form
        cap = rig.hub.registry.get("binary_sensor.hall_motion")
        assert [(t.name, t.intent) for t in cap.triggers] == [
            ("motion_detected", "motion detected in {area}")]
        rig.send(rig.topic("hall", "lwt"), "online")
        await eventually(lambda: available(rig, "binary_sensor.hall_motion"))
        rig.send(rig.topic("hall"), json.dumps({"occupancy": True}))
        await eventually(lambda: rig.of(TriggerFired) != [])
        assert rig.of(TriggerFired)[0].intent == "motion detected in hallway"
        assert rig.state("binary_sensor.hall_motion") == {"state": "on"}
        rig.send(rig.topic("hall"), json.dumps({"occupancy": False}))
        await eventually(lambda: rig.state("binary_sensor.hall_motion") == {"state": "off"})


# -- fan ------------------------------------------------------------------------------------


async def test_fan_speeds_oscillation_presets(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    dev = base(topic_prefix)
    fan = {"name": "Ceiling fan", "command_topic": f"{dev}/fan/on/set",
           "state_topic": f"{dev}/fan/on/state",
           "percentage_command_topic": f"{dev}/fan/speed/set",
           "percentage_state_topic": f"{dev}/fan/speed",
           "speed_range_min": 1, "speed_range_max": 3,
           "oscillation_command_topic": f"{dev}/fan/osc/set",
           "oscillation_state_topic": f"{dev}/fan/osc",
           "preset_mode_command_topic": f"{dev}/fan/preset/set",
           "preset_modes": ["breeze", "sleep"], "availability_topic": f"{dev}/fan/lwt"}
    async with yaml_hub(tmp_path, mosquitto, topic_prefix, {"fan": [fan]}) as rig:
        rig.send(rig.topic("fan", "lwt"), "online")
        rig.send(rig.topic("fan", "on", "state"), "OFF")
        await eventually(lambda: rig.state("fan.ceiling_fan") == {"state": "off"})
        assert available(rig, "fan.ceiling_fan")
        rig.echo(rig.topic("fan", "on", "set"), rig.topic("fan", "on", "state"))
        rig.echo(rig.topic("fan", "speed", "set"), rig.topic("fan", "speed"))
        rig.echo(rig.topic("fan", "osc", "set"), rig.topic("fan", "osc"))
        rig.peer.subscribe(rig.topic("fan", "preset", "set"))
        result = await rig.hub.call("fan.ceiling_fan", "turn_on", {"percentage": 50})
        assert rig.peer.messages(rig.topic("fan", "on", "set")) == [b"ON"]
        assert rig.peer.messages(rig.topic("fan", "speed", "set")) == [b"2"]  # 2 of 3
        assert result.value["state"]["percentage"] == 67
        await rig.hub.call("fan.ceiling_fan", "oscillate", {"oscillating": True})
        assert rig.peer.messages(rig.topic("fan", "osc", "set")) == [b"oscillate_on"]
        await rig.hub.call("fan.ceiling_fan", "set_preset_mode", {"preset_mode": "sleep"})
        await eventually(lambda: rig.peer.messages(rig.topic("fan", "preset", "set")) == [
            b"sleep"])
        rig.send(rig.topic("fan", "lwt"), "offline")
        await eventually(lambda: not available(rig, "fan.ceiling_fan"))


# -- climate --------------------------------------------------------------------------------


async def test_climate_modes_and_temperatures(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    dev = base(topic_prefix)
    hvac = {"name": "Thermostat", "unique_id": "lounge_hvac", "object_id": "lounge",
            "mode_command_topic": f"{dev}/hvac/mode/set",
            "mode_state_topic": f"{dev}/hvac/mode", "modes": ["off", "heat", "cool"],
            "temperature_command_topic": f"{dev}/hvac/temp/set",
            "temperature_state_topic": f"{dev}/hvac/state",
            "temperature_state_template": "{{ value_json.target }}",
            "current_temperature_topic": f"{dev}/hvac/state",
            "current_temperature_template": "{{ value_json.current }}",
            "min_temp": 10, "max_temp": 30, "temp_step": 0.5,
            "availability_topic": f"{dev}/hvac/lwt"}
    async with yaml_hub(tmp_path, mosquitto, topic_prefix, {"climate": [hvac]}) as rig:
        # object_id names the capability, as it names Home Assistant's entity
        assert tools(rig, "climate.lounge") == [
            "set_temperature", "set_hvac_mode", "turn_on", "turn_off", "toggle", "get_state"]
        rig.send(rig.topic("hvac", "lwt"), "online")
        rig.send(rig.topic("hvac", "state"), json.dumps({"target": 20, "current": 18.5}))
        await eventually(lambda: rig.state("climate.lounge").get("current_temperature")
                         == 18.5)
        assert available(rig, "climate.lounge")
        rig.echo(rig.topic("hvac", "mode", "set"), rig.topic("hvac", "mode"))
        rig.echo(rig.topic("hvac", "temp", "set"), rig.topic("hvac", "state"),
                 lambda p: json.dumps({"target": round(float(p) * 2) / 2, "current": 19.2}))
        result = await rig.hub.call("climate.lounge", "set_temperature",
                                    {"temperature": 21.3, "hvac_mode": "heat"})
        assert rig.peer.messages(rig.topic("hvac", "mode", "set")) == [b"heat"]
        assert rig.peer.messages(rig.topic("hvac", "temp", "set")) == [b"21.3"]
        state = result.value["state"]
        assert (state["state"], state["temperature"], state["current_temperature"]) == (
            "heat", 21.5, 19.2)
        with pytest.raises(ToolError, match=r"temperature 40 is outside 10..30"):
            await rig.hub.call("climate.lounge", "set_temperature", {"temperature": 40})
        rig.send(rig.topic("hvac", "lwt"), "offline")
        await eventually(lambda: not available(rig, "climate.lounge"))


# -- forms and sharing ------------------------------------------------------------------------


async def test_list_form_joins_every_piece_and_discovery_cannot_take_a_manual_id(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    dev = base(topic_prefix)
    pieces = [
        {"light": {"name": "Porch", "command_topic": f"{dev}/porch/set"}},
        {"sensor": [{"name": "Porch lux", "state_topic": f"{dev}/porch/lux"}],
         "switch": [{"name": "Porch socket", "command_topic": f"{dev}/socket/set"}]},
    ]
    discovery = {"mqtt_discovery": {"discovery_prefix": f"{topic_prefix}/ha"}}
    async with yaml_hub(tmp_path, mosquitto, topic_prefix, pieces,
                        integrations=discovery) as rig:
        ids = sorted(c.id for c in rig.hub.registry.all() if c.source == "mqtt")
        assert ids == ["light.porch", "sensor.porch_lux", "switch.porch_socket"]
        # no state topic: optimistic, as in Home Assistant
        rig.peer.subscribe(rig.topic("porch", "set"))
        result = await rig.hub.call("light.porch", "turn_on")
        assert result.value["state"] == {"state": "on"}
        await eventually(lambda: rig.peer.messages(rig.topic("porch", "set")) == [b"ON"])

        topic = rig.announce("light", "porch", {"object_id": "porch",
                                                "cmd_t": f"{dev}/other/set"})
        await eventually(lambda: rig.hub.bad_input.counts[topic] == 1)
        assert rig.hub.registry.get("light.porch").source == "mqtt"


async def test_entities_in_an_included_file(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    dev = base(topic_prefix)
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "configuration.yaml").write_text(
        f"data_dir: {tmp_path / 'data'}\n"
        f"mqtt:\n  host: {mosquitto.host}\n  port: {mosquitto.port}\n"
        "  switch: !include switches.yaml\n")
    (config_dir / "switches.yaml").write_text(
        f"- name: Kettle\n  command_topic: {dev}/kettle/set\n  state_topic: {dev}/kettle\n")
    async with Hub(load_config(config_dir)) as hub:
        cap = hub.registry.get("switch.kettle")
        assert cap.attributes["declared_at"] == "switches.yaml:1:3"
        with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
            peer.publish(f"{dev}/kettle", "ON")
            await eventually(lambda: hub.registry.get("switch.kettle").state == {"state": "on"})


async def test_exit_withdraws_the_manual_entities(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    dev = base(topic_prefix)
    entities = {"switch": [{"name": "Kettle", "command_topic": f"{dev}/kettle/set"}]}
    async with yaml_hub(tmp_path, mosquitto, topic_prefix, entities) as rig:
        hub = rig.hub
        assert "switch.kettle" in hub.registry
    assert "switch.kettle" not in hub.registry


# -- capabilities without a provider --------------------------------------------------------


async def test_a_declared_capability_without_provider_says_so(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    dev = base(topic_prefix)
    declared = [{"id": "light.porch", "type": "light", "area": "garden"},
                {"id": "switch.kettle", "type": "switch", "name": "Kettle"},
                {"id": "fan.remote", "type": "fan", "node": "elsewhere"}]
    entities = {"switch": [{"name": "Kettle", "command_topic": f"{dev}/kettle/set"}]}
    async with yaml_hub(tmp_path, mosquitto, topic_prefix, entities,
                        capabilities=declared) as rig:
        hub = rig.hub
        porch = hub.registry.get("light.porch")
        assert (porch.available, porch.reason) == (False, "no provider")
        # another node's capability is that node's business
        assert hub.registry.get("fan.remote").available
        # an MQTT entity with the same id is its provider
        kettle = hub.registry.get("switch.kettle")
        assert (kettle.available, kettle.reason, kettle.source) == (True, "", "mqtt")

        with pytest.raises(ToolError) as info:
            await hub.call("light.porch", "turn_on")
        assert str(info.value) == (
            "light.porch has no provider on this node: it is declared under capabilities: "
            "but nothing drives it; declare it under mqtt: with its state and command "
            "topics (docs/integrations/mqtt.md), or configure an integration that "
            "provides it")
        state = await hub.call("light.porch", "get_state")  # the last known state still reads
        assert state.value == {"state": {}, "available": False}

        app = create_app(hub)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://hub",
                                     headers={"Authorization": f"Bearer {hub.api_token}"}) as api:
            view = (await api.get("/api/capabilities/light.porch")).json()
            assert (view["available"], view["reason"]) == (False, "no provider")
            listed = (await api.get("/api/capabilities")).json()["capabilities"]
            assert {c["id"]: c["reason"] for c in listed}["switch.kettle"] == ""
            called = await api.post("/api/capabilities/light.porch/tools/turn_on", json={})
            assert "declare it under mqtt:" in called.json()["error"]["message"]


def test_the_capabilities_command_shows_why_one_is_unavailable() -> None:
    from hub.cli import capability_table

    listed = [
        {"id": "light.porch", "type": "light", "area": "garden", "available": False,
         "reason": "no provider", "state": {}},
        {"id": "switch.kettle", "type": "switch", "available": True, "reason": "",
         "state": {"state": "on"}},
        {"id": "fan.attic", "type": "fan", "available": False, "reason": "", "state": {}},
    ]
    assert capability_table(listed) == [
        "ID             TYPE    AREA    AVAILABLE         STATE",
        "light.porch    light   garden  no (no provider)",
        "switch.kettle  switch          yes               on",
        "fan.attic      fan             no",
    ]


async def test_a_capability_restored_without_its_provider_says_so(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    config = load_config(write_config(tmp_path, mqtt={"host": mosquitto.host,
                                                      "port": mosquitto.port}))
    async with Hub(config) as hub:  # a provider that registers it, and is gone next time
        hub.registry.add(Capability(id="switch.kept", type="switch", source="zigbee2mqtt",
                                    tools=standard_tools("switch")))
    async with Hub(config) as hub:
        kept = hub.registry.get("switch.kept")
        assert (kept.available, kept.reason) == (False, "no provider")
        with pytest.raises(ToolError, match=r"^switch.kept has no provider on this node: its "
                                            r"provider \(zigbee2mqtt\) has not registered it "
                                            r"since the hub started$"):
            await hub.call("switch.kept", "turn_on")
        hub.registry.add(kept, None)
        hub.registry.set_available("switch.kept", True)
        assert hub.registry.get("switch.kept").reason == ""  # back: no reason any more
