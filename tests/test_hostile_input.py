"""Hostile input at the edges, against a real Mosquitto: a topic the broker refuses, text
that is not Unicode, numbers that are not finite. Each is bad input, counted where it
enters; none disconnects the hub, poisons its subscriptions, or stops it saving state."""

from __future__ import annotations

import copy
import json
import logging
import sqlite3
from contextlib import closing
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx
import pytest

from hub.errors import FabricError, PayloadError
from hub.events import BadInput, EventBus
from hub.fabric import Fabric, FabricSettings, Message
from hub.model import Capability, NodeId
from hub.registry import Registry
from hub.runtime import Hub
from hub.store import Store
from tests.broker import Mosquitto
from tests.hubs import hub_config
from tests.mqtt import mqtt_peer
from tests.test_zigbee2mqtt import DEVICES, fake_zigbee2mqtt, z2m_config
from tests.waiting import eventually
from web import create_app

LAMP = next(d for d in DEVICES if d["friendly_name"] == "living_room/floor_lamp")
CLIMATE = next(d for d in DEVICES if d["friendly_name"] == "living_room/climate")
LAMP_ID = "light.living_room_floor_lamp"

POISON = {
    "nul": "bad\u0000lamp",
    "surrogate": "bad\ud800lamp",  # json.dumps writes it as the escape "\ud800"
    "control": "bad\u0001lamp",
    "noncharacter": "bad\uffff lamp",
}


def renamed(device: dict[str, Any], name: str, ieee: str) -> dict[str, Any]:
    copied = copy.deepcopy(device)
    copied["friendly_name"] = name
    copied["ieee_address"] = ieee
    return copied


def poisoned_list() -> list[dict[str, Any]]:
    bad = [renamed(LAMP, name, f"0x00000000000000{i:02d}")
           for i, name in enumerate(POISON.values())]
    # the good lamp last: the poisoned entries must not stop the rest of the list
    return [*bad, LAMP]


async def health(hub: Hub) -> dict[str, Any]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(hub)),
                                 base_url="http://hub.test",
                                 headers={"Authorization": f"Bearer {hub.api_token}"}) as http:
        answer = await http.get("/api/health")
        assert answer.status_code == 200
        listed = await http.get("/api/capabilities")
        assert listed.status_code == 200, listed.text
        body: dict[str, Any] = answer.json()
        body["capabilities"] = [c["id"] for c in listed.json()["capabilities"]]
        return body


# -- item 1 and 2: names that cannot be topics -----------------------------------------------------


async def test_a_retained_device_list_with_poisoned_names_survives_a_restart(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    with fake_zigbee2mqtt(mosquitto, base, poisoned_list()):
        config = z2m_config(tmp_path, mosquitto, base)
        for run in ("first start", "restart on the same data dir, list still retained"):
            async with Hub(config) as hub:
                assert LAMP_ID in hub.registry, run
                zigbee = {c.id for c in hub.registry.all() if c.source == "zigbee2mqtt"}
                assert zigbee and all("floor_lamp" in i for i in zigbee), zigbee
                reasons = "\n".join(
                    f"{source}: {count}" for source, count in hub.bad_input.counts.items())
                assert sum(hub.bad_input.counts.values()) == len(POISON), reasons
                result = await hub.call(LAMP_ID, "turn_on", {"brightness_pct": 50})
                assert result.value["state"]["state"] == "on"
                assert hub.fabric.connected
                assert hub.fabric.counters.reconnects == 0
                answer = await health(hub)
                assert answer["mqtt_connected"] is True and answer["status"] == "ok"
                assert LAMP_ID in answer["capabilities"]


async def test_each_poisoned_name_is_reported_with_what_is_wrong(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    with fake_zigbee2mqtt(mosquitto, base, poisoned_list()):
        bad: list[BadInput] = []
        hub = Hub(z2m_config(tmp_path, mosquitto, base))
        hub.bus.listen(BadInput, bad.append)
        async with hub:
            assert LAMP_ID in hub.registry
    reasons = sorted(b.reason for b in bad)
    assert len(reasons) == 4
    assert any("U+0000" in r for r in reasons), reasons
    assert any("U+D800" in r and "lone surrogate" in r for r in reasons), reasons
    assert any("U+0001" in r for r in reasons), reasons
    assert any("U+FFFF" in r for r in reasons), reasons
    assert all("friendly name" in r or "friendly_name" in r for r in reasons), reasons


async def test_the_fabric_refuses_a_bad_topic_before_sending_and_stays_connected(
    private_mosquitto: Mosquitto,
) -> None:
    settings = FabricSettings(host=private_mosquitto.host, port=private_mosquitto.port)
    async with Fabric(settings) as fabric:
        got: list[Message] = []
        fabric.subscribe("good/+", got.append, qos=1)
        for topic in ("bad\x00/x", "bad\ud800/x", "bad\x01", "bad/\ufdd0", "x" * 70_000):
            with pytest.raises(FabricError, match="cannot subscribe to"):
                fabric.subscribe(topic, got.append)
            with pytest.raises(FabricError, match="cannot publish to"):
                fabric.publish(topic, b"x", qos=1)
            with pytest.raises(FabricError, match="cannot publish to"):
                await fabric.publish_confirmed(topic, b"x")
        with pytest.raises(FabricError, match=r"cannot publish to 'good/\+': .*wildcard"):
            fabric.publish("good/+", b"x")
        with pytest.raises(FabricError, match=r"U\+0000"):
            fabric.subscribe("a\x00", got.append)
        await fabric.wait_subscribed()
        fabric.publish("good/1", b"one", qos=1)
        await eventually(lambda: len(got) == 1)
        # a reconnect restores the table: nothing bad is in it to poison the restore
        private_mosquitto.stop()
        await eventually(lambda: not fabric.connected)
        with pytest.raises(FabricError, match="cannot publish to"):
            fabric.publish("bad\x00/while-away", b"x", qos=1)  # not even into the backlog
        private_mosquitto.start()
        await fabric.wait_connected(10)
        await fabric.wait_subscribed()
        fabric.publish("good/2", b"two", qos=1)
        await eventually(lambda: len(got) == 2)
        assert fabric.counters.reconnects == 1
        assert fabric.connected


async def test_discovery_configs_with_poisoned_topics_are_skipped_and_counted(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    prefix, dev = f"{topic_prefix}/ha", f"{topic_prefix}/dev"
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port, integrations={
        "mqtt_discovery": {"discovery_prefix": prefix, "command_timeout": 2}})
    poisoned = {
        "nul_state": {"stat_t": f"{dev}/a\u0000b", "uniq_id": "n1"},
        "surrogate_state": {"stat_t": f"{dev}/a\ud800b", "uniq_id": "n2"},
        "control_command": {"stat_t": f"{dev}/ok3", "cmd_t": f"{dev}/c\u0007", "uniq_id": "n3"},
        "nul_name": {"stat_t": f"{dev}/ok4", "name": "lamp\u0000", "uniq_id": "n4"},
        "nul_availability": {"stat_t": f"{dev}/ok5", "avty_t": f"{dev}/\u0000",
                             "uniq_id": "n5"},
    }
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        async with Hub(config) as hub:
            for object_id, body in poisoned.items():
                component = "switch" if "cmd_t" in body else "sensor"
                peer.publish(f"{prefix}/{component}/{object_id}/config", json.dumps(body))
            peer.publish(f"{prefix}/sensor/good/config", json.dumps(
                {"stat_t": f"{dev}/good", "uniq_id": "good", "unit_of_measurement": "C"}))
            await eventually(lambda: "sensor.good" in hub.registry)
            await eventually(lambda: hub.bad_input.total >= len(poisoned))
            await hub.fabric.wait_subscribed()
            peer.publish(f"{dev}/good", b"21.5")
            await eventually(lambda: hub.registry.get("sensor.good").state.get("state") == 21.5)
            assert hub.bad_input.total == len(poisoned)
            assert hub.fabric.connected and hub.fabric.counters.reconnects == 0
            assert [c.id for c in hub.registry.all() if c.source == "mqtt_discovery"] == [
                "sensor.good"]
            assert (await health(hub))["mqtt_connected"] is True


# -- item 4: numbers that are not finite -------------------------------------------------------


async def test_a_nan_reading_is_dropped_and_counted_and_the_rest_is_saved(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    base = f"{topic_prefix}/z2m"
    with fake_zigbee2mqtt(mosquitto, base, [CLIMATE]) as z2m:
        config = z2m_config(tmp_path, mosquitto, base)
        async with Hub(config) as hub:
            bad: list[BadInput] = []
            hub.bus.listen(BadInput, bad.append)
            topic = f"{base}/living_room/climate"
            z2m.peer.publish(topic, b'{"temperature": NaN, "humidity": 41, "pressure": 1e999}')
            await eventually(
                lambda: hub.registry.get("sensor.living_room_climate_humidity").state
                == {"state": 41})
            assert hub.registry.get("sensor.living_room_climate_temperature").state == {}
            assert hub.registry.get("sensor.living_room_climate_pressure").state == {}
            assert [b.reason for b in bad] == [(
                f"{topic}: temperature: NaN is not a finite number; "
                "pressure: 1e999 is not a finite number")]
            z2m.peer.publish(topic, b'{"temperature": Infinity}')
            z2m.peer.publish(topic, b'{"temperature": 21.5}')
            await eventually(
                lambda: hub.registry.get("sensor.living_room_climate_temperature").state
                == {"state": 21.5})
            assert hub.bad_input.counts[topic] == 2
            await hub.registry.flush()
            # what a crash now would leave: the store has every good reading
            with closing(sqlite3.connect(tmp_path / "data" / "hub.db")) as conn:
                saved = dict(conn.execute("SELECT id, json FROM states").fetchall())
            assert saved["sensor.living_room_climate_humidity"] == '{"state":41}'
            assert saved["sensor.living_room_climate_temperature"] == '{"state":21.5}'


async def test_discovery_readings_that_are_not_finite_are_bad_input(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str
) -> None:
    prefix, dev = f"{topic_prefix}/ha", f"{topic_prefix}/dev"
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port, integrations={
        "mqtt_discovery": {"discovery_prefix": prefix, "command_timeout": 2}})
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        async with Hub(config) as hub:
            peer.publish(f"{prefix}/sensor/t/config", json.dumps({
                "stat_t": f"{dev}/t", "uniq_id": "t", "unit_of_measurement": "C",
                "json_attr_t": f"{dev}/t/attrs"}))
            peer.publish(f"{prefix}/sensor/plain/config", json.dumps({
                "stat_t": f"{dev}/plain", "uniq_id": "plain", "unit_of_measurement": "W",
                "val_tpl": "{{ value | float }}"}))
            await eventually(lambda: "sensor.plain" in hub.registry)
            await hub.fabric.wait_subscribed()
            for payload in (b"inf", b"1e999", b"-Infinity", b"nan"):
                peer.publish(f"{dev}/t", payload)
            peer.publish(f"{dev}/t/attrs", b'{"calibration": NaN}')
            peer.publish(f"{dev}/plain", b"1e999")  # the template makes it a float: inf
            peer.publish(f"{dev}/t", b"20.5")
            await eventually(lambda: hub.registry.get("sensor.t").state.get("state") == 20.5)
            await eventually(lambda: hub.bad_input.total == 6)
            assert "calibration" not in hub.registry.get("sensor.t").state
            assert hub.registry.get("sensor.plain").state.get("state") is None
            await hub.registry.flush()


async def test_one_unencodable_state_never_stops_the_others_being_saved(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="hub.store")
    path = tmp_path / "hub.db"
    good = [Capability(id=f"sensor.s{i}", type="sensor",
                       state=MappingProxyType({"state": i})) for i in range(300)]
    bad = Capability(id="sensor.bad", type="sensor",
                     state=MappingProxyType({"state": float("nan")}))
    worse = Capability(id="sensor.worse", type="sensor",
                       state=MappingProxyType({"state": b"raw"}))
    async with Store(path) as store:
        lost = await store.save_capabilities([*good[:150], bad, *good[150:], worse])
        assert lost == ("sensor.bad", "sensor.worse")
        lost = await store.save_states([bad, *good])
        assert lost == ("sensor.bad",)
        loaded = {c.id: c for c in await store.load_capabilities()}
    assert {i: dict(c.state) for i, c in loaded.items()} == {
        **{c.id: {"state": int(c.id[8:])} for c in good},
        # new capabilities: their definitions were saved, their states were not
        "sensor.bad": {}, "sensor.worse": {}}
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1, "rate-limited: one line for the same trouble"
    assert "capability=sensor.bad" in errors[0].getMessage()
    assert "not saved" in errors[0].getMessage()


async def test_the_registry_keeps_flushing_after_an_unencodable_state(
    tmp_path: Path,
) -> None:
    async with Store(tmp_path / "hub.db") as store:
        registry = Registry(EventBus(), node_id=NodeId("n"), store=store)
        async with registry:
            registry.add(Capability(id="sensor.bad", type="sensor",
                                    state=MappingProxyType({"state": float("inf")})))
            registry.add(Capability(id="sensor.good", type="sensor"))
            registry.set_state("sensor.good", {"state": 1})
            await registry.flush()
            with pytest.raises(PayloadError, match=r"sensor.bad: state: inf is not a finite"):
                registry.set_state("sensor.bad", {"state": float("inf")})
            registry.set_state("sensor.good", {"state": 2})
            await registry.flush()
        with closing(sqlite3.connect(tmp_path / "hub.db")) as conn:
            rows = dict(conn.execute("SELECT id, json FROM states").fetchall())
        assert rows == {"sensor.good": '{"state":2}'}


# -- the HTTP edge and the argument check -------------------------------------------------------


async def test_deep_huge_and_non_finite_http_bodies_are_400_not_500(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    async with Hub(hub_config(tmp_path, mosquitto.host, mosquitto.port)) as hub:
        from tests.test_web_api import TEST_LIGHT, Lamp, asgi_client

        lamp = Lamp(hub)
        hub.registry.add(TEST_LIGHT, lamp)
        url = f"/api/capabilities/{TEST_LIGHT.id}/tools/turn_on"
        async with asgi_client(create_app(hub), hub.api_token) as http:
            for body, message in [
                (b"[" * 10_000 + b"]" * 10_000, "nested at least 4096 levels deep"),
                (b'{"brightness_pct": ' + b"9" * 5001 + b"}", "more than 4300 digits"),
                (b'{"brightness_pct": NaN}', "brightness_pct: NaN is not a finite number"),
                (b'{"brightness_pct": 1e999}', "brightness_pct: 1e999 is not a finite"),
                (b'{"brightness_pct": "\\ud800"}', "lone surrogate"),
            ]:
                answer = await http.post(url, content=body)
                assert answer.status_code == 400, (body[:40], answer.text)
                assert message in answer.json()["error"]["message"]
            for body in (b'{"text": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
                         b'{"text": "lights off", "context": {"n": NaN}}'):
                answer = await http.post("/api/route", content=body)
                assert answer.status_code == 400, answer.text
        with pytest.raises(PayloadError, match="brightness_pct: NaN is not a finite number"):
            await hub.call(TEST_LIGHT.id, "turn_on", {"brightness_pct": float("nan")})
        assert lamp.calls == []


def test_the_argument_check_refuses_numbers_that_are_not_finite() -> None:
    from hub.arguments import check_arguments

    schema = {"type": "object", "properties": {
        "brightness_pct": {"type": "number", "minimum": 0, "maximum": 100},
        "name": {"type": "string"}}}
    for value in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(PayloadError, match="brightness_pct: expected a finite number"):
            check_arguments(schema, {"brightness_pct": value})
    with pytest.raises(PayloadError, match="name: text holds U\\+DC00, a lone surrogate"):
        check_arguments(schema, {"name": "a\udc00"})
    check_arguments(schema, {"brightness_pct": 30.5, "name": "é😀"})

