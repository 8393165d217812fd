"""Home Assistant MQTT discovery end to end: a real hub, a real Mosquitto, devices played by
a plain MQTT client publishing what the Home Assistant documentation describes."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest

from hub.events import (
    AvailabilityChanged,
    BadInput,
    CapabilityAdded,
    CapabilityRemoved,
    CapabilityUpdated,
    Event,
    StateChanged,
    TriggerFired,
)
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import hub_config
from tests.mqtt import Peer, mqtt_peer
from tests.waiting import eventually


@dataclass
class Rig:
    """A running hub with the integration, a device-side MQTT client, and every event."""

    hub: Hub
    peer: Peer
    prefix: str
    """The discovery prefix (``<test prefix>/ha``)."""
    base: str
    """Where the test's devices keep their own topics."""
    events: list[Event] = field(default_factory=list)

    def topic(self, *parts: str) -> str:
        return "/".join((self.base, *parts))

    def announce(self, component: str, object_id: str, config: dict[str, Any] | bytes,
                 node: str | None = None, retain: bool = False) -> str:
        parts = [self.prefix, component, *([node] if node else []), object_id, "config"]
        topic = "/".join(parts)
        payload = config if isinstance(config, bytes) else json.dumps(config)
        self.peer.publish(topic, payload, retain=retain)
        return topic

    def send(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        self.peer.publish(topic, payload, retain=retain)

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def state(self, capability_id: str) -> dict[str, Any]:
        return dict(self.hub.registry.get(capability_id).state)

    def echo(self, command_topic: str, state_topic: str,
             reply: Callable[[bytes], bytes | str | None] = lambda p: p) -> None:
        """Play a device that reports on `state_topic` what it is told on `command_topic`."""

        def on_command(client: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
            with self.peer.lock:  # paho skips on_message for topics with their own callback
                self.peer.received.append((message.topic, bytes(message.payload)))
            answer = reply(bytes(message.payload))
            if answer is not None:
                client.publish(state_topic, answer, qos=1)

        self.peer.client.message_callback_add(command_topic, on_command)
        self.peer.subscribe(command_topic)

    async def has(self, capability_id: str) -> None:
        """Wait for the capability, and for the broker to have its state subscriptions."""
        await eventually(lambda: capability_id in self.hub.registry)
        await self.hub.fabric.wait_subscribed()


def discovered_any(hub: Hub) -> bool:
    return any(c.source == "mqtt_discovery" for c in hub.registry.all())


def section(prefix: str, **options: Any) -> dict[str, Any]:
    return {"mqtt_discovery": {"discovery_prefix": f"{prefix}/ha", "command_timeout": 2,
                               **options}}


@asynccontextmanager
async def running(tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> AsyncIterator[Rig]:
    """A hub with the integration under the test's prefix, and a device-side client."""
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        integrations=section(topic_prefix))
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        async with Hub(config) as hub:
            rig = Rig(hub, peer, f"{topic_prefix}/ha", f"{topic_prefix}/dev")
            hub.bus.listen(Event, rig.events.append)
            yield rig


@pytest.fixture
async def rig(tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> AsyncIterator[Rig]:
    async with running(tmp_path, mosquitto, topic_prefix) as running_rig:
        yield running_rig


def temperature_sensor(base: str, **extra: Any) -> dict[str, Any]:
    """A sensor the way small devices announce one: short keys and a `~` base topic."""
    return {
        "~": f"{base}/kitchen_climate",
        "name": "Temperature",
        "uniq_id": "kitchen_climate_temperature",
        "stat_t": "~/state",
        "val_tpl": "{{ value_json.temperature | round(1) }}",
        "unit_of_meas": "°C",
        "dev_cla": "temperature",
        "stat_cla": "measurement",
        "dev": {"ids": ["kitchen_climate"], "name": "Kitchen climate", "mf": "Acme",
                "mdl": "TH-1", "sa": "Kitchen"},
        **extra,
    }


# -- announcements --------------------------------------------------------------------------


async def test_abbreviated_config_with_base_topic_becomes_a_sensor(rig: Rig) -> None:
    topic = rig.announce("sensor", "kitchen_climate_temperature", temperature_sensor(rig.base))
    await rig.has("sensor.kitchen_climate_temperature")
    cap = rig.hub.registry.get("sensor.kitchen_climate_temperature")
    assert (cap.type, cap.name, cap.area, cap.source) == (
        "sensor", "Kitchen climate Temperature", "Kitchen", "mqtt_discovery")
    assert cap.attributes["unit_of_measurement"] == "°C"
    assert cap.attributes["device_class"] == "temperature"
    assert cap.attributes["discovery_topic"] == topic
    assert cap.attributes["device"]["manufacturer"] == "Acme"
    assert [t.name for t in cap.tools] == ["get_state"]

    rig.send(rig.topic("kitchen_climate", "state"), json.dumps({"temperature": 21.46}))
    await eventually(lambda: rig.state(cap.id).get("state") == 21.5)
    changed = [e for e in rig.of(StateChanged) if e.capability_id == cap.id]
    assert changed[-1].new["state"] == 21.5
    result = await rig.hub.call(cap.id, "get_state")
    assert result.value == {"state": {"state": 21.5}, "available": True}


async def test_node_id_in_the_topic_and_no_unique_id_give_a_stable_id(rig: Rig) -> None:
    rig.announce("switch", "pump", {"cmd_t": rig.topic("pump", "set")}, node="garden")
    await rig.has("switch.garden_pump")
    assert rig.hub.registry.get("switch.garden_pump").name == "garden pump"


async def test_object_id_key_names_the_capability(rig: Rig) -> None:
    rig.announce("switch", "x1", {"cmd_t": rig.topic("x1", "set"), "uniq_id": "0xabc",
                                  "obj_id": "Coffee Maker", "name": "Coffee maker"})
    await rig.has("switch.coffee_maker")


async def test_a_changed_config_updates_the_capability_and_keeps_its_state(rig: Rig) -> None:
    config = temperature_sensor(rig.base)
    rig.announce("sensor", "t", config)
    await rig.has("sensor.kitchen_climate_temperature")
    rig.send(rig.topic("kitchen_climate", "state"), json.dumps({"temperature": 20}))
    await eventually(lambda: rig.state("sensor.kitchen_climate_temperature").get("state") == 20)

    rig.announce("sensor", "t", {**config, "name": "Air temperature"})
    await eventually(lambda: rig.of(CapabilityUpdated) != [])
    cap = rig.hub.registry.get("sensor.kitchen_climate_temperature")
    assert cap.name == "Kitchen climate Air temperature"
    assert cap.state["state"] == 20
    assert len(rig.of(CapabilityAdded)) == 1
    # the new configuration reads the same state topic: still live
    rig.send(rig.topic("kitchen_climate", "state"), json.dumps({"temperature": 19}))
    await eventually(lambda: rig.state(cap.id).get("state") == 19)


async def test_the_same_config_again_changes_nothing(rig: Rig) -> None:
    config = temperature_sensor(rig.base)
    rig.announce("sensor", "t", config)
    await rig.has("sensor.kitchen_climate_temperature")
    rig.announce("sensor", "t", config)
    rig.announce("sensor", "other", {"stat_t": rig.topic("other"), "uniq_id": "marker"})
    await rig.has("sensor.marker")  # published after the repeat, so the repeat was handled
    assert rig.of(CapabilityUpdated) == []


async def test_an_empty_payload_removes_the_capability(rig: Rig) -> None:
    topic = rig.announce("sensor", "t", temperature_sensor(rig.base), retain=True)
    await rig.has("sensor.kitchen_climate_temperature")
    rig.send(topic, b"", retain=True)
    await eventually(lambda: "sensor.kitchen_climate_temperature" not in rig.hub.registry)
    assert [e.capability_id for e in rig.of(CapabilityRemoved)] == [
        "sensor.kitchen_climate_temperature"]
    # removed means unsubscribed too: a late state message changes nothing
    rig.send(rig.topic("kitchen_climate", "state"), json.dumps({"temperature": 30}))
    rig.announce("sensor", "other", {"stat_t": rig.topic("other"), "uniq_id": "marker"})
    await rig.has("sensor.marker")
    assert rig.hub.bad_input.total == 0


async def test_unknown_keys_are_ignored_as_home_assistant_does(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="integrations.mqtt_discovery")
    rig.announce("switch", "s", {"cmd_t": rig.topic("s", "set"), "uniq_id": "s1",
                                 "frobnicate": 3, "xyz_t": "a/b"})
    await rig.has("switch.s1")
    assert rig.hub.bad_input.total == 0
    assert "ignored unknown keys" in caplog.text and "frobnicate" in caplog.text


async def test_exit_withdraws_every_discovered_capability(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        integrations=section(topic_prefix))
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        async with Hub(config) as hub:
            peer.publish(f"{topic_prefix}/ha/switch/a/config",
                         json.dumps({"cmd_t": "x/set", "uniq_id": "a"}))
            await eventually(lambda: "switch.a" in hub.registry)
            removed: list[CapabilityRemoved] = []
            hub.bus.listen(CapabilityRemoved, removed.append)
        assert [r.capability_id for r in removed] == ["switch.a"]


async def test_ids_are_the_same_after_a_restart(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        integrations=section(topic_prefix))
    topic = f"{topic_prefix}/ha/sensor/abc/config"
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        peer.publish(topic, json.dumps(temperature_sensor(topic_prefix)), retain=True)
        ids = []
        for _run in range(2):
            async with Hub(config) as hub:
                await eventually(partial(discovered_any, hub))
                ids.append(sorted(c.id for c in hub.registry.all()))
        peer.publish(topic, b"", retain=True)
    assert ids[0] == ids[1] == ["sensor.kitchen_climate_temperature"]


# -- device discovery -----------------------------------------------------------------------


def remote_device(base: str, components: dict[str, Any]) -> dict[str, Any]:
    return {
        "dev": {"ids": "0x00158d00045b2f1c", "name": "Living room multisensor",
                "mf": "Acme", "mdl": "MS-3", "sw": "1.2", "sa": "Living room"},
        "o": {"name": "test-firmware", "sw": "0.1", "url": "https://example.invalid"},
        "~": f"{base}/ms",
        "stat_t": "~/state",
        "avty_t": "~/availability",
        "qos": 1,
        "cmps": components,
    }


async def test_device_discovery_creates_every_component_with_shared_options(rig: Rig) -> None:
    payload = remote_device(rig.base, {
        "temp": {"p": "sensor", "uniq_id": "ms_temp", "name": "Temperature",
                 "val_tpl": "{{ value_json.temperature }}", "unit_of_meas": "°C"},
        "motion": {"p": "binary_sensor", "uniq_id": "ms_motion", "dev_cla": "motion",
                   "val_tpl": "{{ 'ON' if value_json.occupancy else 'OFF' }}"},
        "led": {"p": "light", "uniq_id": "ms_led", "cmd_t": "~/led/set", "schema": "json",
                "name": "LED"},
    })
    rig.announce("device", "ms", payload)
    for capability_id in ("sensor.ms_temp", "binary_sensor.ms_motion", "light.ms_led"):
        await rig.has(capability_id)
        cap = rig.hub.registry.get(capability_id)
        assert cap.area == "Living room" and not cap.available  # until availability says so
    rig.send(rig.topic("ms", "availability"), "online")
    await eventually(lambda: rig.hub.registry.get("sensor.ms_temp").available)
    rig.send(rig.topic("ms", "state"), json.dumps({"temperature": 22.5, "occupancy": True}))
    await eventually(lambda: rig.state("sensor.ms_temp").get("state") == 22.5)
    await eventually(lambda: rig.state("binary_sensor.ms_motion").get("state") == "on")
    # one message, one decode: every entity of the shared topic saw it, none complained
    assert rig.hub.bad_input.total == 0
    assert rig.hub.registry.get("light.ms_led").name == "Living room multisensor LED"

    # a component sent with only its platform goes; one left out goes too
    payload["cmps"] = {"temp": payload["cmps"]["temp"], "motion": {"p": "binary_sensor"}}
    rig.announce("device", "ms", payload)
    await eventually(lambda: "binary_sensor.ms_motion" not in rig.hub.registry)
    await eventually(lambda: "light.ms_led" not in rig.hub.registry)
    assert "sensor.ms_temp" in rig.hub.registry

    rig.announce("device", "ms", b"")
    await eventually(lambda: "sensor.ms_temp" not in rig.hub.registry)


async def test_device_discovery_without_components_is_bad_input(rig: Rig) -> None:
    topic = rig.announce("device", "nothing", {"dev": {"ids": "x"}, "o": {"name": "t"}})
    await eventually(lambda: rig.hub.bad_input.counts[topic] == 1)
    assert "components (cmps): expected a mapping" in rig.of(BadInput)[0].reason


# -- availability ---------------------------------------------------------------------------


async def test_single_availability_topic_with_own_payloads(rig: Rig) -> None:
    rig.announce("switch", "plug", {
        "cmd_t": rig.topic("plug", "set"), "uniq_id": "plug", "avty_t": rig.topic("plug", "lwt"),
        "pl_avail": "Online", "pl_not_avail": "Offline"})
    await rig.has("switch.plug")
    assert not rig.hub.registry.get("switch.plug").available
    rig.send(rig.topic("plug", "lwt"), "Online")
    await eventually(lambda: rig.hub.registry.get("switch.plug").available)
    rig.send(rig.topic("plug", "lwt"), "Offline")
    await eventually(lambda: not rig.hub.registry.get("switch.plug").available)
    flips = [e.available for e in rig.of(AvailabilityChanged) if e.capability_id == "switch.plug"]
    assert flips == [True, False]


async def test_availability_template_reads_json(rig: Rig) -> None:
    rig.announce("switch", "z", {
        "cmd_t": rig.topic("z", "set"), "uniq_id": "z",
        "avty": [{"t": rig.topic("bridge", "state"), "val_tpl": "{{ value_json.state }}"}]})
    await rig.has("switch.z")
    rig.send(rig.topic("bridge", "state"), json.dumps({"state": "online"}))
    await eventually(lambda: rig.hub.registry.get("switch.z").available)


@pytest.mark.parametrize(("mode", "after_one", "after_both"), [
    ("all", False, True), ("any", True, True), ("latest", True, True),
])
async def test_availability_list_modes(rig: Rig, mode: str, after_one: bool,
                                       after_both: bool) -> None:
    rig.announce("switch", "m", {
        "cmd_t": rig.topic("m", "set"), "uniq_id": "m", "avty_mode": mode,
        "avty": [{"topic": rig.topic("m", "a")},
                 {"topic": rig.topic("m", "b"), "payload_available": "up",
                  "payload_not_available": "down"}]})
    await rig.has("switch.m")
    rig.send(rig.topic("m", "a"), "online")
    rig.send(rig.topic("m", "marker"), "x")  # sent after: once handled, "a" was too
    rig.announce("sensor", "mk", {"stat_t": rig.topic("mk"), "uniq_id": "mk"})
    await rig.has("sensor.mk")
    assert rig.hub.registry.get("switch.m").available is after_one
    rig.send(rig.topic("m", "b"), "up")
    await eventually(lambda: rig.hub.registry.get("switch.m").available is after_both)
    rig.send(rig.topic("m", "b"), "down")
    expected = {"all": False, "any": True, "latest": False}[mode]
    await eventually(lambda: rig.hub.registry.get("switch.m").available is expected)


# -- birth ----------------------------------------------------------------------------------


async def test_birth_makes_devices_announce_again(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    """A device that does not retain its configuration sends it when the hub is born."""
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        integrations=section(topic_prefix))
    status = f"{topic_prefix}/ha/status"
    announcement = json.dumps({"stat_t": f"{topic_prefix}/dev/lux", "uniq_id": "lux",
                               "unit_of_meas": "lx"})

    def on_birth(client: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        if message.payload == b"online":
            client.publish(f"{topic_prefix}/ha/sensor/lux/config", announcement, qos=1)

    with mqtt_peer(mosquitto.host, mosquitto.port) as device:
        device.client.message_callback_add(status, on_birth)
        device.subscribe(status)
        async with Hub(config) as hub:
            await eventually(lambda: "sensor.lux" in hub.registry)
            assert hub.registry.get("sensor.lux").attributes["unit_of_measurement"] == "lx"


async def test_birth_topic_and_payload_are_configurable(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    birth = f"{topic_prefix}/my/status"
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port, integrations=section(
        topic_prefix, birth_topic=birth, birth_payload="alive"))
    with mqtt_peer(mosquitto.host, mosquitto.port) as device:
        device.subscribe(birth)
        async with Hub(config):
            await eventually(lambda: device.messages(birth) == [b"alive"])


async def test_no_birth_when_disabled(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        integrations=section(topic_prefix, birth=False))
    status = f"{topic_prefix}/ha/status"
    with mqtt_peer(mosquitto.host, mosquitto.port) as device:
        device.subscribe(status)
        device.subscribe(f"{topic_prefix}/marker")
        async with Hub(config) as hub:
            hub.fabric.publish(f"{topic_prefix}/marker", b"x", qos=1)
            await eventually(lambda: device.messages(f"{topic_prefix}/marker") == [b"x"])
        assert device.messages(status) == []


async def test_birth_again_after_the_broker_comes_back(
    tmp_path: Path, private_mosquitto: Mosquitto, topic_prefix: str
) -> None:
    broker = private_mosquitto
    config = hub_config(tmp_path, broker.host, broker.port, integrations=section(topic_prefix))
    async with Hub(config) as hub:
        # the hub's own connection restores this subscription before it is born again, so
        # it hears the birth that follows a reconnect (a test peer would have to race it)
        births: list[bytes] = []
        hub.fabric.subscribe(f"{topic_prefix}/ha/status", lambda m: births.append(m.payload))
        await hub.fabric.wait_subscribed()
        broker.stop()
        broker.start()
        await eventually(lambda: b"online" in births, timeout=20)


# -- device triggers ------------------------------------------------------------------------


async def test_device_trigger_fires_with_its_intent(rig: Rig) -> None:
    device = {"ids": ["0x00124b0029e5b3f1"], "name": "Hall remote", "sa": "Hall"}
    for object_id, subtype, payload in (("b1_short", "button_1", "1_single"),
                                        ("b2_short", "button_2", "2_single")):
        rig.announce("device_automation", object_id, {
            "atype": "trigger", "t": rig.topic("remote", "action"), "type": "button_short_press",
            "stype": subtype, "pl": payload, "dev": device}, node="remote")
    await eventually(lambda: len(getattr(rig.hub.registry.find("event.0x00124b0029e5b3f1"),
                                         "triggers", ())) == 2)
    cap = rig.hub.registry.get("event.0x00124b0029e5b3f1")
    assert (cap.type, cap.name, cap.area) == ("event", "Hall remote", "Hall")
    assert {t.name for t in cap.triggers} == {"button_short_press_button_1",
                                              "button_short_press_button_2"}

    rig.send(rig.topic("remote", "action"), "1_single")
    await eventually(lambda: rig.of(TriggerFired) != [])
    fired = rig.of(TriggerFired)[0]
    assert fired.capability_id == cap.id
    assert fired.trigger == "button_short_press_button_1"
    assert fired.intent == "button_short_press button_1 on Hall remote"
    assert fired.priority == 1
    assert fired.payload == {"type": "button_short_press", "subtype": "button_1",
                             "payload": "1_single"}
    await eventually(lambda: rig.state(cap.id).get("event_type") == "button_short_press")

    rig.send(rig.topic("remote", "action"), "3_hold")  # no trigger for that payload
    rig.send(rig.topic("remote", "action"), "2_single")
    await eventually(lambda: len(rig.of(TriggerFired)) == 2)
    assert rig.of(TriggerFired)[1].trigger == "button_short_press_button_2"

    rig.announce("device_automation", "b1_short", b"", node="remote")
    rig.announce("device_automation", "b2_short", b"", node="remote")
    await eventually(lambda: "event.0x00124b0029e5b3f1" not in rig.hub.registry)


async def test_device_trigger_with_a_template_and_no_payload(rig: Rig) -> None:
    rig.announce("device_automation", "act", {
        "automation_type": "trigger", "topic": rig.topic("z2m", "sw"),
        "value_template": "{{ value_json.action }}", "type": "action", "subtype": "toggle",
        "payload": "toggle", "device": {"identifiers": "sw1", "name": "Wall switch"}})
    await rig.has("event.sw1")
    rig.send(rig.topic("z2m", "sw"), json.dumps({"action": "toggle", "battery": 90}))
    await eventually(lambda: [e.intent for e in rig.of(TriggerFired)] == [
        "action toggle on Wall switch"])


async def test_device_trigger_needs_a_device(rig: Rig) -> None:
    topic = rig.announce("device_automation", "nodev", {
        "atype": "trigger", "t": "a/b", "type": "button_short_press", "stype": "b1"})
    await eventually(lambda: rig.hub.bad_input.counts[topic] == 1)
    assert rig.of(BadInput)[0].reason == (
        f"{topic}: device: missing; a device trigger belongs to a device")


# -- bad input ------------------------------------------------------------------------------


async def test_bad_configurations_are_counted_and_others_keep_working(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hub.devices.badinput")
    bad = {
        "json": (b'{"stat_t": "a", ', "payload is not JSON"),
        "utf8": (b'{"stat_t": "\xff"}', "payload is not UTF-8"),
        "list": (b"[1, 2]", "expected a JSON object, got a list"),
        "nostate": (json.dumps({"uniq_id": "n"}).encode(), "state_topic: missing"),
        "scale": (json.dumps({"stat_t": "a", "sug_dsp_prc": "high"}).encode(),
                  "suggested_display_precision: expected an integer in 0..15, got 'high'"),
        "tpl": (json.dumps({"stat_t": "a", "val_tpl": "{{ value_json.x "}).encode(),
                "value_template: template"),
        "big": (json.dumps({"stat_t": "a", "name": "x" * 300_000}).encode(),
                "over the limit of 262144 bytes"),
    }
    topics = {name: rig.announce("sensor", name, payload) for name, (payload, _) in bad.items()}
    switch_topic = rig.announce("switch", "nocmd", {"stat_t": "a", "uniq_id": "nocmd"})
    rig.announce("sensor", "t", temperature_sensor(rig.base))
    await rig.has("sensor.kitchen_climate_temperature")
    await eventually(lambda: rig.hub.bad_input.total == len(bad) + 1)
    reasons = {e.source: e.reason for e in rig.of(BadInput)}
    for name, (_, expected) in bad.items():
        assert expected in reasons[topics[name]], (name, reasons[topics[name]])
        assert reasons[topics[name]].startswith(topics[name])
    assert reasons[switch_topic] == (
        f"{switch_topic}: command_topic: missing; this component needs it")
    # each logged once, with its source
    assert caplog.text.count("bad input source=") == len(bad) + 1

    # the same bad configuration again is counted again, but not logged again
    rig.announce("sensor", "json", bad["json"][0])
    await eventually(lambda: rig.hub.bad_input.counts[topics["json"]] == 2)
    assert caplog.text.count("bad input source=") == len(bad) + 1

    rig.send(rig.topic("kitchen_climate", "state"), json.dumps({"temperature": 18}))
    await eventually(lambda: rig.state("sensor.kitchen_climate_temperature").get("state") == 18)


async def test_bad_state_messages_are_counted_per_device_topic(rig: Rig) -> None:
    rig.announce("sensor", "t", temperature_sensor(rig.base))
    rig.announce("sensor", "h", {"stat_t": rig.topic("hum"), "uniq_id": "hum",
                                 "unit_of_meas": "%"})
    await rig.has("sensor.kitchen_climate_temperature")
    await rig.has("sensor.hum")
    state = rig.topic("kitchen_climate", "state")
    rig.send(state, b"\xff\xfe")
    rig.send(state, json.dumps({"temperature": "warm"}))
    rig.send(state, b"{not json")
    rig.send(rig.topic("hum"), "wet")
    await eventually(lambda: rig.hub.bad_input.total == 4)
    assert rig.hub.bad_input.counts[state] == 3
    reasons = [e.reason for e in rig.of(BadInput)]
    assert reasons[0] == f"{state}: payload is not UTF-8 (bad byte at 0)"
    assert "round got invalid input 'warm'" in reasons[1]
    assert reasons[3] == f"{rig.topic('hum')}: sensor.hum expects a number (%), got 'wet'"
    # a message without this sensor's value is no error: shared topics carry other keys
    rig.send(state, json.dumps({"humidity": 40}))
    rig.send(state, json.dumps({"temperature": 17}))
    await eventually(lambda: rig.state("sensor.kitchen_climate_temperature").get("state") == 17)
    assert rig.hub.bad_input.total == 4


async def test_two_announcements_with_one_id_keep_both_with_stable_suffixes(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="integrations.mqtt_discovery.discovery")
    async with running(tmp_path, mosquitto, topic_prefix) as rig:
        first = rig.announce("binary_sensor", "a", {
            "stat_t": "x/a", "uniq_id": "Attic Water Sensor"}, retain=True)
        await rig.has("binary_sensor.attic_water_sensor")
        second = rig.announce("binary_sensor", "b", {
            "stat_t": "x/b", "uniq_id": "attic/water_sensor"}, retain=True)
        third = rig.announce("binary_sensor", "c", {
            "stat_t": "x/c", "uniq_id": "attic water-sensor"}, retain=True)
        await rig.has("binary_sensor.attic_water_sensor_3")
        registry = rig.hub.registry
        assert [registry.get(i).attributes["discovery_topic"] for i in (
            "binary_sensor.attic_water_sensor", "binary_sensor.attic_water_sensor_2",
            "binary_sensor.attic_water_sensor_3")] == [first, second, third]
        assert rig.hub.bad_input.total == 0
        # the same announcement again keeps its id, and is not logged again
        rig.announce("binary_sensor", "b", {"stat_t": "x/b2", "uniq_id": "attic/water_sensor"},
                     retain=True)
        await eventually(lambda: registry.get("binary_sensor.attic_water_sensor_2")
                         .attributes.get("discovery_topic") == second)
    logged = [r.getMessage() for r in caplog.records if "suffixed" in r.getMessage()]
    assert len(logged) == 2 and "id=binary_sensor.attic_water_sensor_2 " in logged[0]
    def clear() -> None:
        with mqtt_peer(mosquitto.host, mosquitto.port) as cleaner:
            for topic in (first, second, third):
                cleaner.publish(topic, b"", retain=True)

    try:
        # after a restart the first announcement arrives last: ids stay where they were
        clear()
        async with running(tmp_path, mosquitto, topic_prefix) as rig:
            rig.announce("binary_sensor", "c", {"stat_t": "x/c", "uniq_id": "attic water-sensor"})
            rig.announce("binary_sensor", "b", {"stat_t": "x/b", "uniq_id": "attic/water_sensor"})
            await rig.has("binary_sensor.attic_water_sensor_2")
            rig.announce("binary_sensor", "a", {"stat_t": "x/a", "uniq_id": "Attic Water Sensor"})
            await rig.has("binary_sensor.attic_water_sensor")
            registry = rig.hub.registry
            assert registry.get("binary_sensor.attic_water_sensor_3").attributes[
                "discovery_topic"] == third
            assert registry.get("binary_sensor.attic_water_sensor").attributes[
                "discovery_topic"] == first
    finally:
        clear()


async def test_json_attributes_join_the_state(rig: Rig) -> None:
    rig.announce("sensor", "t", temperature_sensor(
        rig.base, json_attr_t="~/state",
        json_attr_tpl="{{ {'humidity': value_json.humidity, 'state': 'no'} | tojson }}"))
    await rig.has("sensor.kitchen_climate_temperature")
    rig.send(rig.topic("kitchen_climate", "state"),
             json.dumps({"temperature": 20, "humidity": 44}))
    await eventually(lambda: rig.state("sensor.kitchen_climate_temperature") == {
        "state": 20, "humidity": 44})
