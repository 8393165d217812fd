"""The platforms beyond lights and switches: select, number, text, siren, update, event,
valve, vacuum, humidifier, water_heater, alarm_control_panel, device_tracker, lawn_mower,
scene, image, notify, tag. Each: a configuration in, the capability out, its state read,
and what its tools publish (Home Assistant's MQTT documentation is the specification)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.errors import PayloadError, RegistryError, ToolError
from hub.events import BadInput, StateChanged, TriggerFired
from tests.broker import Mosquitto
from tests.test_mqtt_discovery import Rig, running
from tests.test_mqtt_discovery_components import jpeg, received, tools
from tests.waiting import eventually


@pytest.fixture(name="rig")
async def rig_fixture(tmp_path: Path, mosquitto: Mosquitto,
                      topic_prefix: str) -> AsyncIterator[Rig]:
    async with running(tmp_path, mosquitto, topic_prefix) as rig:
        yield rig


def schema(rig: Rig, capability_id: str, tool: str) -> dict:
    found = rig.hub.registry.get(capability_id).tool(tool)
    assert found is not None
    return {k: dict(v) for k, v in found.parameters["properties"].items()}


async def test_select_options_state_and_commands(rig: Rig) -> None:
    rig.announce("select", "pob", {
        "uniq_id": "bulb_pob", "name": "Power-on behaviour", "ent_cat": "config",
        "cmd_t": rig.topic("bulb", "set"), "stat_t": rig.topic("bulb"),
        "val_tpl": "{{ value_json.power_on_behavior }}",
        "cmd_tpl": '{"power_on_behavior": "{{ value }}"}',
        "ops": ["off", "on", "toggle", "previous"]})
    await rig.has("select.bulb_pob")
    cap = rig.hub.registry.get("select.bulb_pob")
    assert cap.attributes["entity_category"] == "config"
    assert tools(rig, cap.id) == ["select_option", "select_first", "select_last",
                                  "select_next", "select_previous", "get_state"]
    assert schema(rig, cap.id, "select_option")["option"]["enum"] == [
        "off", "on", "toggle", "previous"]
    rig.echo(rig.topic("bulb", "set"), rig.topic("bulb"))
    result = await rig.hub.call(cap.id, "select_option", {"option": "previous"})
    assert result.value["state"]["state"] == "previous"
    assert received(rig, rig.topic("bulb", "set")) == [b'{"power_on_behavior": "previous"}']
    await rig.hub.call(cap.id, "select_next")  # wraps around
    assert rig.state(cap.id)["state"] == "off"
    with pytest.raises(PayloadError, match="option: expected one of 'off', 'on', 'toggle', "
                                           "'previous', got 'sometimes'"):
        await rig.hub.call(cap.id, "select_option", {"option": "sometimes"})
    rig.send(rig.topic("bulb"), json.dumps({"power_on_behavior": "blink"}))
    await eventually(lambda: rig.hub.bad_input.counts[rig.topic("bulb")] == 1)
    assert "'blink' is not one of the options off, on, toggle, previous" in rig.of(
        BadInput)[-1].reason


async def test_number_range_whole_values_and_reset(rig: Rig) -> None:
    rig.announce("number", "timeout", {
        "uniq_id": "timeout", "cmd_t": rig.topic("timeout", "set"),
        "stat_t": rig.topic("timeout"), "min": 0, "max": 600, "step": 5,
        "unit_of_meas": "s"})
    await rig.has("number.timeout")
    value = schema(rig, "number.timeout", "set_value")["value"]
    assert (value["minimum"], value["maximum"]) == (0, 600)
    rig.echo(rig.topic("timeout", "set"), rig.topic("timeout"))
    result = await rig.hub.call("number.timeout", "set_value", {"value": 120.0})
    assert received(rig, rig.topic("timeout", "set")) == [b"120"]  # not "120.0"
    assert result.value["state"]["state"] == 120
    await rig.hub.call("number.timeout", "set_value", {"value": 2.5})
    assert received(rig, rig.topic("timeout", "set"))[-1] == b"2.5"
    with pytest.raises(PayloadError, match=r"number.timeout/set_value.value: expected "
                                           r"0.0..600.0, got 700"):
        await rig.hub.call("number.timeout", "set_value", {"value": 700})
    rig.send(rig.topic("timeout"), "None")
    await eventually(lambda: rig.state("number.timeout")["state"] is None)
    rig.send(rig.topic("timeout"), "9000")
    await eventually(lambda: rig.hub.bad_input.counts[rig.topic("timeout")] == 1)


async def test_number_without_state_topic_is_optimistic(rig: Rig) -> None:
    rig.announce("number", "offset", {"uniq_id": "offset", "cmd_t": rig.topic("offset"),
                                      "min": -5, "max": 5, "step": 0.1,
                                      "cmd_tpl": '{"offset": {{ value }}}'})
    await rig.has("number.offset")
    rig.peer.subscribe(rig.topic("offset"))
    await rig.hub.call("number.offset", "set_value", {"value": -1.5})
    assert rig.state("number.offset")["state"] == -1.5
    await eventually(lambda: received(rig, rig.topic("offset")) == [b'{"offset": -1.5}'])


async def test_text_length_and_pattern(rig: Rig) -> None:
    rig.announce("text", "label", {"uniq_id": "label", "cmd_t": rig.topic("label", "set"),
                                   "stat_t": rig.topic("label"), "min": 2, "max": 8,
                                   "ptrn": "[a-z ]+"})
    await rig.has("text.label")
    value = schema(rig, "text.label", "set_value")["value"]
    assert (value["minLength"], value["maxLength"], value["pattern"]) == (2, 8, "[a-z ]+")
    rig.echo(rig.topic("label", "set"), rig.topic("label"))
    await rig.hub.call("text.label", "set_value", {"value": "hall"})
    assert rig.state("text.label")["state"] == "hall"
    with pytest.raises(PayloadError, match="text.label/set_value.value: length must be 2..8, "
                                           "got 9"):
        await rig.hub.call("text.label", "set_value", {"value": "corridors"})
    with pytest.raises(ToolError, match=r"does not match the pattern '\[a-z \]\+'"):
        await rig.hub.call("text.label", "set_value", {"value": "Hall"})


async def test_siren_json_payload_and_supported_fields(rig: Rig) -> None:
    rig.announce("siren", "alarm", {
        "uniq_id": "siren", "cmd_t": rig.topic("siren", "set"), "stat_t": rig.topic("siren"),
        "av_tones": ["ping", "fire"], "sup_dur": False})
    await rig.has("siren.siren")
    assert set(schema(rig, "siren.siren", "turn_on")) == {"tone", "volume_level"}
    rig.echo(rig.topic("siren", "set"), rig.topic("siren"))
    await rig.hub.call("siren.siren", "turn_on", {"tone": "fire", "volume_level": 0.5})
    assert json.loads(received(rig, rig.topic("siren", "set"))[-1]) == {
        "state": "ON", "tone": "fire", "volume_level": 0.5}
    state = rig.state("siren.siren")
    assert (state["state"], state["tone"]) == ("on", "fire")
    await rig.hub.call("siren.siren", "turn_off")
    assert json.loads(received(rig, rig.topic("siren", "set"))[-1]) == {"state": "OFF"}
    assert rig.state("siren.siren")["state"] == "off"
    with pytest.raises(ToolError, match="tone 'bell' is not one of ping, fire"):
        await rig.hub.call("siren.siren", "turn_on", {"tone": "bell"})


async def test_siren_with_command_template_and_plain_state(rig: Rig) -> None:
    rig.announce("siren", "bell", {
        "uniq_id": "bell", "cmd_t": rig.topic("bell", "set"), "stat_t": rig.topic("bell"),
        "cmd_tpl": "{{ value }}:{{ duration }}", "cmd_off_tpl": "stop"})
    await rig.has("siren.bell")
    rig.echo(rig.topic("bell", "set"), rig.topic("bell"),
             lambda p: "OFF" if p == b"stop" else "ON")
    await rig.hub.call("siren.bell", "turn_on", {"duration": 10})
    await rig.hub.call("siren.bell", "turn_off")
    assert received(rig, rig.topic("bell", "set")) == [b"ON:10", b"stop"]


async def test_update_versions_and_install(rig: Rig) -> None:
    rig.announce("update", "fw", {
        "uniq_id": "plug_fw", "dev_cla": "firmware", "stat_t": rig.topic("fw"),
        "cmd_t": rig.topic("fw", "install"), "pl_inst": "install"})
    await rig.has("update.plug_fw")
    cap = rig.hub.registry.get("update.plug_fw")
    assert tools(rig, cap.id) == ["install", "get_state"]
    assert cap.attributes["entity_category"] == "config"
    rig.send(rig.topic("fw"), json.dumps({"installed_version": "1.0", "latest_version": "1.2",
                                          "release_summary": "fixes"}))
    await eventually(lambda: rig.state(cap.id).get("state") == "on")
    assert rig.state(cap.id)["release_summary"] == "fixes"
    rig.peer.subscribe(rig.topic("fw", "install"))
    await rig.hub.call(cap.id, "install")
    await eventually(lambda: received(rig, rig.topic("fw", "install")) == [b"install"])
    rig.send(rig.topic("fw"), "1.2")  # plain text: the installed version
    await eventually(lambda: rig.state(cap.id).get("state") == "off")


async def test_update_with_latest_version_topic_and_no_command(rig: Rig) -> None:
    rig.announce("update", "app", {"uniq_id": "app", "stat_t": rig.topic("app", "installed"),
                                   "l_ver_t": rig.topic("app", "latest"),
                                   "l_ver_tpl": "{{ value_json.v }}"})
    await rig.has("update.app")
    assert tools(rig, "update.app") == ["get_state"]
    rig.send(rig.topic("app", "installed"), "3.1")
    rig.send(rig.topic("app", "latest"), json.dumps({"v": "3.2"}))
    await eventually(lambda: rig.state("update.app").get("state") == "on")


async def test_event_types_are_triggers(rig: Rig) -> None:
    rig.announce("event", "remote", {
        "uniq_id": "remote", "name": "Remote", "stat_t": rig.topic("remote"),
        "evt_typ": ["press", "hold"], "dev_cla": "button"})
    await rig.has("event.remote")
    assert [t.name for t in rig.hub.registry.get("event.remote").triggers] == ["press", "hold"]
    rig.send(rig.topic("remote"), json.dumps({"event_type": "hold", "button": 2}))
    await eventually(lambda: rig.of(TriggerFired) != [])
    fired = rig.of(TriggerFired)[0]
    assert (fired.trigger, fired.payload, fired.intent) == (
        "hold", {"event_type": "hold", "button": 2}, "Remote hold")
    assert rig.state("event.remote")["event_type"] == "hold"
    rig.send(rig.topic("remote"), json.dumps({"event_type": "spin"}))
    await eventually(lambda: rig.hub.bad_input.counts[rig.topic("remote")] == 1)
    assert "event_type 'spin' is not one of press, hold" in rig.of(BadInput)[-1].reason


async def test_tag_scans_fire_a_trigger(rig: Rig) -> None:
    rig.announce("tag", "reader", {"t": rig.topic("tag"), "val_tpl": "{{ value_json.id }}",
                                   "dev": {"ids": "reader1", "name": "Door reader"}})
    await rig.has("tag.reader")
    rig.send(rig.topic("tag"), json.dumps({"id": "04:A2:19"}))
    await eventually(lambda: rig.of(TriggerFired) != [])
    fired = rig.of(TriggerFired)[0]
    assert (fired.capability_id, fired.trigger, fired.payload) == (
        "tag.reader", "tag_scanned", {"tag_id": "04:A2:19"})


async def test_valve_on_off_and_position(rig: Rig) -> None:
    rig.announce("valve", "water", {"uniq_id": "water", "cmd_t": rig.topic("water", "set"),
                                    "stat_t": rig.topic("water"), "pl_stop": "STOP"})
    await rig.has("valve.water")
    assert tools(rig, "valve.water") == ["open_valve", "close_valve", "stop_valve", "toggle",
                                         "get_state"]
    rig.echo(rig.topic("water", "set"), rig.topic("water"),
             lambda p: {b"OPEN": "open", b"CLOSE": "closed"}.get(p))
    await rig.hub.call("valve.water", "open_valve")
    assert rig.state("valve.water")["state"] == "open"
    await rig.hub.call("valve.water", "toggle")
    assert received(rig, rig.topic("water", "set")) == [b"OPEN", b"CLOSE"]

    rig.announce("valve", "radiator", {
        "uniq_id": "radiator", "cmd_t": rig.topic("rad", "set"), "stat_t": rig.topic("rad"),
        "rep_pos": True, "pos_open": 255, "pos_clsd": 0})
    await rig.has("valve.radiator")
    assert "set_valve_position" in tools(rig, "valve.radiator")
    rig.echo(rig.topic("rad", "set"), rig.topic("rad"))
    result = await rig.hub.call("valve.radiator", "set_valve_position", {"position": 50})
    assert received(rig, rig.topic("rad", "set")) == [b"128"]  # 50 % of 0..255
    assert result.value["state"] == {"current_position": 50, "state": "open"}
    await rig.hub.call("valve.radiator", "close_valve")
    assert received(rig, rig.topic("rad", "set"))[-1] == b"0"
    assert rig.state("valve.radiator")["state"] == "closed"


async def test_vacuum_commands_fan_speed_and_send_command(rig: Rig) -> None:
    rig.announce("vacuum", "robot", {
        "uniq_id": "robot", "cmd_t": rig.topic("vac", "cmd"), "stat_t": rig.topic("vac"),
        "send_cmd_t": rig.topic("vac", "send"), "set_fan_spd_t": rig.topic("vac", "speed"),
        "fanspd_lst": ["min", "max"],
        "sup_feat": ["start", "pause", "stop", "return_home", "locate", "fan_speed",
                     "send_command"]})
    await rig.has("vacuum.robot")
    assert tools(rig, "vacuum.robot") == ["start", "pause", "stop", "return_to_base",
                                          "locate", "set_fan_speed", "send_command",
                                          "get_state"]
    rig.peer.subscribe(rig.topic("vac", "#"))
    await rig.hub.call("vacuum.robot", "start")
    await rig.hub.call("vacuum.robot", "return_to_base")
    await rig.hub.call("vacuum.robot", "set_fan_speed", {"fan_speed": "max"})
    await rig.hub.call("vacuum.robot", "send_command", {"command": "zone",
                                                         "params": {"room": 3}})
    await rig.hub.call("vacuum.robot", "send_command", {"command": "reboot"})
    await eventually(lambda: received(rig, rig.topic("vac", "cmd")) == [b"start",
                                                                        b"return_to_base"])
    await eventually(lambda: received(rig, rig.topic("vac", "send")) == [
        b'{"command": "zone", "room": 3}', b"reboot"])
    assert received(rig, rig.topic("vac", "speed")) == [b"max"]
    rig.send(rig.topic("vac"), json.dumps({"state": "docked", "battery_level": 90}))
    await eventually(lambda: rig.state("vacuum.robot") == {"state": "docked",
                                                           "battery_level": 90})
    with pytest.raises(RegistryError, match='vacuum.robot has no tool "clean_spot"'):
        await rig.hub.call("vacuum.robot", "clean_spot")


async def test_humidifier_on_humidity_and_mode(rig: Rig) -> None:
    rig.announce("humidifier", "hum", {
        "uniq_id": "hum", "cmd_t": rig.topic("hum", "power"), "stat_t": rig.topic("hum"),
        "hum_cmd_t": rig.topic("hum", "target"), "hum_stat_t": rig.topic("hum", "target_st"),
        "mode_cmd_t": rig.topic("hum", "mode"), "modes": ["eco", "boost"],
        "min_hum": 30, "max_hum": 80})
    await rig.has("humidifier.hum")
    rig.echo(rig.topic("hum", "power"), rig.topic("hum"))
    rig.echo(rig.topic("hum", "target"), rig.topic("hum", "target_st"))
    rig.peer.subscribe(rig.topic("hum", "mode"))
    await rig.hub.call("humidifier.hum", "turn_on")
    await rig.hub.call("humidifier.hum", "set_humidity", {"humidity": 55})
    await rig.hub.call("humidifier.hum", "set_mode", {"mode": "eco"})
    assert rig.state("humidifier.hum") == {"state": "on", "humidity": 55, "mode": "eco"}
    assert received(rig, rig.topic("hum", "target")) == [b"55"]
    await eventually(lambda: received(rig, rig.topic("hum", "mode")) == [b"eco"])
    with pytest.raises(ToolError, match="humidifier.hum/set_humidity: 90 is outside 30..80"):
        await rig.hub.call("humidifier.hum", "set_humidity", {"humidity": 90})


async def test_water_heater_temperature_and_mode(rig: Rig) -> None:
    rig.announce("water_heater", "boiler", {
        "uniq_id": "boiler", "mode_cmd_t": rig.topic("wh", "mode"),
        "mode_stat_t": rig.topic("wh", "mode_st"), "temp_cmd_t": rig.topic("wh", "temp"),
        "curr_temp_t": rig.topic("wh", "now"), "pow_cmd_t": rig.topic("wh", "power"),
        "modes": ["off", "eco", "performance"]})
    await rig.has("water_heater.boiler")
    assert tools(rig, "water_heater.boiler") == ["turn_on", "turn_off", "set_temperature",
                                                 "set_operation_mode", "get_state"]
    rig.echo(rig.topic("wh", "mode"), rig.topic("wh", "mode_st"))
    rig.peer.subscribe(rig.topic("wh", "temp"))
    await rig.hub.call("water_heater.boiler", "set_temperature", {"temperature": 55})
    await rig.hub.call("water_heater.boiler", "set_operation_mode", {"operation_mode": "eco"})
    assert rig.state("water_heater.boiler") == {"temperature": 55, "state": "eco"}
    await eventually(lambda: received(rig, rig.topic("wh", "temp")) == [b"55.0"])
    with pytest.raises(ToolError, match="operation_mode 'gas' is not one of off, eco"):
        await rig.hub.call("water_heater.boiler", "set_operation_mode",
                           {"operation_mode": "gas"})


async def test_alarm_panel_codes_and_payloads(rig: Rig) -> None:
    rig.announce("alarm_control_panel", "house", {
        "uniq_id": "house", "cmd_t": rig.topic("alarm", "set"), "stat_t": rig.topic("alarm"),
        "code": "1234", "cod_arm_req": False,
        "sup_feat": ["arm_home", "arm_away"]})
    await rig.has("alarm_control_panel.house")
    assert tools(rig, "alarm_control_panel.house") == [
        "alarm_arm_home", "alarm_arm_away", "alarm_disarm", "get_state"]
    rig.echo(rig.topic("alarm", "set"), rig.topic("alarm"),
             lambda p: {b"ARM_AWAY": "arming", b"DISARM": "disarmed"}[p])
    await rig.hub.call("alarm_control_panel.house", "alarm_arm_away")
    assert rig.state("alarm_control_panel.house")["state"] == "arming"
    with pytest.raises(ToolError, match="alarm_disarm: wrong or missing code"):
        await rig.hub.call("alarm_control_panel.house", "alarm_disarm", {"code": "0000"})
    await rig.hub.call("alarm_control_panel.house", "alarm_disarm", {"code": "1234"})
    assert received(rig, rig.topic("alarm", "set")) == [b"ARM_AWAY", b"DISARM"]

    rig.announce("alarm_control_panel", "remote", {
        "uniq_id": "remote_panel", "cmd_t": rig.topic("rp", "set"), "stat_t": rig.topic("rp"),
        "code": "REMOTE_CODE", "cmd_tpl": '{"action": "{{ action }}", "code": "{{ code }}"}'})
    await rig.has("alarm_control_panel.remote_panel")
    rig.echo(rig.topic("rp", "set"), rig.topic("rp"), lambda p: "triggered")
    await rig.hub.call("alarm_control_panel.remote_panel", "alarm_trigger", {"code": "99"})
    assert json.loads(received(rig, rig.topic("rp", "set"))[0]) == {"action": "TRIGGER",
                                                                   "code": "99"}


async def test_device_tracker_home_and_zones(rig: Rig) -> None:
    rig.announce("device_tracker", "phone", {"uniq_id": "phone", "stat_t": rig.topic("phone"),
                                             "pl_home": "in", "pl_not_home": "out"})
    await rig.has("device_tracker.phone")
    assert tools(rig, "device_tracker.phone") == ["get_state"]
    rig.send(rig.topic("phone"), "in")
    await eventually(lambda: rig.state("device_tracker.phone").get("state") == "home")
    rig.send(rig.topic("phone"), "office")
    await eventually(lambda: rig.state("device_tracker.phone").get("state") == "office")


async def test_lawn_mower_commands_and_activity(rig: Rig) -> None:
    rig.announce("lawn_mower", "mower", {
        "uniq_id": "mower", "activity_state_topic": rig.topic("mower"),
        "start_mowing_command_topic": rig.topic("mower", "start"),
        "dock_command_topic": rig.topic("mower", "dock")})
    await rig.has("lawn_mower.mower")
    assert tools(rig, "lawn_mower.mower") == ["start_mowing", "dock", "get_state"]
    rig.echo(rig.topic("mower", "start"), rig.topic("mower"), lambda p: "mowing")
    await rig.hub.call("lawn_mower.mower", "start_mowing")
    assert received(rig, rig.topic("mower", "start")) == [b"start_mowing"]
    assert rig.state("lawn_mower.mower")["state"] == "mowing"


async def test_scene_and_notify_publish(rig: Rig) -> None:
    rig.announce("scene", "movie", {"uniq_id": "movie", "cmd_t": rig.topic("scene"),
                                    "pl_on": "MOVIE"})
    rig.announce("notify", "display", {"uniq_id": "display", "cmd_t": rig.topic("lcd"),
                                       "cmd_tpl": "{{ title }}: {{ value }}"})
    await rig.has("scene.movie")
    await rig.has("notify.display")
    rig.peer.subscribe(rig.topic("scene"))
    rig.peer.subscribe(rig.topic("lcd"))
    await rig.hub.call("scene.movie", "turn_on")
    await rig.hub.call("notify.display", "send_message", {"message": "Door open",
                                                          "title": "Alert"})
    await eventually(lambda: received(rig, rig.topic("scene")) == [b"MOVIE"])
    await eventually(lambda: received(rig, rig.topic("lcd")) == [b"Alert: Door open"])


async def test_image_from_topic_and_from_url(rig: Rig) -> None:
    rig.announce("image", "snap", {"uniq_id": "snap", "img_t": rig.topic("snap"),
                                   "img_e": "b64", "cont_type": "image/jpeg"})
    rig.announce("image", "chart", {"uniq_id": "chart", "url_t": rig.topic("chart")})
    await rig.has("image.snap")
    await rig.has("image.chart")
    assert tools(rig, "image.snap") == ["get_frame", "get_state"]
    assert tools(rig, "image.chart") == ["get_state"]
    picture = jpeg("red")
    rig.send(rig.topic("snap"), base64.b64encode(picture))
    result = await rig.hub.call("image.snap", "get_frame")
    assert result.data == picture
    rig.send(rig.topic("chart"), "https://example.org/chart.png")
    await eventually(lambda: rig.state("image.chart").get("url") ==
                     "https://example.org/chart.png")


async def test_new_platforms_refuse_bad_configurations_with_reasons(rig: Rig) -> None:
    cases = {
        "select": ({"uniq_id": "s", "cmd_t": "a/b"}, "options: missing"),
        "number": ({"uniq_id": "n", "cmd_t": "a/b", "min": 5, "max": 1},
                   "max: must be greater than min (5), got 1"),
        "event": ({"uniq_id": "e", "stat_t": "a/b"}, "event_types: missing"),
        "tag": ({"t": "a/b"}, "device: missing"),
        "image": ({"uniq_id": "i"}, "give exactly one of image_topic and url_topic"),
        "valve": ({"uniq_id": "v", "cmd_t": "a/b", "rep_pos": True, "pl_open": "O"},
                  "payload_open: not allowed with reports_position"),
    }
    for component, (config, reason) in cases.items():
        topic = rig.announce(component, "bad", config)
        await eventually(lambda t=topic: rig.hub.bad_input.counts[t] == 1)
        assert reason in rig.of(BadInput)[-1].reason, component


async def test_sensor_expire_after_and_force_update(rig: Rig) -> None:
    rig.announce("sensor", "pool", {"uniq_id": "pool", "stat_t": rig.topic("pool"),
                                    "unit_of_meas": "°C", "exp_aft": 0.3, "frc_upd": True})
    await rig.has("sensor.pool")
    registry = rig.hub.registry
    rig.send(rig.topic("pool"), "24.5")
    await eventually(lambda: registry.get("sensor.pool").state.get("state") == 24.5)
    assert registry.get("sensor.pool").available
    # no report for expire_after seconds: unavailable, as Home Assistant's state expires
    await eventually(lambda: not registry.get("sensor.pool").available)
    rig.send(rig.topic("pool"), "24.5")
    await eventually(lambda: registry.get("sensor.pool").available)
    # force_update: the same value again is a state change event all the same
    changes = [e for e in rig.of(StateChanged) if e.capability_id == "sensor.pool"]
    assert len(changes) == 2 and changes[1].old == changes[1].new


async def test_default_light_hs_xy_and_rgbw_topics(rig: Rig) -> None:
    for name, extra in (("hs", {"hs_cmd_t": "~/hs/set", "hs_stat_t": "~/hs"}),
                        ("xy", {"xy_cmd_t": "~/xy/set", "xy_stat_t": "~/xy"}),
                        ("rgbw", {"rgbw_command_topic": "~/rgbw/set",
                                  "rgbw_state_topic": "~/rgbw"})):
        rig.announce("light", name, {"~": rig.topic(name), "uniq_id": f"lamp_{name}",
                                     "cmd_t": "~/switch", "opt": True, **extra})
        await rig.has(f"light.lamp_{name}")
    assert rig.hub.registry.get("light.lamp_xy").attributes["supported_color_modes"] == ["xy"]
    rig.peer.subscribe(rig.topic("#"))
    await rig.hub.call("light.lamp_hs", "turn_on", {"rgb_color": [255, 128, 0]})
    await rig.hub.call("light.lamp_xy", "turn_on", {"color_name": "red"})
    await rig.hub.call("light.lamp_xy", "turn_on", {"hs_color": [180, 100]})
    await rig.hub.call("light.lamp_rgbw", "turn_on", {"rgb_color": [255, 200, 100]})
    await eventually(lambda: received(rig, rig.topic("rgbw", "rgbw", "set")) != [])
    # what Home Assistant sends: hs from rgb, Wide RGB D65 xy, rgbw by its white split
    assert received(rig, rig.topic("hs", "hs", "set")) == [b"30.118,100.0"]
    assert received(rig, rig.topic("xy", "xy", "set")) == [b"0.701,0.299", b"0.151,0.343"]
    assert received(rig, rig.topic("rgbw", "rgbw", "set")) == [b"255,165,0,165"]
    rig.send(rig.topic("hs", "hs"), "200,50")
    rig.send(rig.topic("xy", "xy"), "0.3,0.6")
    await eventually(lambda: rig.state("light.lamp_xy").get("xy_color") == [0.3, 0.6])
    await eventually(lambda: rig.state("light.lamp_hs").get("hs_color") == [200, 50])
    assert rig.state("light.lamp_hs")["color_mode"] == "hs"


async def test_entity_category_is_kept_on_every_platform(rig: Rig) -> None:
    rig.announce("sensor", "rssi", {"uniq_id": "rssi", "stat_t": rig.topic("rssi"),
                                    "ent_cat": "diagnostic"})
    rig.announce("switch", "led", {"uniq_id": "led", "cmd_t": rig.topic("led"),
                                   "ent_cat": "config"})
    await rig.has("sensor.rssi")
    await rig.has("switch.led")
    assert rig.hub.registry.get("sensor.rssi").attributes["entity_category"] == "diagnostic"
    assert rig.hub.registry.get("switch.led").attributes["entity_category"] == "config"
    topic = rig.announce("sensor", "odd", {"uniq_id": "odd", "stat_t": rig.topic("odd"),
                                           "ent_cat": "system"})
    await eventually(lambda: rig.hub.bad_input.counts[topic] == 1)
    assert "entity_category: expected config or diagnostic, got 'system'" in rig.of(
        BadInput)[-1].reason


async def test_default_light_rgbww_and_white_topics(rig: Rig) -> None:
    rig.announce("light", "ww", {"~": rig.topic("ww"), "uniq_id": "lamp_ww", "cmd_t": "~/switch",
                                 "rgbww_command_topic": "~/rgbww/set",
                                 "rgbww_state_topic": "~/rgbww",
                                 "rgbww_command_template": "{{ red }}-{{ green }}-{{ blue }}-"
                                                           "{{ cold_white }}-{{ warm_white }}"})
    rig.announce("light", "white", {"~": rig.topic("white"), "uniq_id": "lamp_white",
                                    "cmd_t": "~/switch", "opt": True,
                                    "bri_cmd_t": "~/bri/set", "hs_cmd_t": "~/hs/set",
                                    "white_command_topic": "~/white/set", "white_scale": 100})
    await rig.has("light.lamp_ww")
    await rig.has("light.lamp_white")
    registry = rig.hub.registry
    assert registry.get("light.lamp_ww").attributes["supported_color_modes"] == ["rgbww"]
    assert registry.get("light.lamp_white").attributes["supported_color_modes"] == ["hs",
                                                                                   "white"]
    assert schema(rig, "light.lamp_white", "turn_on")["white"]["maximum"] == 255
    assert "white" not in schema(rig, "light.lamp_ww", "turn_on")
    rig.peer.subscribe(rig.topic("#"))
    # state: r,g,b,cold white,warm white; rgb as Home Assistant derives it (2000..6535 K)
    rig.send(rig.topic("ww", "rgbww"), "255,0,0,0,255")
    await eventually(lambda: rig.state("light.lamp_ww").get("rgbww_color") == [255, 0, 0, 0, 255])
    assert rig.state("light.lamp_ww")["color_mode"] == "rgbww"
    assert rig.state("light.lamp_ww")["rgb_color"] == [255, 68, 7]
    rig.send(rig.topic("ww", "rgbww"), "1,2,3")
    await eventually(lambda: rig.hub.bad_input.counts[rig.topic("ww", "rgbww")] == 1)
    # an rgb colour goes out split as Home Assistant splits it for an rgbww light
    await rig.hub.call("light.lamp_ww", "turn_on", {"rgb_color": [255, 200, 100]})
    await eventually(lambda: received(rig, rig.topic("ww", "rgbww", "set")) != [])
    assert received(rig, rig.topic("ww", "rgbww", "set")) == [b"36-49-0-255-255"]
    # white: the brightness of the white channel on white_scale; brightness given with it
    # is the white level (Home Assistant's light service)
    await rig.hub.call("light.lamp_white", "turn_on", {"white": 255})
    await rig.hub.call("light.lamp_white", "turn_on", {"white": 128, "brightness": 51})
    await eventually(lambda: len(received(rig, rig.topic("white", "white", "set"))) == 2)
    assert received(rig, rig.topic("white", "white", "set")) == [b"100", b"20"]
    assert received(rig, rig.topic("white", "bri", "set")) == []
    state = rig.state("light.lamp_white")
    assert state["color_mode"] == "white" and state["brightness"] == 51
    with pytest.raises(PayloadError,
                       match=r"light\.lamp_white/turn_on\.white: expected 0\.\.255, got 300"):
        await rig.hub.call("light.lamp_white", "turn_on", {"white": 300})


async def test_sensor_last_reset_value_template(rig: Rig) -> None:
    rig.announce("sensor", "energy", {
        "uniq_id": "energy", "stat_t": rig.topic("energy"), "unit_of_meas": "kWh",
        "stat_cla": "total", "val_tpl": "{{ value_json.total }}",
        "last_reset_value_template": "{{ value_json.since }}"})
    await rig.has("sensor.energy")
    rig.send(rig.topic("energy"), '{"total": 12.5, "since": "2026-12-01T00:00:00+00:00"}')
    await eventually(lambda: rig.state("sensor.energy").get("state") == 12.5)
    assert rig.state("sensor.energy")["last_reset"] == "2026-12-01T00:00:00+00:00"
    # a last_reset that is no time: counted, and the reading is kept all the same
    rig.send(rig.topic("energy"), '{"total": 13, "since": "yesterday"}')
    await eventually(lambda: rig.hub.bad_input.counts[rig.topic("energy")] == 1)
    assert rig.state("sensor.energy")["state"] == 13
    assert rig.state("sensor.energy")["last_reset"] == "2026-12-01T00:00:00+00:00"
    assert "last_reset: expected an ISO 8601 date and time, got 'yesterday'" in \
        rig.of(BadInput)[-1].reason
