"""300 real Zigbee2MQTT device definitions (tests/data/z2m_sample) against what Zigbee2MQTT's
own Home Assistant discovery makes of them (see tests/z2m_oracle.py): every entity Home
Assistant enables is a capability, and every sampled service call sends what Home Assistant
would send. Plus, on a real broker, the kinds of entity the sample brought in: settings,
write-only properties, buttons, text, sirens, firmware updates, climate extras."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.mqtt import mqtt_peer
from tests.test_zigbee2mqtt import fake_zigbee2mqtt, ids_of, z2m_config
from tests.waiting import eventually
from tests.z2m_oracle import compare, entities_of, load


def test_every_entity_home_assistant_enables_is_a_capability_and_commands_are_exact() -> None:
    result = compare()
    assert result.expected > 2000
    assert result.missing == []
    assert result.coverage == 1.0
    assert result.calls > 3000
    assert result.wrong == []


def test_the_sample_covers_every_expose_kind_and_access() -> None:
    devices, oracle = load()
    kinds: set[tuple[str, int]] = set()

    def walk(expose: dict[str, Any]) -> None:
        kinds.add((expose["type"], expose.get("access", 0)))
        for feature in expose.get("features", []):
            walk(feature)

    for device in devices:
        for expose in device["definition"]["exposes"]:
            walk(expose)
    assert {t for t, _ in kinds} >= {"binary", "numeric", "enum", "text", "composite",
                                     "list", "light", "switch", "cover", "lock", "fan",
                                     "climate"}
    assert {("numeric", 2), ("enum", 2), ("binary", 2), ("numeric", 7), ("enum", 3)} <= kinds
    platforms = {f["platform"] for facts in oracle.values() for f in facts}
    assert platforms >= {"select", "number", "button", "text", "siren", "update", "sensor",
                         "binary_sensor", "switch", "light", "climate", "cover", "lock", "fan"}


def _device(name: str, exposes: list[dict[str, Any]], ota: bool = False) -> dict[str, Any]:
    return {"ieee_address": "0x00124b0001020304", "friendly_name": name, "type": "Router",
            "supported": True, "disabled": False, "interview_completed": True,
            "definition": {"model": "X1", "vendor": "Acme", "description": "Test siren",
                           "exposes": exposes, "supports_ota": ota}}


SIREN = _device("hall/siren", [
    {"type": "enum", "name": "power_on_behavior", "property": "power_on_behavior",
     "access": 7, "values": ["off", "on", "previous"], "category": "config",
     "label": "Power-on behavior"},
    {"type": "enum", "name": "identify", "property": "identify", "access": 2,
     "values": ["identify"], "category": "config", "label": "Identify"},
    {"type": "numeric", "name": "max_duration", "property": "max_duration", "access": 2,
     "value_min": 0, "value_max": 1800, "label": "Max duration"},
    {"type": "text", "name": "melody_name", "property": "melody_name", "access": 3,
     "label": "Melody name"},
    {"type": "composite", "name": "warning", "property": "warning", "access": 2,
     "label": "Warning", "features": [
         {"type": "enum", "name": "mode", "property": "mode", "access": 2,
          "values": ["stop", "burglar", "fire"]},
         {"type": "enum", "name": "level", "property": "level", "access": 2,
          "values": ["low", "medium", "high", "very_high"]},
         {"type": "numeric", "name": "duration", "property": "duration", "access": 2}]},
    {"type": "binary", "name": "alarm", "property": "alarm", "access": 3, "value_on": True,
     "value_off": False, "label": "Alarm"},
], ota=True)


async def test_settings_write_only_buttons_text_siren_and_update_on_a_broker(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    with fake_zigbee2mqtt(mosquitto, base, [SIREN]) as z2m:
        async with Hub(z2m_config(tmp_path, mosquitto, base)) as hub:
            assert ids_of(hub) == {
                "select.hall_siren_power_on_behavior", "button.hall_siren_identify",
                "number.hall_siren_max_duration", "text.hall_siren_melody_name",
                "siren.hall_siren", "switch.hall_siren_alarm", "update.hall_siren"}
            pob = hub.registry.get("select.hall_siren_power_on_behavior")
            assert pob.attributes["entity_category"] == "config"
            assert hub.registry.get("update.hall_siren").attributes["entity_category"] == "config"

            await hub.call("select.hall_siren_power_on_behavior", "select_option",
                           {"option": "previous"})
            assert z2m.sent("hall/siren")[-1] == {"power_on_behavior": "previous"}
            # write-only: nothing reports it back, the call is done when sent
            z2m.silent.add("hall/siren")
            await hub.call("button.hall_siren_identify", "press")
            await hub.call("number.hall_siren_max_duration", "set_value", {"value": 120.0})
            await hub.call("siren.hall_siren", "turn_on", {"tone": "fire", "volume_level": 1})
            await hub.call("siren.hall_siren", "turn_off")
            await eventually(lambda: len(z2m.sent("hall/siren")) == 5)
            assert z2m.sent("hall/siren")[1:] == [
                {"identify": "identify"}, {"max_duration": 120},
                {"warning": {"mode": "fire", "level": "very_high", "duration": 10}},
                {"warning": {"mode": "stop"}}]
            z2m.silent.discard("hall/siren")
            await hub.call("text.hall_siren_melody_name", "set_value", {"value": "chime"})
            assert hub.registry.get("text.hall_siren_melody_name").state["state"] == "chime"
            # a settable on/off property toggles as Home Assistant does: by its state
            await hub.call("switch.hall_siren_alarm", "turn_on")
            await hub.call("switch.hall_siren_alarm", "toggle")
            assert z2m.sent("hall/siren")[-1] == {"alarm": False}

            with mqtt_peer(mosquitto.host, mosquitto.port) as bridge:
                bridge.subscribe(f"{base}/bridge/request/#")
                await hub.call("update.hall_siren", "install")
                await eventually(lambda: bridge.messages(
                    f"{base}/bridge/request/device/ota_update/update") != [])
                assert json.loads(bridge.messages(
                    f"{base}/bridge/request/device/ota_update/update")[0]) == {
                    "id": "0x00124b0001020304"}
            z2m.report("hall/siren", {"update": {"state": "available",
                                                 "installed_version": 1, "latest_version": 2}})
            await eventually(lambda: hub.registry.get("update.hall_siren").state.get(
                "state") == "on")
            assert hub.bad_input.total == 0


def test_a_fan_with_a_native_speed_takes_percentages_as_home_assistant_sends_them() -> None:
    devices, _oracle = load()
    entry = next(d for d in devices if d["friendly_name"] == "sample/275__TZE284_z5jz7wpo")

    fan = next(e for e in entities_of(entry) if e.capability.type == "fan")
    assert fan.capability.tool("set_percentage") is not None
    assert fan.command("set_percentage", {"percentage": 50}, {}).payload == {"speed": 127}
    assert fan.command("turn_on", {"percentage": 1}, {}).payload == {"speed": 3}
    assert fan.command("set_percentage", {"percentage": 0}, {}).payload == {"state": "OFF"}
    out: dict[str, Any] = {}
    fan.readers["speed"](127, out)
    assert out == {"percentage": 50}


GROUPS = [
    {"id": 1, "friendly_name": "downstairs/lights", "description": "All the lamps",
     "members": [{"ieee_address": "0x0017880108a1b2c3", "endpoint": 11},
                 {"ieee_address": "0x0017880109c4d5e6", "endpoint": 11}], "scenes": []},
    {"id": 2, "friendly_name": "stairs_group",
     "members": [{"ieee_address": "0xa4c1380123456789", "endpoint": 1}], "scenes": []},
    {"id": 3, "friendly_name": "empty", "members": [], "scenes": []},
    {"id": "x"},
]


async def test_zigbee2mqtt_groups_are_capabilities(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    with fake_zigbee2mqtt(mosquitto, base) as z2m:
        z2m.peer.publish(f"{base}/bridge/groups", json.dumps(GROUPS), retain=True)
        try:
            async with Hub(z2m_config(tmp_path, mosquitto, base)) as hub:
                await eventually(lambda: "light.downstairs_lights" in hub.registry)
                group = hub.registry.get("light.downstairs_lights")
                assert (group.name, group.area) == ("Downstairs lights", "downstairs")
                assert group.attributes["model"] == "group"
                # the union of the members' lights: the floor lamp's colour too
                turn_on = group.tool("turn_on")
                assert turn_on is not None
                assert {"rgb_color", "color_temp_kelvin", "brightness_pct"} <= set(
                    turn_on.parameters["properties"])
                await hub.call("light.downstairs_lights", "turn_on", {"brightness_pct": 50})
                assert z2m.sent("downstairs/lights")[-1] == {"state": "ON", "brightness": 127}
                assert hub.registry.get("light.downstairs_lights").state["state"] == "on"
                # a switch group loses the members' endpoints: state_l1 and state_l2 are
                # both its state, one switch (as Zigbee2MQTT announces the group)
                stairs = {i for i in ids_of(hub) if i.startswith("switch.stairs_group")}
                assert stairs == {"switch.stairs_group"}
                await hub.call("switch.stairs_group", "turn_on")
                assert z2m.sent("stairs_group")[-1] == {"state": "ON"}
                assert not any("empty" in i for i in ids_of(hub))
                assert hub.bad_input.counts[f"{base}/bridge/groups"] == 1  # the group "x"

                # a group removed from the list takes its capabilities away
                z2m.peer.publish(f"{base}/bridge/groups", json.dumps(GROUPS[1:3]),
                                 retain=True)
                await eventually(lambda: "light.downstairs_lights" not in hub.registry)
                assert "switch.stairs_group" in hub.registry
        finally:
            z2m.peer.publish(f"{base}/bridge/groups", b"", retain=True)
