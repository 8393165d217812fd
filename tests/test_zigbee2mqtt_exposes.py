"""Zigbee2MQTT without a broker: configuration, exposes, naming, and how entities read
reports and build commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hub.errors import ConfigError, PayloadError, ToolError
from hub.located import parse_yaml
from integrations.zigbee2mqtt import Zigbee2MQTTConfig, validate
from integrations.zigbee2mqtt.definition import DeviceInfo, parse_device
from integrations.zigbee2mqtt.entities import build_entities
from integrations.zigbee2mqtt.entity import BadValue, Context, Entity
from integrations.zigbee2mqtt.exposes import parse_exposes
from integrations.zigbee2mqtt.naming import action_words, default_area, device_slug, display_name

DEVICES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "zigbee2mqtt" / "bridge_devices.json").read_text())


def entities_of(name: str, raw: dict[str, Any] | None = None) -> dict[str, Entity]:
    entry = raw or next(d for d in DEVICES if d["friendly_name"] == name)
    info = parse_device(entry, "test")
    assert info is not None
    ctx = Context(info=info, slug=device_slug(info.friendly_name, info.ieee_address),
                  name=display_name(info.friendly_name), area=default_area(info.friendly_name),
                  aliases=(), base_topic="z2m", tool_timeout=7.0, now=lambda: "T")
    return {e.id: e for e in build_entities(ctx, info.exposes)}


def read(entity: Entity, report: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in report.items():
        entity.readers[key](value, out)
    return out


# -- configuration ------------------------------------------------------------------------------


def test_configuration_defaults_and_options() -> None:
    assert validate(None) == Zigbee2MQTTConfig()
    raw = parse_yaml("zigbee2mqtt:\n  base_topic: home/zigbee\n  command_timeout: 3\n"
                     "  devices:\n    kitchen/ceiling:\n      area: kitchen\n"
                     "      aliases: [big light, island]\n", file="configuration.yaml")
    config = validate(raw["zigbee2mqtt"])
    assert (config.base_topic, config.command_timeout) == ("home/zigbee", 3.0)
    options = config.options("kitchen/ceiling", "0x1")
    assert (options.area, options.name, options.aliases) == ("kitchen", None,
                                                             ("big light", "island"))
    assert config.options("other", "0x1").area is None


def test_configuration_errors_name_file_line_and_what_to_fix() -> None:
    raw = parse_yaml("zigbee2mqtt:\n  base_topic: zig/+\n  comand_timeout: 3\n  devices:\n"
                     "    kitchen/#: {area: k}\n    hall:\n      aera: x\n"
                     "  discovery_wait: -1\n", file="configuration.yaml")
    with pytest.raises(ConfigError) as caught:
        validate(raw["zigbee2mqtt"])
    assert str(caught.value).splitlines() == [
        ("configuration.yaml:2:15: zigbee2mqtt.base_topic: expected an MQTT topic without "
        "wildcards or empty levels, got 'zig/+'"),
        ("configuration.yaml:3:3: zigbee2mqtt: unknown key 'comand_timeout'; did you mean "
        "'command_timeout'?"),
        ("configuration.yaml:5:5: zigbee2mqtt.devices['kitchen/#']: friendly name 'kitchen/#' "
        "contains an MQTT wildcard (+ or #)"),
        ("configuration.yaml:7:7: zigbee2mqtt.devices.hall: unknown key 'aera'; did you mean "
        "'area'?"),
        "configuration.yaml:8:19: zigbee2mqtt.discovery_wait: expected a number 0..60, got -1",
    ]


# -- exposes and device entries -----------------------------------------------------------------


@pytest.mark.parametrize(("exposes", "message"), [
    ({"type": "light"}, "exposes: expected a list, got an object"),
    ([{"name": "x"}], "exposes[0]: missing 'type'"),
    ([{"type": "numeric", "name": "battery"}], "exposes[0]: a numeric expose needs a 'property'"),
    ([{"type": "binary", "property": "occupancy", "access": 9}],
     "exposes[0].access: expected 0..7, got 9"),
    ([{"type": "light", "features": [{"type": "binary", "name": "state"}]}],
     "exposes[0].features[0]: a binary expose needs a 'property'"),
    ([{"type": "numeric", "property": "t", "value_max": "high"}],
     "exposes[0].value_max: expected a number, got 'high'"),
    ([{"type": "enum", "property": "mode", "values": "low"}],
     "exposes[0].values: expected a list, got 'low'"),
])
def test_malformed_exposes_are_refused_naming_the_entry(exposes: Any, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_exposes(exposes)
    assert str(caught.value) == message


def test_device_entries_that_are_not_devices_with_capabilities() -> None:
    coordinator, disabled, interviewing = DEVICES[0], DEVICES[-2], DEVICES[-1]
    assert parse_device(coordinator, "d[0]") is None
    assert parse_device(disabled, "d[1]") is None
    assert parse_device(interviewing, "d[2]") is None
    with pytest.raises(PayloadError, match=r"^d\[3\]: missing 'ieee_address'$"):
        parse_device({"friendly_name": "x", "definition": {}}, "d[3]")
    with pytest.raises(PayloadError, match=r"^d\[4\] \(0x1\): missing 'friendly_name'$"):
        parse_device({"ieee_address": "0x1"}, "d[4]")
    with pytest.raises(PayloadError, match="friendly name 'a/#' contains an MQTT wildcard"):
        parse_device({"ieee_address": "0x1", "friendly_name": "a/#"}, "d[5]")
    lamp = parse_device(DEVICES[1], "d[1]")
    assert isinstance(lamp, DeviceInfo)
    assert (lamp.vendor, lamp.model, lamp.power_source) == ("Philips", "9290022166",
                                                            "Mains (single phase)")


def test_names_slugs_areas_and_action_words() -> None:
    assert device_slug("Küche/Decke Licht", "0x1") == "kuche_decke_licht"
    assert device_slug("ΦΩΣ", "0x00158d0001a2b3c4") == "0x00158d0001a2b3c4"
    assert display_name("living_room/floor_lamp") == "Living room floor lamp"
    assert default_area("living_room/floor_lamp") == "living room"
    assert default_area("floor_lamp") == ""
    assert action_words("single") == "single press"
    assert action_words("1_double") == "1 double press"
    assert action_words("on") == "on press"
    assert action_words("brightness_move_up") == "brightness move up"


# -- reading reports ----------------------------------------------------------------------------


def test_light_reports_are_read_in_home_assistant_terms() -> None:
    lamp = entities_of("living_room/floor_lamp")["light.living_room_floor_lamp"]
    assert read(lamp, {"state": "OFF", "brightness": 127, "color": {"hue": 30, "saturation": 80,
                                                                     "x": 0.5, "y": 0.4}}) == {
        "state": "off", "brightness": 128, "hs_color": [30, 80], "xy_color": [0.5, 0.4]}
    with pytest.raises(BadValue, match=r"^expected 0..254, got 'high'$"):
        read(lamp, {"brightness": "high"})
    with pytest.raises(BadValue, match=r"^expected 'ON' or 'OFF', got 'on'$"):
        read(lamp, {"state": "on"})
    with pytest.raises(BadValue, match="x and y must be numbers"):
        read(lamp, {"color": {"x": "left", "y": 1}})


def test_cover_moving_says_more_than_its_target_in_any_order() -> None:
    blind = entities_of("bedroom/blind")["cover.bedroom_blind"]
    for report in ({"position": 30, "state": "OPEN", "moving": "UP"},
                   {"moving": "UP", "state": "OPEN", "position": 30}):
        assert read(blind, report) == {"current_position": 30, "state": "opening"}
    assert read(blind, {"position": 0}) == {"current_position": 0, "state": "closed"}
    with pytest.raises(BadValue, match="expected 0..100, got 140"):
        read(blind, {"position": 140})


def test_fan_modes_become_percentages_and_presets() -> None:
    fan = entities_of("office_fan")["fan.office_fan"]
    # a 99432: four speeds (low, medium, high, on), low is 1/4 as Home Assistant rounds it
    assert read(fan, {"fan_mode": "low"}) == {"state": "on", "percentage": 25,
                                               "preset_mode": None}
    assert read(fan, {"fan_mode": "on"})["percentage"] == 100
    assert read(fan, {"fan_mode": "auto"}) == {"state": "on", "preset_mode": "auto"}
    assert read(fan, {"fan_state": "OFF", "fan_mode": "high"})["state"] == "off"
    # Home Assistant's turn_on with a speed: the on payload, then the speed
    assert fan.command("turn_on", {"percentage": 10}, {}).payload == {"fan_state": "ON",
                                                                      "fan_mode": "low"}
    assert fan.command("set_percentage", {"percentage": 100}, {}).payload == {
        "fan_mode": "on"}
    assert fan.command("turn_on", {"percentage": 0}, {}).payload == {"fan_state": "OFF"}
    assert fan.command("toggle", {}, {"state": "on"}).payload == {"fan_state": "OFF"}


def test_a_fan_with_only_named_modes_says_how_to_turn_it_on() -> None:
    import copy

    entry = copy.deepcopy(next(d for d in DEVICES if d["friendly_name"] == "office_fan"))
    fan_expose = entry["definition"]["exposes"][0]
    mode = next(f for f in fan_expose["features"] if f["name"] == "mode")
    mode["values"] = ["off", "auto", "smart"]
    fan_expose["features"] = [mode]  # no on/off state, no speeds, no "on" mode
    fan = entities_of("office_fan", entry)["fan.office_fan"]
    with pytest.raises(ToolError, match="cannot tell how to turn this fan on .* "
                                        "use set_preset_mode with one of: auto, smart"):
        fan.command("turn_on", {}, {})
    assert fan.command("set_preset_mode", {"preset_mode": "smart"}, {}).payload == {
        "fan_mode": "smart"}


def test_an_action_event_records_its_type_and_time() -> None:
    button = entities_of("desk_button")["event.desk_button_action"]
    assert read(button, {"action": "hold"}) == {"event_type": "hold", "state": "T"}
    assert read(button, {"action": ""}) == {}
    with pytest.raises(BadValue, match="expected one of single, double"):
        read(button, {"action": "spin"})


# -- commands -----------------------------------------------------------------------------------


def test_light_commands_and_what_confirms_them() -> None:
    lamp = entities_of("living_room/floor_lamp")["light.living_room_floor_lamp"]
    on = lamp.command("turn_on", {"brightness": 128}, {})
    assert on.payload == {"state": "ON", "brightness": 127}
    assert on.confirm({"state": "ON", "brightness": 128})
    assert not on.confirm({"state": "ON", "brightness": 100})
    assert not on.confirm({"state": "OFF", "brightness": 127})
    # colour temperature is clamped to what the bulb can do, as Home Assistant does
    assert lamp.command("turn_on", {"color_temp_kelvin": 1000}, {}).payload["color_temp"] == 500
    ceiling = entities_of("kitchen_ceiling")["light.kitchen_ceiling"]
    assert ceiling.command("turn_on", {"color_temp_kelvin": 6500}, {}).payload[
        "color_temp"] == 250
    # a step from off starts at 0; HA rounds 10 % to 26 of 255, then scales it to 254
    assert lamp.command("turn_on", {"brightness_step_pct": 10}, {"state": "off"}).payload == {
        "state": "ON", "brightness": 26}
    toggle = lamp.command("toggle", {}, {})
    assert toggle.payload == {"state": "TOGGLE"} and toggle.confirm({"state": "OFF"})
    toggle = lamp.command("toggle", {}, {"state": "on"})
    assert not toggle.confirm({"state": "ON"}) and toggle.confirm({"state": "OFF"})
    hs = lamp.command("turn_on", {"hs_color": [120, 100]}, {})
    # hs on an xy light goes as Home Assistant's Wide RGB D65 xy
    assert hs.payload["color"] == {"x": 0.172, "y": 0.747}
    red = lamp.command("turn_on", {"color_name": "red"}, {})
    assert red.payload["color"] == {"x": 0.701, "y": 0.299}
    with pytest.raises(ToolError, match=r"light.living_room_floor_lamp: tool 'open_cover' is not "
                                        "supported by this device"):
        lamp.command("open_cover", {}, {})


def test_switch_endpoint_lock_and_cover_commands() -> None:
    stairs = entities_of("stairs_switch")
    assert stairs["switch.stairs_switch_l1"].command("turn_on", {"duration": 60}, {}).payload == {
        "state_l1": "ON", "on_time": 60}
    lock = entities_of("back_door_lock")["lock.back_door_lock"]
    unlock = lock.command("unlock", {}, {})
    assert unlock.payload == {"state": "UNLOCK"} and unlock.confirm({"state": "UNLOCK"})
    blind = entities_of("bedroom/blind")["cover.bedroom_blind"]
    assert blind.command("toggle", {}, {"state": "open"}).payload == {"state": "CLOSE"}
    opening = blind.command("open_cover", {}, {"state": "closed"})
    assert opening.payload == {"state": "OPEN"}
    assert opening.confirm({"moving": "UP", "position": 3})  # started: that is enough
    assert not opening.confirm({"moving": "DOWN", "position": 3})
    to_40 = blind.command("set_cover_position", {"position": 40}, {})
    assert to_40.confirm({"position": 40}) and not to_40.confirm({"position": 80})


def _thermostat() -> dict[str, Any]:
    def numeric(name: str, low: float, high: float) -> dict[str, Any]:
        return {"type": "numeric", "name": name, "property": name, "access": 7, "unit": "°C",
                "value_min": low, "value_max": high, "value_step": 0.5}

    return {"ieee_address": "0x01", "friendly_name": "hall/thermostat", "definition": {
        "vendor": "Sinope", "model": "TH1300ZB", "exposes": [{"type": "climate", "features": [
            numeric("occupied_heating_setpoint", 5, 30), numeric("occupied_cooling_setpoint",
                                                                 16, 32),
            {"type": "enum", "name": "system_mode", "property": "system_mode", "access": 7,
             "values": ["off", "heat", "cool", "auto", "emergency_heating"]},
            {"type": "enum", "name": "fan_mode", "property": "fan_mode", "access": 7,
             "values": ["auto", "on"]},
        ]}]}}


def test_a_thermostat_with_heating_and_cooling_setpoints() -> None:
    thermostat = entities_of("", _thermostat())["climate.hall_thermostat"]
    cap = thermostat.capability
    set_temperature = cap.tool("set_temperature")
    assert set_temperature is not None
    assert {"temperature", "target_temp_low", "target_temp_high", "hvac_mode"} == set(
        set_temperature.parameters["properties"])
    assert set_temperature.parameters["properties"]["hvac_mode"]["enum"] == [
        "off", "heat", "cool", "auto"]
    assert [t.name for t in cap.tools] == ["set_temperature", "set_hvac_mode", "turn_on",
                                           "turn_off", "set_fan_mode", "get_state"]
    assert read(thermostat, {"occupied_heating_setpoint": 20, "occupied_cooling_setpoint": 26,
                             "system_mode": "auto"}) == {
        "target_temp_low": 20, "target_temp_high": 26, "state": "auto"}
    cool = thermostat.command("set_temperature", {"temperature": 24}, {"state": "cool"})
    assert cool.payload == {"occupied_cooling_setpoint": 24}
    assert cool.confirm({"occupied_cooling_setpoint": 24.0})
    both = thermostat.command("set_temperature", {"target_temp_low": 19.2,
                                                  "target_temp_high": 25}, {})
    # as asked, as Home Assistant sends it; the device rounds to its step (0.5 here) and the
    # confirmation allows half a step
    assert both.payload == {"occupied_heating_setpoint": 19.2, "occupied_cooling_setpoint": 25}
    assert both.confirm({"occupied_heating_setpoint": 19.0, "occupied_cooling_setpoint": 25})
    with pytest.raises(ToolError, match=r"^occupied_heating_setpoint: expected 5..30 °C, got 2$"):
        thermostat.command("set_temperature", {"temperature": 2}, {"state": "heat"})
    assert thermostat.command("turn_on", {}, {}).payload == {"system_mode": "heat"}


def test_the_device_list_is_read_entry_by_entry_with_json_rules() -> None:
    from integrations.zigbee2mqtt.devicelist import entries

    def read(text: str) -> list[Any]:
        return list(entries(text, "z/bridge/devices"))

    assert read(" [ ] ") == []
    assert read('\n[ {"a": [1, 2]} ,\t3 ,"x"]\r\n') == [{"a": [1, 2]}, 3, "x"]
    for text, problem in [
        ('{"a": 1}', "expected a JSON list of devices"),
        ("", "expected a JSON list of devices"),
        ("[1 2]", "payload is not JSON: expected ',' or ']' at char 3"),
        ("[1,]", "payload is not JSON: Expecting value: line 1 column 4 (char 3)"),
        ("[1] x", "payload is not JSON: extra data at char 3"),
        ("[1", "payload is not JSON: expected ',' or ']' at char 2"),
    ]:
        with pytest.raises(PayloadError) as caught:
            read(text)
        assert str(caught.value) == f"z/bridge/devices: {problem}", text
    # entries before a problem come first: a reader can stop early
    reader = entries("[1, 2, oops", "z/bridge/devices")
    assert next(reader) == 1 and next(reader) == 2
