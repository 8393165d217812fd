"""Fuzzing every input the hub reads from outside, against a real hub on a real Mosquitto.

For each input (Zigbee2MQTT's device list, state, availability, bridge events and state;
MQTT discovery configurations and states; Frigate's events, reviews, snapshots and
topics; signed envelopes on the RPC topic; every HTTP route's body and query) a corpus of
hostile values is generated: NUL, lone surrogates, control characters, overlong text,
NaN, infinities, 1e999, 5,001-digit integers, 10,000-deep nesting, wrong types, empty
payloads, binary garbage, huge arrays. Each is put in place of every field of a valid
message, plus whole raw payloads. The corpus is seeded, so a failure replays exactly.

After each input the hub must still be connected (no reconnect), answer health, serve a
tool call to a good device, keep saving its state, have let no exception escape a
subscriber and logged no ERROR, and have counted the bad input.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import random
import struct
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from hub.fabric import rpc_topic
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.cameras import jpeg_frame
from tests.hubs import hub_config
from tests.test_frigate import NO_THROTTLE, event, review, tracked
from tests.test_zigbee2mqtt import DEVICES, FakeZigbee2MQTT, fake_zigbee2mqtt
from tests.waiting import eventually
from web import create_app
from web.sse import close_event_streams

SEED = int(os.environ.get("ATMOSPHERE_FUZZ_SEED", "20260901"))
LAMP = next(d for d in DEVICES if d["friendly_name"] == "living_room/floor_lamp")
CLIMATE = next(d for d in DEVICES if d["friendly_name"] == "living_room/climate")
LAMP_ID = "light.living_room_floor_lamp"

# -- the corpus -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """JSON text put in a document as it is (what json.dumps will not write)."""

    text: str


DEEP_ARRAY = Raw("[" * 10_000 + "]" * 10_000)
DEEP_OBJECT = Raw('{"a":' * 10_000 + "1" + "}" * 10_000)
LIGHT_VALUES: tuple[Any, ...] = (
    "", "\x00", "a\x00b", "\ud800", "x\udfff", "\x01\x1f\x7f", "\u0085", "\ufdd0", "\uffff",
    "\U0001fffe", "+", "#", "a/+/#", "/", "//", "é😀", "\ud83d\ude00",
    float("nan"), float("inf"), float("-inf"), Raw("1e999"), Raw("-1e999"), Raw("9" * 5001),
    Raw("1" * 400 + ".5"), -1, 0, 2**63, -(2**63), 1.5e308,
    True, False, None, [], {}, [None], {"": None}, [[[]]],
)
HEAVY_VALUES: tuple[Any, ...] = (
    "x" * 70_000, "\x00" * 5_000, "\ud800" * 2_000, DEEP_ARRAY, DEEP_OBJECT,
    Raw("[" + ",".join(["0"] * 20_000) + "]"), Raw("[" + ",".join(['"\\u0000"'] * 5_000) + "]"),
)


def raw_payloads(rng: random.Random) -> list[bytes]:
    """Whole payloads: garbage bytes, broken UTF-8 and JSON, deep and huge documents."""
    return [
        b"", b" ", b"\x00", b"\xff\xfe\xfd", b"\xed\xa0\x80", b"\xc0\x80", b"\x80",
        rng.randbytes(64), rng.randbytes(4096), b"{", b"[", b'{"a":', b"nul", b"NaN",
        b"Infinity", b"-Infinity", b"1e999", b"9" * 5001, b'"\\ud800"', b'"\\u0000"',
        b"[" * 10_000 + b"]" * 10_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b"[" * 100_000, b"[" + b"0," * 150_000 + b"0]", b"null", b"true", b"0", b'""', b"[]",
        b"{}", b'{"\\ud800": 1}', b'{"a": NaN}', b"ON", b"OFF", b"online", b"nan", b"inf",
        b"-inf", b"1" * 400 + b".5", b"\x00" * 100,
    ]


def encode(document: Any) -> bytes:
    """json.dumps, with `Raw` parts written as they are."""
    raws: list[str] = []

    def placeholder(value: Any) -> Any:
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"@@raw{len(raws) - 1}@@"
        raise TypeError(type(value).__name__)

    def swap(value: Any) -> Any:
        if isinstance(value, Raw):
            return placeholder(value)
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(document))
    for i, raw in enumerate(raws):
        text = text.replace(f'"@@raw{i}@@"', raw)
    return text.encode("utf-8", "surrogatepass")


def paths(document: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path in a JSON document, containers included."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(document, list):
        for i, value in enumerate(document):
            yield (*prefix, i)
            yield from paths(value, (*prefix, i))


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copied = copy.deepcopy(document)
    target = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copied


def mutations(template: Any, rng: random.Random, *, heavy_paths: int = 2,
              limit: int = 400) -> list[bytes]:
    """The template with each field replaced by each hostile value (heavy values at a few
    seeded paths only), plus hostile keys; at most `limit`, chosen by the seed."""
    every = list(paths(template))
    out = [encode(replaced(template, path, value)) for path in every for value in LIGHT_VALUES]
    for path in rng.sample(every, min(heavy_paths, len(every))):
        out += [encode(replaced(template, path, value)) for value in HEAVY_VALUES]
    if isinstance(template, dict):
        for key in ("\ud800", "\x00", "", "x" * 70_000):
            out.append(encode({**template, key: 1}))
    if len(out) > limit:
        out = rng.sample(out, limit)
    return out


# -- the rig ----------------------------------------------------------------------------------------


@dataclass
class Rig:
    hub: Hub
    z2m: FakeZigbee2MQTT
    base: str
    prefix: str
    """MQTT discovery's prefix."""
    dev: str
    """Where the discovered devices keep their topics."""
    frigate: str
    caplog: pytest.LogCaptureFixture

    def flood(self, topic: str, payloads: list[bytes], qos: int = 1) -> None:
        """Publish every payload without waiting for each, then wait for the last."""
        client = self.z2m.peer.client
        info = None
        for payload in payloads:
            info = client.publish(topic, payload, qos=qos)
        if info is not None:
            info.wait_for_publish(30)

    async def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(self.hub)),
                                 base_url="http://hub.test",
                                 headers={"Authorization": f"Bearer {self.hub.api_token}"})

    async def settled(self) -> None:
        """Everything sent so far has been handled: a report sent last has arrived (sent
        again while it has not: a device list may have restarted the device meanwhile)."""
        marker = random.Random(time.monotonic_ns()).randrange(1, 250)
        registry, battery = self.hub.registry, "sensor.living_room_climate_battery"

        def arrived() -> bool:
            capability = registry.find(battery)
            if capability is not None and capability.state.get("state") == marker:
                return True
            self.z2m.report("living_room/climate", {"battery": marker})
            return False

        await eventually(arrived, timeout=20, interval=0.2)

    async def survived(self, bad_before: int, *, counted: bool = True) -> None:
        hub = self.hub
        await self.settled()
        counters = hub.fabric.counters
        assert hub.fabric.connected
        assert counters.reconnects == 0, "the broker dropped the hub"
        assert counters.callback_errors == 0, "an exception escaped a subscriber"
        if counted:
            assert hub.bad_input.total > bad_before, "the bad input was not counted"
        async with await self.http() as http:
            health = await http.get("/api/health")
            assert health.status_code == 200 and health.json()["mqtt_connected"] is True
            for path in ("/api/capabilities", "/api/states", f"/api/capabilities/{LAMP_ID}"):
                answer = await http.get(path)
                assert answer.status_code == 200, (path, answer.text[:200])
        brightness = random.Random(time.monotonic_ns()).randrange(10, 90)
        result = await hub.call(LAMP_ID, "turn_on", {"brightness_pct": brightness})
        assert result.value["state"]["state"] == "on"
        await hub.registry.flush()
        assert hub.store.unsaved == 0, "a state the store cannot write got in"
        for capability in hub.registry.all():
            json.dumps(dict(capability.state), allow_nan=False).encode()
        errors = [r for r in self.caplog.records if r.levelno >= logging.ERROR]
        assert not errors, [r.getMessage()[:300] for r in errors[:3]]


@asynccontextmanager
async def rig(tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str,
              caplog: pytest.LogCaptureFixture) -> AsyncIterator[Rig]:
    caplog.set_level(logging.WARNING)
    base, prefix = f"{topic_prefix}/z2m", f"{topic_prefix}/ha"
    dev, frigate = f"{topic_prefix}/dev", f"{topic_prefix}/frigate"
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port, integrations={
        "zigbee2mqtt": {"base_topic": base, "command_timeout": 2},
        "mqtt_discovery": {"discovery_prefix": prefix, "command_timeout": 2},
        "frigate": {"topic_prefix": frigate, "triggers": NO_THROTTLE,
                    "cameras": ["front_door"]},
    })
    with fake_zigbee2mqtt(mosquitto, base, [LAMP, CLIMATE]) as z2m:
        async with Hub(config) as hub:
            z2m.peer.publish(f"{prefix}/sensor/good/config", json.dumps(
                {"stat_t": f"{dev}/good", "json_attr_t": f"{dev}/good/attrs",
                 "uniq_id": "good", "unit_of_measurement": "C", "name": "Good"}))
            await eventually(lambda: "sensor.good" in hub.registry)
            await hub.fabric.wait_subscribed()
            # a state to answer /get with
            z2m.report("living_room/floor_lamp", {"state": "OFF", "brightness": 100,
                                                  "color_temp": 300})
            await eventually(lambda: hub.registry.get(LAMP_ID).state.get("state") == "off")
            yield Rig(hub, z2m, base, prefix, dev, frigate, caplog)


async def fuzz(tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str,
               caplog: pytest.LogCaptureFixture, family: str,
               send: Callable[[Rig, random.Random], None], *, counted: bool = True) -> None:
    async with rig(tmp_path, mosquitto, topic_prefix, caplog) as r:
        bad_before = r.hub.bad_input.total
        send(r, random.Random(f"{SEED}-{family}"))
        await r.survived(bad_before, counted=counted)


# -- Zigbee2MQTT --------------------------------------------------------------------------------------


def _bridge_devices(r: Rig, rng: random.Random) -> None:
    entry = copy.deepcopy(LAMP)
    entry["ieee_address"], entry["friendly_name"] = "0x00000000000f022", "fuzz/lamp"
    payloads = []
    for document in mutations(entry, rng, limit=150):
        # the good devices stay listed, or the list would withdraw them
        payloads.append(b"[" + encode(LAMP) + b"," + encode(CLIMATE) + b"," + document + b"]")
    payloads += raw_payloads(rng)
    r.flood(f"{r.base}/bridge/devices", payloads)
    r.flood(f"{r.base}/bridge/devices", [encode([LAMP, CLIMATE])])


def _device_state(r: Rig, rng: random.Random) -> None:
    template = {"state": "ON", "brightness": 200, "color_temp": 300,
                "color": {"x": 0.3, "y": 0.3}, "linkquality": 80}
    r.flood(f"{r.base}/living_room/floor_lamp", mutations(template, rng) + raw_payloads(rng))


def _availability(r: Rig, rng: random.Random) -> None:
    topic = f"{r.base}/living_room/floor_lamp/availability"
    r.flood(topic, mutations({"state": "online"}, rng) + raw_payloads(rng))
    r.flood(topic, [b'{"state": "online"}'])


def _bridge_event(r: Rig, rng: random.Random) -> None:
    joined = {"type": "device_joined",
              "data": {"friendly_name": "fuzz", "ieee_address": "0x00000000000f0e1"}}
    interview = {"type": "device_interview", "data": {
        "friendly_name": "fuzz/interviewed", "ieee_address": "0x00000000000f0e2",
        "status": "successful", "supported": True, "definition": LAMP["definition"]}}
    r.flood(f"{r.base}/bridge/event", mutations(joined, rng, limit=200)
            + mutations(interview, rng, limit=200) + raw_payloads(rng))


def _bridge_state(r: Rig, rng: random.Random) -> None:
    topic = f"{r.base}/bridge/state"
    r.flood(topic, mutations({"state": "online"}, rng) + raw_payloads(rng))
    r.flood(topic, [b"online"])


@pytest.mark.parametrize("family", ["bridge_devices", "device_state", "availability",
                                    "bridge_event", "bridge_state"])
async def test_zigbee2mqtt_inputs(tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str,
                                  caplog: pytest.LogCaptureFixture, family: str) -> None:
    senders = {"bridge_devices": _bridge_devices, "device_state": _device_state,
               "availability": _availability, "bridge_event": _bridge_event,
               "bridge_state": _bridge_state}
    await fuzz(tmp_path, mosquitto, topic_prefix, caplog, family, senders[family])


# -- MQTT discovery -----------------------------------------------------------------------------------


def _discovery_configs(r: Rig, rng: random.Random) -> None:
    sensor = {"stat_t": f"{r.dev}/fz", "uniq_id": "fz", "name": "Fuzz",
              "unit_of_measurement": "C", "val_tpl": "{{ value_json.t }}",
              "avty_t": f"{r.dev}/fz/avail", "json_attr_t": f"{r.dev}/fz/attrs",
              "dev": {"ids": ["fz1"], "name": "Fuzzer", "sa": "lab"}, "off_delay": 5}
    switch = {"stat_t": f"{r.dev}/sw", "cmd_t": f"{r.dev}/sw/set", "uniq_id": "sw",
              "pl_on": "ON", "pl_off": "OFF", "qos": 1}
    device = {"dev": {"ids": ["fzd"], "name": "Dev"}, "o": {"name": "fuzz"},
              "cmps": {"t": {"p": "sensor", "stat_t": f"{r.dev}/d/t", "uniq_id": "fzdt"},
                       "l": {"p": "light", "cmd_t": f"{r.dev}/d/l/set", "uniq_id": "fzdl",
                             "schema": "json", "brightness": True}}}
    r.flood(f"{r.prefix}/sensor/fz/config", mutations(sensor, rng) + raw_payloads(rng))
    r.flood(f"{r.prefix}/switch/sw/config", mutations(switch, rng, limit=200))
    r.flood(f"{r.prefix}/device/fzd/config", mutations(device, rng))


def _discovery_states(r: Rig, rng: random.Random) -> None:
    texts = [v.encode("utf-8", "surrogatepass") for v in LIGHT_VALUES if isinstance(v, str)]
    r.flood(f"{r.dev}/good", raw_payloads(rng) + texts + [b"21.5"])
    r.flood(f"{r.dev}/good/attrs", mutations({"calibration": 0.5, "room": "lab"}, rng)
            + raw_payloads(rng))


@pytest.mark.parametrize("family", ["configs", "states"])
async def test_mqtt_discovery_inputs(tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str,
                                     caplog: pytest.LogCaptureFixture, family: str) -> None:
    send = _discovery_configs if family == "configs" else _discovery_states
    await fuzz(tmp_path, mosquitto, topic_prefix, caplog, f"discovery-{family}", send)


# -- Frigate ------------------------------------------------------------------------------------------


def _frigate(r: Rig, rng: random.Random) -> None:
    p = r.frigate
    r.flood(f"{p}/events", [encode(json.loads(event("new", tracked())))] + mutations(
        json.loads(event("new", tracked(current_zones=("yard",)))), rng, limit=300)
        + raw_payloads(rng))
    r.flood(f"{p}/reviews", mutations(json.loads(review("new", "alert", ["person"])), rng,
                                      limit=300) + raw_payloads(rng))
    frame = jpeg_frame(2_000, seed=rng.randrange(1000))
    snapshots = [frame[:n] for n in (0, 2, 10, 100)] + [rng.randbytes(500), frame + b"x"]
    snapshots += raw_payloads(rng)
    r.flood(f"{p}/front_door/person/snapshot", snapshots)
    for topic in (f"{p}/available", f"{p}/front_door/motion", f"{p}/front_door/person",
                  f"{p}/front_door/person/active", f"{p}/front_door/motion/state",
                  f"{p}/front_door/detect/state"):
        r.flood(topic, raw_payloads(rng))
    r.flood(f"{p}/available", [b"online"])


async def test_frigate_inputs(tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str,
                              caplog: pytest.LogCaptureFixture) -> None:
    await fuzz(tmp_path, mosquitto, topic_prefix, caplog, "frigate", _frigate)


# -- signed envelopes on the RPC topic ------------------------------------------------------------


def _envelope(head: bytes, body: bytes, key: Any) -> bytes:
    unsigned = struct.pack("!BH", 1, len(head) & 0xFFFF) + head + body
    return unsigned + key.sign(unsigned).signature


async def test_signed_envelopes_on_the_rpc_topic(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with rig(tmp_path, mosquitto, topic_prefix, caplog) as r:
        hub = r.hub
        rng = random.Random(f"{SEED}-rpc")
        key, node = hub.identity.signing_key, hub.node_id
        reply = f"{topic_prefix}/replies"
        answers: list[bytes] = []
        r.z2m.peer.client.message_callback_add(reply, lambda c, u, m: answers.append(m.payload))
        r.z2m.peer.subscribe(reply)

        def header(**fields: Any) -> dict[str, Any]:
            return {"from": node, "ts": time.time(), "id": uuid.uuid4().hex, "kind": "request",
                    "reply": reply, "corr": uuid.uuid4().hex, **fields}

        good_call = {"capability": LAMP_ID, "tool": "get_state", "arguments": {}}
        payloads = raw_payloads(rng)  # not envelopes at all
        template = header()
        for head in mutations(template, rng, limit=250):
            # a fresh id in each, so that the replay guard is not what refuses them all
            head = head.replace(template["id"].encode(), uuid.uuid4().hex.encode())
            payloads.append(_envelope(head, encode(good_call), key))
        for body in mutations(good_call, rng, limit=250) + raw_payloads(rng):
            payloads.append(_envelope(encode(header()), body, key))
        r.flood(rpc_topic(node), payloads)
        # a good call over the same path still works, and its answer arrives
        await r.survived(hub.bad_input.total, counted=False)
        await eventually(lambda: len(answers) > 0)


# -- HTTP ---------------------------------------------------------------------------------------------


def _query(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value) if not isinstance(
        value, Raw) else value.text
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


async def test_every_http_route_with_hostile_bodies_and_queries(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with rig(tmp_path, mosquitto, topic_prefix, caplog) as r:
        rng = random.Random(f"{SEED}-http")
        app = create_app(r.hub)
        close_event_streams(app)  # /api/events then answers at once instead of streaming
        # (a query past 64 KiB is an invalid URL already in the client)
        values = [*LIGHT_VALUES, "x" * 5_000, "\ud800" * 1_000, "[" * 3_000 + "]" * 3_000,
                  '{"a":' * 2_000]
        bodies = raw_payloads(rng)
        bodies += mutations({"brightness_pct": 30, "transition": 1}, rng, limit=150)
        bodies += mutations({"text": "turn on the lamp", "context": {"area": "lab"},
                             "execute": False}, rng, limit=150)
        statuses: dict[int, int] = {}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://hub.test",
            headers={"Authorization": f"Bearer {r.hub.api_token}"}, timeout=30,
        ) as http:
            requests: list[tuple[str, str, bytes | None]] = []
            for value in values:
                q = _query(value)
                requests += [
                    ("GET", f"/api/health?{q}={q}", None),
                    ("GET", f"/api/capabilities?type={q}&area={q}", None),
                    ("GET", f"/api/capabilities/{q}", None),
                    ("GET", f"/api/states?{q}", None),
                    ("GET", f"/api/events?types={q}", None),
                    ("POST", f"/api/capabilities/{LAMP_ID}/tools/get_state?timeout={q}", b""),
                    ("POST", f"/api/capabilities/{q}/tools/{q}", b"{}"),
                ]
            for body in bodies:
                requests += [
                    ("POST", f"/api/capabilities/{LAMP_ID}/tools/turn_on?timeout=5", body),
                    ("POST", "/api/route", body),
                ]
            for method, url, body in requests:
                answer = await http.request(method, url, content=body)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
                assert answer.status_code < 500 or answer.status_code in (502, 503, 504), (
                    method, url[:120], (body or b"")[:80], answer.status_code, answer.text[:300])
                assert answer.headers["content-type"].startswith("application/json")
        assert statuses.get(400, 0) > len(bodies), statuses
        await r.survived(r.hub.bad_input.total, counted=False)
