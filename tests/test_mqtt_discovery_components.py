"""Each supported component: what discovery makes of it, how its state is read, and what a
tool call publishes (payloads as the Home Assistant MQTT documentation describes them)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from hub.errors import RegistryError, ToolError
from hub.events import BadInput, TriggerFired
from tests.broker import Mosquitto
from tests.test_mqtt_discovery import Rig, running
from tests.waiting import eventually


@pytest.fixture(name="rig")
async def rig_fixture(tmp_path: Path, mosquitto: Mosquitto,
                      topic_prefix: str) -> AsyncIterator[Rig]:
    async with running(tmp_path, mosquitto, topic_prefix) as rig:
        yield rig

TIMEOUT_TEXT = "the device did not confirm within 2 s"


def tools(rig: Rig, capability_id: str) -> list[str]:
    return [t.name for t in rig.hub.registry.get(capability_id).tools]


def received(rig: Rig, topic: str) -> list[bytes]:
    return rig.peer.messages(topic)


# -- light ----------------------------------------------------------------------------------


def default_light(rig: Rig, **extra: Any) -> dict[str, Any]:
    return {
        "~": rig.topic("desk"), "name": "Desk lamp", "uniq_id": "desk_lamp",
        "cmd_t": "~/switch", "stat_t": "~/status",
        "bri_cmd_t": "~/brightness/set", "bri_stat_t": "~/brightness", "bri_scl": 100,
        "clr_temp_cmd_t": "~/ct/set", "clr_temp_stat_t": "~/ct",
        "rgb_cmd_t": "~/rgb/set", "rgb_stat_t": "~/rgb",
        "dev": {"ids": "desk", "name": "Desk lamp", "sa": "Office"},
        **extra,
    }


async def test_default_light_publishes_each_topic_and_waits_for_the_report(rig: Rig) -> None:
    rig.announce("light", "desk", default_light(rig))
    await rig.has("light.desk_lamp")
    assert tools(rig, "light.desk_lamp") == ["turn_on", "turn_off", "toggle", "get_state"]
    turn_on = rig.hub.registry.get("light.desk_lamp").tool("turn_on")
    assert turn_on is not None and "duration" not in turn_on.parameters["properties"]
    rig.echo(rig.topic("desk", "switch"), rig.topic("desk", "status"))
    rig.echo(rig.topic("desk", "brightness", "set"), rig.topic("desk", "brightness"))
    rig.echo(rig.topic("desk", "ct", "set"), rig.topic("desk", "ct"))
    rig.peer.subscribe(rig.topic("desk", "#"))

    result = await rig.hub.call("light.desk_lamp", "turn_on",
                                {"brightness_pct": 50, "color_temp_kelvin": 2700})
    assert result.value["state"]["state"] == "on"
    assert result.value["state"]["brightness"] == 128  # 50 on the device's 0..100 scale
    assert received(rig, rig.topic("desk", "brightness", "set")) == [b"50"]
    assert received(rig, rig.topic("desk", "ct", "set")) == [b"370"]  # mireds
    assert received(rig, rig.topic("desk", "switch")) == [b"ON"]
    order = [t for t, _ in rig.peer.received if t.endswith(("/set", "/switch"))]
    assert order[-1] == rig.topic("desk", "switch")  # on_command_type "last"
    state = rig.state("light.desk_lamp")
    assert state["color_temp_kelvin"] == 2702 and state["color_mode"] == "color_temp"

    rig.send(rig.topic("desk", "rgb"), "255,0,128")
    await rig.has("light.desk_lamp")
    rig.echo(rig.topic("desk", "rgb", "set"), rig.topic("desk", "rgb"))
    await rig.hub.call("light.desk_lamp", "turn_on", {"color_name": "red"})
    assert received(rig, rig.topic("desk", "rgb", "set"))[-1] == b"255,0,0"

    result = await rig.hub.call("light.desk_lamp", "toggle")
    assert result.value["state"]["state"] == "off"
    assert received(rig, rig.topic("desk", "switch"))[-1] == b"OFF"


async def test_light_turn_on_times_out_when_the_device_stays_silent(rig: Rig) -> None:
    rig.announce("light", "mute", {"cmd_t": rig.topic("mute", "set"),
                                   "stat_t": rig.topic("mute", "state"), "uniq_id": "mute"})
    await rig.has("light.mute")
    with pytest.raises(ToolError, match=f"light.mute/turn_on: {TIMEOUT_TEXT}"):
        await rig.hub.call("light.mute", "turn_on", {})


async def test_light_without_a_state_topic_is_optimistic(rig: Rig) -> None:
    rig.announce("light", "opt", {"cmd_t": rig.topic("opt", "set"), "uniq_id": "opt",
                                  "pl_on": "1", "pl_off": "0", "on_cmd_type": "first",
                                  "bri_cmd_t": rig.topic("opt", "bri"),
                                  "bri_cmd_tpl": "{{ (value / 2.55) | round }}"})
    await rig.has("light.opt")
    rig.peer.subscribe(rig.topic("opt", "#"))
    result = await rig.hub.call("light.opt", "turn_on", {"brightness": 255})
    assert result.value["state"] == {"state": "on", "brightness": 255}

    def sent() -> list[tuple[str, bytes]]:
        return [(t.rsplit("/", 1)[1], p) for t, p in rig.peer.received if t.startswith(rig.base)]

    await eventually(lambda: len(sent()) == 2)
    assert sent() == [("set", b"1"), ("bri", b"100")]


async def test_json_light_command_and_state(rig: Rig) -> None:
    rig.announce("light", "strip", {
        "schema": "json", "uniq_id": "strip", "name": "Strip",
        "cmd_t": rig.topic("strip", "set"), "stat_t": rig.topic("strip"),
        "brightness": True, "bri_scl": 254, "sup_clrm": ["color_temp", "rgb"]})
    await rig.has("light.strip")
    assert rig.hub.registry.get("light.strip").attributes["supported_color_modes"] == [
        "color_temp", "rgb"]

    def device(command: bytes) -> str:
        asked = json.loads(command)
        report = {"state": asked["state"], "brightness": asked.get("brightness", 254),
                  "color_mode": "rgb" if "color" in asked else "color_temp",
                  "color": asked.get("color", {"r": 255, "g": 255, "b": 255})}
        return json.dumps(report)

    rig.echo(rig.topic("strip", "set"), rig.topic("strip"), device)
    result = await rig.hub.call("light.strip", "turn_on",
                                {"brightness": 128, "rgb_color": [255, 0, 0], "transition": 2})
    sent = json.loads(received(rig, rig.topic("strip", "set"))[0])
    assert sent == {"state": "ON", "brightness": 127, "color": {"r": 255, "g": 0, "b": 0},
                    "transition": 2}
    state = result.value["state"]
    # 127 of 254 on the device is 128 of 255 in Home Assistant's scale
    assert (state["state"], state["brightness"], state["rgb_color"], state["color_mode"]) == (
        "on", 128, [255, 0, 0], "rgb")
    assert state["hs_color"] == [0.0, 100.0]

    await rig.hub.call("light.strip", "turn_off", {"transition": 1})
    assert json.loads(received(rig, rig.topic("strip", "set"))[-1]) == {
        "state": "OFF", "transition": 1}
    assert rig.state("light.strip")["state"] == "off"


async def test_json_light_with_a_bad_state_is_bad_input(rig: Rig) -> None:
    rig.announce("light", "j", {"schema": "json", "uniq_id": "j", "brightness": True,
                                "cmd_t": rig.topic("j", "set"), "stat_t": rig.topic("j")})
    await rig.has("light.j")
    rig.send(rig.topic("j"), json.dumps({"state": "ON", "brightness": "high"}))
    rig.send(rig.topic("j"), json.dumps({"state": "ON", "brightness": 100}))
    await rig.has("light.j")
    await eventually(lambda: rig.state("light.j").get("brightness") == 100)
    assert rig.hub.bad_input.counts[rig.topic("j")] == 1


async def test_light_schema_template_needs_its_command_templates(rig: Rig) -> None:
    topic = rig.announce("light", "t", {"schema": "template", "cmd_t": "a", "uniq_id": "t"})
    await eventually(lambda: rig.hub.bad_input.counts[topic] == 1)
    assert rig.of(BadInput)[0].reason == (
        f"{topic}: command_on_template: missing; the template schema needs it")
    other = rig.announce("light", "u", {"schema": "fancy", "cmd_t": "a", "uniq_id": "u"})
    await eventually(lambda: rig.hub.bad_input.counts[other] == 1)
    assert rig.of(BadInput)[1].reason == (
        f"{other}: schema: 'fancy' is not supported; use default, json or template")


async def test_template_light_renders_its_commands_and_reads_its_state(rig: Rig) -> None:
    rig.announce("light", "tpl", {
        "schema": "template", "uniq_id": "tpl_lamp", "cmd_t": rig.topic("tpl", "set"),
        "stat_t": rig.topic("tpl"),
        "command_on_template": "on,{{ brightness | d('') }},{{ color_temp | d('') }},"
                               "{{ red | d('') }}-{{ green | d('') }}-{{ blue | d('') }},"
                               "{{ hue | d('') }}",
        "command_off_template": "off",
        "state_template": "{{ value.split(',')[0] }}",
        "brightness_template": "{{ value.split(',')[1] }}",
        "red_template": "{{ value.split(',')[2].split('-')[0] }}",
        "green_template": "{{ value.split(',')[2].split('-')[1] }}",
        "blue_template": "{{ value.split(',')[2].split('-')[2] }}",
        "color_temp_template": "{{ value.split(',')[3] }}"})
    await rig.has("light.tpl_lamp")
    assert rig.hub.registry.get("light.tpl_lamp").attributes["supported_color_modes"] == [
        "color_temp", "hs"]
    rig.peer.subscribe(rig.topic("tpl", "set"))
    rig.send(rig.topic("tpl"), "on,128,255-0-0,370")
    await eventually(lambda: rig.state("light.tpl_lamp").get("brightness") == 128)
    state = rig.state("light.tpl_lamp")
    assert (state["state"], state["rgb_color"], state["color_temp_kelvin"]) == (
        "on", [255, 0, 0], 2702)
    rig.echo(rig.topic("tpl", "set"), rig.topic("tpl"),
             lambda p: "off,0,0-0-0,370" if p == b"off" else "on,255,0-0-255,250")
    await rig.hub.call("light.tpl_lamp", "turn_on", {"brightness": 255,
                                                     "color_temp_kelvin": 4000})
    await rig.hub.call("light.tpl_lamp", "turn_on", {"hs_color": [240, 100]})
    await rig.hub.call("light.tpl_lamp", "turn_off")
    # Home Assistant's template light: mireds, hs with RGB at full (a brightness template)
    assert received(rig, rig.topic("tpl", "set")) == [
        b"on,255,250,--,", b"on,,,0-0-255,240.0", b"off"]
    assert rig.state("light.tpl_lamp")["state"] == "off"


# -- switch, button -------------------------------------------------------------------------


async def test_switch_with_own_payloads_and_command_template(rig: Rig) -> None:
    rig.announce("switch", "heater", {
        "uniq_id": "heater", "cmd_t": rig.topic("heater", "cmd"), "stat_t": rig.topic("heater"),
        "pl_on": "1", "pl_off": "0", "stat_on": "running", "stat_off": "idle",
        "cmd_tpl": '{"power": {{ value }}}'})
    await rig.has("switch.heater")
    assert tools(rig, "switch.heater") == ["turn_on", "turn_off", "toggle", "get_state"]
    rig.echo(rig.topic("heater", "cmd"), rig.topic("heater"),
             lambda p: "running" if json.loads(p)["power"] == 1 else "idle")
    result = await rig.hub.call("switch.heater", "turn_on")
    assert result.value == {"state": {"state": "on"}, "available": True}
    assert received(rig, rig.topic("heater", "cmd")) == [b'{"power": 1}']
    await rig.hub.call("switch.heater", "toggle")
    assert rig.state("switch.heater")["state"] == "off"

    rig.send(rig.topic("heater"), "broken")
    await eventually(lambda: rig.hub.bad_input.counts[rig.topic("heater")] == 1)


async def test_button_press_publishes_its_payload(rig: Rig) -> None:
    rig.announce("button", "reboot", {"uniq_id": "reboot", "cmd_t": rig.topic("reboot"),
                                      "pl_prs": "RESTART", "dev_cla": "restart"})
    await rig.has("button.reboot")
    assert tools(rig, "button.reboot") == ["press", "get_state"]
    rig.peer.subscribe(rig.topic("reboot"))
    result = await rig.hub.call("button.reboot", "press")
    assert result.value["state"]["state"].startswith("20")  # the time of the press
    await eventually(lambda: received(rig, rig.topic("reboot")) == [b"RESTART"])


# -- sensors --------------------------------------------------------------------------------


async def test_sensor_keeps_text_when_it_measures_nothing(rig: Rig) -> None:
    rig.announce("sensor", "mode", {"uniq_id": "mode", "stat_t": rig.topic("mode")})
    await rig.has("sensor.mode")
    rig.send(rig.topic("mode"), "eco")
    await eventually(lambda: rig.state("sensor.mode") == {"state": "eco"})
    rig.send(rig.topic("mode"), "42")
    await eventually(lambda: rig.state("sensor.mode") == {"state": 42})


async def test_binary_sensor_motion_fires_its_trigger(rig: Rig) -> None:
    rig.announce("binary_sensor", "hall", {
        "uniq_id": "hall_motion", "name": "Motion", "stat_t": rig.topic("hall"),
        "dev_cla": "motion", "val_tpl": "{{ value_json.occupancy }}",
        "pl_on": "True", "pl_off": "False", "off_dly": 0.2,
        "dev": {"ids": "hall_sensor", "name": "Hall sensor", "sa": "hallway"}})
    await rig.has("binary_sensor.hall_motion")
    cap = rig.hub.registry.get("binary_sensor.hall_motion")
    assert [(t.name, t.intent) for t in cap.triggers] == [
        ("motion_detected", "motion detected in {area}")]
    rig.send(rig.topic("hall"), json.dumps({"occupancy": True}))
    await eventually(lambda: rig.of(TriggerFired) != [])
    fired = rig.of(TriggerFired)[0]
    assert (fired.capability_id, fired.trigger, fired.intent, fired.payload) == (
        "binary_sensor.hall_motion", "motion_detected", "motion detected in hallway",
        {"state": "on"})
    # off_delay: back to off by itself
    await eventually(lambda: rig.state("binary_sensor.hall_motion")["state"] == "off")


async def test_binary_sensor_retained_on_is_state_not_an_event(rig: Rig) -> None:
    rig.send(rig.topic("door"), "ON", retain=True)
    rig.announce("binary_sensor", "door", {"uniq_id": "door", "stat_t": rig.topic("door"),
                                           "dev_cla": "door", "name": "Front door"})
    try:
        await rig.has("binary_sensor.door")
        await eventually(lambda: rig.state("binary_sensor.door").get("state") == "on")
        assert rig.of(TriggerFired) == []
        rig.send(rig.topic("door"), "OFF")
        rig.send(rig.topic("door"), "ON")
        await eventually(lambda: [e.intent for e in rig.of(TriggerFired)] == [
            "Front door opened"])
        assert rig.of(TriggerFired)[0].priority == 1
    finally:
        rig.send(rig.topic("door"), b"", retain=True)


# -- cover ----------------------------------------------------------------------------------


async def test_cover_open_close_stop_and_position(rig: Rig) -> None:
    rig.announce("cover", "blind", {
        "uniq_id": "blind", "dev_cla": "blind", "cmd_t": rig.topic("blind", "cmd"),
        "stat_t": rig.topic("blind", "state"), "pos_t": rig.topic("blind", "pos"),
        "set_pos_t": rig.topic("blind", "setpos"), "pos_open": 255, "pos_clsd": 0,
        "pl_stop": None, "stat_open": "up", "stat_clsd": "down"})
    await rig.has("cover.blind")
    assert tools(rig, "cover.blind") == [
        "open_cover", "close_cover", "toggle", "set_cover_position", "get_state"]
    rig.echo(rig.topic("blind", "cmd"), rig.topic("blind", "state"),
             lambda p: {b"OPEN": "up", b"CLOSE": "down"}[p])
    rig.echo(rig.topic("blind", "setpos"), rig.topic("blind", "pos"))

    result = await rig.hub.call("cover.blind", "open_cover")
    assert result.value["state"]["state"] == "open"
    result = await rig.hub.call("cover.blind", "set_cover_position", {"position": 50})
    assert received(rig, rig.topic("blind", "setpos")) == [b"128"]  # 50 % of 0..255
    assert result.value["state"]["current_position"] == 50
    await rig.hub.call("cover.blind", "toggle")
    assert received(rig, rig.topic("blind", "cmd")) == [b"OPEN", b"CLOSE"]
    assert rig.state("cover.blind")["state"] == "closed"
    with pytest.raises(RegistryError, match='cover.blind has no tool "stop_cover"'):
        await rig.hub.call("cover.blind", "stop_cover")


async def test_cover_tilt_in_its_own_range(rig: Rig) -> None:
    rig.announce("cover", "slats", {
        "uniq_id": "slats", "cmd_t": rig.topic("slats", "cmd"),
        "tilt_cmd_t": rig.topic("slats", "tilt"), "tilt_status_t": rig.topic("slats", "tilt_st"),
        "tilt_min": 0, "tilt_max": 180, "tilt_opnd_val": 180, "tilt_clsd_val": 0})
    await rig.has("cover.slats")
    assert {"open_cover_tilt", "set_cover_tilt_position", "stop_cover_tilt"} <= set(
        tools(rig, "cover.slats"))
    rig.echo(rig.topic("slats", "tilt"), rig.topic("slats", "tilt_st"))
    await rig.hub.call("cover.slats", "set_cover_tilt_position", {"tilt_position": 50})
    assert received(rig, rig.topic("slats", "tilt")) == [b"90"]
    assert rig.state("cover.slats")["current_tilt_position"] == 50
    await rig.hub.call("cover.slats", "open_cover_tilt")
    assert rig.state("cover.slats")["current_tilt_position"] == 100
    # no state topic: optimistic
    result = await rig.hub.call("cover.slats", "close_cover")
    assert result.value["state"]["state"] == "closed"


# -- lock -----------------------------------------------------------------------------------


async def test_lock_lock_unlock_open_and_code(rig: Rig) -> None:
    rig.announce("lock", "front", {
        "uniq_id": "front_door", "cmd_t": rig.topic("lock", "set"),
        "stat_t": rig.topic("lock", "state"), "pl_open": "OPEN",
        "cod_form": r"^\d{4}$", "cmd_tpl": '{"action": "{{ value }}", "code": "{{ code }}"}'})
    await rig.has("lock.front_door")
    assert tools(rig, "lock.front_door") == ["lock", "unlock", "open", "get_state"]
    states = {"LOCK": "LOCKED", "UNLOCK": "UNLOCKED", "OPEN": "OPEN"}
    rig.echo(rig.topic("lock", "set"), rig.topic("lock", "state"),
             lambda p: states[json.loads(p)["action"]] if json.loads(p)["code"] == "1234"
             else "JAMMED")
    result = await rig.hub.call("lock.front_door", "lock", {"code": "1234"})
    assert result.value["state"]["state"] == "locked"
    assert json.loads(received(rig, rig.topic("lock", "set"))[0]) == {
        "action": "LOCK", "code": "1234"}
    await rig.hub.call("lock.front_door", "open", {"code": "1234"})
    assert rig.state("lock.front_door")["state"] == "open"
    with pytest.raises(ToolError, match=r"lock.front_door/unlock: this lock needs a code "
                                        r"matching '\^\\\\d\{4\}\$'"):
        await rig.hub.call("lock.front_door", "unlock", {"code": "12"})
    with pytest.raises(ToolError, match="lock.front_door/unlock: the lock reports it is jammed"):
        await rig.hub.call("lock.front_door", "unlock", {"code": "9999"})


async def test_lock_without_payload_open_has_no_open_tool(rig: Rig) -> None:
    rig.announce("lock", "shed", {"uniq_id": "shed", "cmd_t": rig.topic("shed")})
    await rig.has("lock.shed")
    assert tools(rig, "lock.shed") == ["lock", "unlock", "get_state"]
    result = await rig.hub.call("lock.shed", "unlock")
    assert result.value["state"]["state"] == "unlocked"


# -- fan ------------------------------------------------------------------------------------


async def test_fan_speeds_oscillation_and_presets(rig: Rig) -> None:
    rig.announce("fan", "ceiling", {
        "uniq_id": "ceiling_fan", "cmd_t": rig.topic("fan", "on", "set"),
        "stat_t": rig.topic("fan", "on", "state"),
        "pct_cmd_t": rig.topic("fan", "speed", "set"), "pct_stat_t": rig.topic("fan", "speed"),
        "spd_rng_min": 1, "spd_rng_max": 3,
        "osc_cmd_t": rig.topic("fan", "osc", "set"), "osc_stat_t": rig.topic("fan", "osc"),
        "pr_mode_cmd_t": rig.topic("fan", "preset", "set"),
        "pr_modes": ["breeze", "sleep"]})
    await rig.has("fan.ceiling_fan")
    assert tools(rig, "fan.ceiling_fan") == [
        "turn_on", "turn_off", "toggle", "set_percentage", "increase_speed", "decrease_speed",
        "oscillate", "set_preset_mode", "get_state"]
    rig.echo(rig.topic("fan", "on", "set"), rig.topic("fan", "on", "state"))
    rig.echo(rig.topic("fan", "speed", "set"), rig.topic("fan", "speed"))
    rig.echo(rig.topic("fan", "osc", "set"), rig.topic("fan", "osc"))
    rig.peer.subscribe(rig.topic("fan", "preset", "set"))

    result = await rig.hub.call("fan.ceiling_fan", "turn_on", {"percentage": 50})
    assert received(rig, rig.topic("fan", "on", "set")) == [b"ON"]
    assert received(rig, rig.topic("fan", "speed", "set")) == [b"2"]  # speed 2 of 3
    assert result.value["state"]["percentage"] == 67
    await rig.hub.call("fan.ceiling_fan", "oscillate", {"oscillating": True})
    assert received(rig, rig.topic("fan", "osc", "set")) == [b"oscillate_on"]
    assert rig.state("fan.ceiling_fan")["oscillating"] is True
    # no preset state topic: the preset is recorded as sent
    await rig.hub.call("fan.ceiling_fan", "set_preset_mode", {"preset_mode": "sleep"})
    assert rig.state("fan.ceiling_fan")["preset_mode"] == "sleep"
    with pytest.raises(ToolError, match="unknown preset_mode 'turbo'; this fan has breeze, sleep"):
        await rig.hub.call("fan.ceiling_fan", "set_preset_mode", {"preset_mode": "turbo"})
    await rig.hub.call("fan.ceiling_fan", "set_percentage", {"percentage": 0})
    assert received(rig, rig.topic("fan", "on", "set"))[-1] == b"OFF"
    assert rig.state("fan.ceiling_fan")["state"] == "off"


# -- climate --------------------------------------------------------------------------------


async def test_climate_modes_and_temperatures(rig: Rig) -> None:
    rig.announce("climate", "lounge", {
        "uniq_id": "lounge_hvac", "name": "Thermostat",
        "mode_cmd_t": rig.topic("hvac", "mode", "set"), "mode_stat_t": rig.topic("hvac", "mode"),
        "modes": ["off", "heat", "cool"],
        "temp_cmd_t": rig.topic("hvac", "temp", "set"),
        "temp_stat_t": rig.topic("hvac", "state"),
        "temp_stat_tpl": "{{ value_json.target }}",
        "curr_temp_t": rig.topic("hvac", "state"), "curr_temp_tpl": "{{ value_json.current }}",
        "act_t": rig.topic("hvac", "action"),
        "min_temp": 10, "max_temp": 30, "temp_step": 0.5, "temp_unit": "C"})
    await rig.has("climate.lounge_hvac")
    assert tools(rig, "climate.lounge_hvac") == [
        "set_temperature", "set_hvac_mode", "turn_on", "turn_off", "toggle", "get_state"]
    rig.echo(rig.topic("hvac", "mode", "set"), rig.topic("hvac", "mode"))
    rig.echo(rig.topic("hvac", "temp", "set"), rig.topic("hvac", "state"),
             lambda p: json.dumps({"target": round(float(p) * 2) / 2, "current": 19.2}))
    rig.send(rig.topic("hvac", "action"), "idle")

    result = await rig.hub.call("climate.lounge_hvac", "set_temperature",
                                {"temperature": 21.3, "hvac_mode": "heat"})
    assert received(rig, rig.topic("hvac", "mode", "set")) == [b"heat"]
    assert received(rig, rig.topic("hvac", "temp", "set")) == [b"21.3"]
    state = result.value["state"]
    assert (state["state"], state["temperature"], state["current_temperature"]) == (
        "heat", 21.5, 19.2)
    assert rig.state("climate.lounge_hvac")["hvac_action"] == "idle"
    await rig.hub.call("climate.lounge_hvac", "turn_off")
    assert rig.state("climate.lounge_hvac")["state"] == "off"
    with pytest.raises(ToolError, match=r"temperature 40 is outside 10..30"):
        await rig.hub.call("climate.lounge_hvac", "set_temperature", {"temperature": 40})
    with pytest.raises(ToolError, match="unknown hvac_mode 'dry'; this device has off, heat, "
                                        "cool"):
        await rig.hub.call("climate.lounge_hvac", "set_hvac_mode", {"hvac_mode": "dry"})


# -- camera ---------------------------------------------------------------------------------


def jpeg(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, "JPEG")
    return buffer.getvalue()


async def test_camera_get_frame_returns_the_last_image(rig: Rig) -> None:
    rig.announce("camera", "porch", {"uniq_id": "porch", "t": rig.topic("porch", "image"),
                                     "dev": {"ids": "cam1", "name": "Porch camera",
                                             "sa": "porch"}})
    await rig.has("camera.porch")
    assert tools(rig, "camera.porch") == ["get_frame", "get_state"]
    with pytest.raises(ToolError, match="camera.porch/get_frame: no image arrived on"):
        await rig.hub.call("camera.porch", "get_frame")
    rig.send(rig.topic("porch", "image"), jpeg("red"))
    rig.send(rig.topic("porch", "image"), jpeg("blue"))
    await eventually(lambda: rig.state("camera.porch").get("frame_bytes") == len(jpeg("blue")))
    result = await rig.hub.call("camera.porch", "get_frame")
    assert result.content_type == "image/jpeg" and result.data == jpeg("blue")
    rig.send(rig.topic("porch", "image"), b"not an image")
    await eventually(lambda: rig.hub.bad_input.counts[rig.topic("porch", "image")] == 1)


async def test_camera_base64_images(rig: Rig) -> None:
    rig.announce("camera", "b64", {"uniq_id": "b64", "t": rig.topic("b64"), "img_e": "b64"})
    await rig.has("camera.b64")
    rig.send(rig.topic("b64"), base64.b64encode(jpeg("green")))
    result = await rig.hub.call("camera.b64", "get_frame")
    assert result.data == jpeg("green")
