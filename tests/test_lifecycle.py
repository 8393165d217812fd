"""The hub's lifecycle as a user meets it: `atmosphere run` as a real process, stopped
cleanly or killed, its embedded broker killed under it, a second start on the same data
directory, a broken configuration, captured requests replayed after a restart."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from hub.config import load_config
from hub.errors import DataDirInUse
from hub.fabric import broker_answers
from hub.runtime import Hub
from tests.broker import Mosquitto, free_port, mosquitto_binary
from tests.hubs import hub_config, write_config
from tests.mqtt import Peer, mqtt_peer
from tests.waiting import eventually
from web import create_app

ATMOSPHERE = [sys.executable, "-m", "hub.cli"]
LIGHT = "light.kitchen_light"
LIGHT_TOPIC = "demo/zigbee2mqtt/kitchen/light"


@dataclass
class HubProcess:
    """One `atmosphere run`; its output goes to files, read while it runs."""

    process: subprocess.Popen[bytes]
    config_dir: Path
    data_dir: Path
    url: str
    out: Path
    err: Path

    @property
    def token(self) -> str:
        return (self.data_dir / "api_token").read_text().strip()

    @property
    def log(self) -> str:
        return self.err.read_text(errors="replace")

    def api(self, timeout: float = 30) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=timeout,
                                 headers={"Authorization": f"Bearer {self.token}"})

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return await asyncio.to_thread(self.process.wait, 30)


def spawn(args: list[str], out: Path, err: Path) -> subprocess.Popen[bytes]:
    """Start a process of its own session, its output in two files."""
    with out.open("wb") as stdout, err.open("wb") as stderr:
        return subprocess.Popen(args, stdout=stdout, stderr=stderr, start_new_session=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})


def run_args(config_dir: Path) -> list[str]:
    return [*ATMOSPHERE, "run", "--config", str(config_dir)]


def http_port(config_dir: Path) -> int:
    return int(yaml.safe_load((config_dir / "configuration.yaml").read_text())["http"]["port"])


@asynccontextmanager
async def atmosphere_run(config_dir: Path, data_dir: Path, name: str = "hub"
                         ) -> AsyncIterator[HubProcess]:
    """Start `atmosphere run` and wait until its API answers; kill it after the block."""
    out, err = data_dir.parent / f"{name}.out", data_dir.parent / f"{name}.err"
    process = spawn(run_args(config_dir), out, err)
    hub = HubProcess(process, config_dir, data_dir, f"http://127.0.0.1:{http_port(config_dir)}",
                     out, err)

    async def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"atmosphere run exited {process.returncode}:\n{hub.log}")
        try:
            async with httpx.AsyncClient(timeout=1) as client:
                return (await client.get(f"{hub.url}/api/health")).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        await eventually(ready, timeout=60, interval=0.05)
        yield hub
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def embedded_config(tmp_path: Path, **sections: Any) -> Path:
    """A configuration in auto mode whose broker port nothing answers on: the hub starts
    the embedded broker there."""
    port = free_port()
    return write_config(tmp_path, mqtt={"port": port, "embedded": {"port": port}}, **sections)


def mosquitto_pids(data_dir: Path) -> list[int]:
    """Running (not zombie) Mosquitto processes started with this data dir's broker config."""
    conf = str(data_dir / "broker" / "mosquitto.conf")
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            status = (entry / "status").read_text()
        except OSError:
            continue
        if conf.encode() in cmdline and "State:\tZ" not in status:
            pids.append(int(entry.name))
    return pids


def integrity(db: Path) -> str:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def stored_row(db: Path, capability_id: str) -> tuple[bool, dict[str, Any] | None, bool | None]:
    """(definition stored, stored state, stored availability) of one capability."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        defined = conn.execute("SELECT 1 FROM capabilities WHERE id = ?",
                               (capability_id,)).fetchone() is not None
        row = conn.execute("SELECT json, available FROM states WHERE id = ?",
                           (capability_id,)).fetchone()
    if row is None:
        return defined, None, None
    return defined, json.loads(row[0]), bool(row[1])


# --- a second start, a broken configuration ----------------------------------------------


@contextmanager
def listening_socket() -> Iterator[socket.socket]:
    """A TCP port that accepts nothing by itself: whatever connects is seen by `accept`."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.setblocking(False)
        yield sock


def nobody_connected(sock: socket.socket) -> bool:
    try:
        connection, _ = sock.accept()
    except BlockingIOError:
        return True
    connection.close()
    return False


@pytest.mark.parametrize("integrations", [
    {"demo": {"camera_interval": "often"}},
    {"no_such_integration": {}},
])
def test_a_broken_configuration_exits_2_before_touching_anything(
    tmp_path: Path, integrations: dict[str, Any]
) -> None:
    with listening_socket() as broker:
        port = broker.getsockname()[1]
        config_dir = write_config(tmp_path, mqtt={"host": "127.0.0.1", "port": port},
                                  integrations=integrations)
        done = subprocess.run(run_args(config_dir), check=False, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        assert "configuration.yaml:" in done.stderr
        assert "Traceback" not in done.stderr
        assert not (tmp_path / "data").exists()  # no data dir, no key, no database
        assert nobody_connected(broker)  # and not a byte sent to the broker


async def test_a_second_run_on_a_data_directory_in_use_exits_1_naming_the_pid(
    tmp_path: Path, private_mosquitto: Mosquitto
) -> None:
    config_dir = write_config(
        tmp_path, mqtt={"host": private_mosquitto.host, "port": private_mosquitto.port})
    data_dir = tmp_path / "data"
    async with atmosphere_run(config_dir, data_dir) as first, first.api() as api:
        node = (await api.get("/api/health")).json()["node_id"]
        database = (data_dir / "hub.db").stat()
        with mqtt_peer(private_mosquitto.host, private_mosquitto.port) as spy:
            status = f"atmosphere/v1/nodes/{node}/status"
            spy.subscribe(status)
            await eventually(lambda: len(spy.messages(status)) == 1)  # retained: online

            # the same data directory with another HTTP port
            other = write_config(tmp_path / "second", data_dir=str(data_dir),
                                 mqtt={"host": private_mosquitto.host,
                                       "port": private_mosquitto.port})
            done = await asyncio.to_thread(
                subprocess.run, run_args(other), check=False, capture_output=True, text=True,
                timeout=60)
            assert done.returncode == 1, done.stderr
            assert f"in use by another hub (pid {first.process.pid})" in done.stderr
            assert str(data_dir) in done.stderr
            assert "Traceback" not in done.stderr

            # The first hub was never knocked off the broker: a second connection with its
            # client id would have made the broker publish its last will, and the second
            # hub its birth. (What the spy sees after its own marker, it saw before it.)
            spy.subscribe("marker/#")
            spy.publish(f"marker/{node}", b"")
            await eventually(lambda: bool(spy.messages(f"marker/{node}")))
            assert len(spy.messages(status)) == 1
        assert (data_dir / "hub.db").stat().st_mtime_ns == database.st_mtime_ns
        health = (await api.get("/api/health")).json()
        assert health["mqtt_connected"] is True
        assert "fabric lost the broker" not in first.log
        assert await first.stop() == 0


async def test_two_hubs_in_one_process_cannot_share_a_data_directory(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port)
    async with Hub(config):
        with pytest.raises(DataDirInUse, match=rf"in use by another hub \(pid {os.getpid()}\)"):
            async with Hub(config):
                pass
    async with Hub(config):  # released on exit
        pass


# --- the embedded broker -----------------------------------------------------------------


async def call_get_state(api: httpx.AsyncClient) -> httpx.Response:
    return await api.post(f"/api/capabilities/{LIGHT}/tools/get_state?timeout=5", json={})


async def test_the_embedded_broker_is_restarted_when_it_dies(tmp_path: Path) -> None:
    config_dir = embedded_config(tmp_path, integrations={"demo": {}})
    data_dir = tmp_path / "data"
    async with atmosphere_run(config_dir, data_dir) as hub, hub.api() as api:
        assert (await call_get_state(api)).status_code == 200
        [broker] = mosquitto_pids(data_dir)
        os.kill(broker, signal.SIGKILL)

        async def calls_work_again() -> bool:
            pids = mosquitto_pids(data_dir)
            return bool(pids) and pids != [broker] and (
                await call_get_state(api)).status_code == 200

        await eventually(calls_work_again, timeout=60, interval=0.2)
        assert "embedded broker exited" in hub.log
        assert await hub.stop() == 0
    assert mosquitto_pids(data_dir) == []


async def test_no_broker_outlives_a_killed_hub(tmp_path: Path) -> None:
    config_dir = embedded_config(tmp_path)
    data_dir = tmp_path / "data"
    async with atmosphere_run(config_dir, data_dir) as hub:
        [broker] = mosquitto_pids(data_dir)
        await hub.stop(signal.SIGKILL)
    await eventually(lambda: mosquitto_pids(data_dir) == [], timeout=20)

    # the next start runs its own embedded broker again, not an adopted one
    async with atmosphere_run(config_dir, data_dir, "again") as hub:
        assert "(embedded)" in hub.out.read_text()
        assert mosquitto_pids(data_dir) not in ([], [broker])
        assert await hub.stop() == 0


async def test_a_next_start_stops_an_orphaned_broker_instead_of_adopting_it(
    tmp_path: Path,
) -> None:
    """A broker that outlived its hub anyway (the parent-death signal is Linux only, and
    lost when Mosquitto changes user) is recognised by its pid file and stopped."""
    config = load_config(embedded_config(tmp_path))
    async with Hub(config) as hub:
        assert hub.embedded_broker
    broker_dir = config.data_dir / "broker"
    orphan = spawn([mosquitto_binary(), "-c", str(broker_dir / "mosquitto.conf")],
                   tmp_path / "orphan.out", tmp_path / "orphan.err")
    try:
        (broker_dir / "mosquitto.pid").write_text(f"{orphan.pid}\n")
        port = config.mqtt.embedded.port
        await eventually(lambda: broker_answers("127.0.0.1", port), timeout=10)
        async with Hub(config) as hub:
            assert hub.embedded_broker  # its own broker, started anew
            assert orphan.poll() is not None
            assert mosquitto_pids(config.data_dir) != [orphan.pid]
    finally:
        if orphan.poll() is None:
            orphan.kill()
        orphan.wait()


# --- state and replays across restarts ---------------------------------------------------


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
async def test_a_captured_request_replayed_after_a_restart_is_refused(
    tmp_path: Path, how: signal.Signals
) -> None:
    config_dir = embedded_config(tmp_path, integrations={"demo": {}})
    data_dir = tmp_path / "data"
    async with atmosphere_run(config_dir, data_dir) as hub, hub.api() as api:
        port = yaml.safe_load((config_dir / "configuration.yaml").read_text())["mqtt"]["port"]
        with mqtt_peer("127.0.0.1", port) as spy:
            spy.subscribe("atmosphere/v1/nodes/+/rpc")
            spy.subscribe(f"{LIGHT_TOPIC}/set")
            # a long timeout: the captured request's deadline is far away
            done = await api.post(f"/api/capabilities/{LIGHT}/tools/turn_on?timeout=300",
                                  json={"brightness_pct": 40})
            assert done.status_code == 200, done.text
            await eventually(lambda: bool(spy.messages(f"{LIGHT_TOPIC}/set")))
            [(rpc_topic, captured)] = [(t, p) for t, p in spy.received if t.endswith("/rpc")]
        await hub.stop(how)
    await eventually(lambda: mosquitto_pids(data_dir) == [], timeout=20)

    async with atmosphere_run(config_dir, data_dir, "again") as hub:
        with mqtt_peer("127.0.0.1", port) as attacker:
            attacker.subscribe(f"{LIGHT_TOPIC}/set")
            attacker.publish(rpc_topic, captured)
            await eventually(lambda: "(replayed)" in hub.log, timeout=10)
            assert "replayed=1" in hub.log
            # the light was not switched again; a fresh call still works
            async with hub.api() as api:
                fresh = await api.post(f"/api/capabilities/{LIGHT}/tools/turn_on",
                                       json={"brightness_pct": 60})
            assert fresh.status_code == 200, fresh.text
            await eventually(lambda: bool(attacker.messages(f"{LIGHT_TOPIC}/set")))
            assert attacker.messages(f"{LIGHT_TOPIC}/set") == [
                b'{"state":"ON","brightness":152}']
        assert await hub.stop() == 0


def zigbee2mqtt_config(tmp_path: Path, broker: Mosquitto, prefix: str) -> Path:
    return write_config(tmp_path, mqtt={"host": broker.host, "port": broker.port},
                        integrations={"zigbee2mqtt": {"base_topic": f"{prefix}/z2m"}})


DEVICES = [device for device in json.loads(
    (Path(__file__).parent / "data" / "zigbee2mqtt" / "bridge_devices.json").read_text())
    if device["friendly_name"] == "kitchen_ceiling"]
DESK = "light.kitchen_ceiling"


async def set_brightness(peer: Peer, api: httpx.AsyncClient, prefix: str, values: range
                         ) -> None:
    """Report each brightness and wait until the hub shows it (the hub has it)."""
    for value in values:
        peer.publish(f"{prefix}/z2m/kitchen_ceiling", json.dumps({"state": "ON", "brightness": value}))

        async def shown(value: int = value) -> bool:
            response = await api.get(f"/api/capabilities/{DESK}")
            return response.status_code == 200 and response.json()["state"].get(
                "brightness") == value

        await eventually(shown, timeout=10)


def brightness(state: dict[str, Any] | None) -> Any:
    return (state or {}).get("brightness")


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
async def test_definitions_and_last_states_survive_a_restart(
    tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, how: signal.Signals
) -> None:
    config_dir = zigbee2mqtt_config(tmp_path, mosquitto, topic_prefix)
    data_dir = tmp_path / "data"
    db = data_dir / "hub.db"
    changes = range(1, 21)
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        peer.publish(f"{topic_prefix}/z2m/bridge/devices", json.dumps(DEVICES), retain=True)
        async with atmosphere_run(config_dir, data_dir) as hub, hub.api() as api:
            await eventually(lambda: DESK in httpx.get(
                f"{hub.url}/api/capabilities", headers=api.headers).text, timeout=10)
            await set_brightness(peer, api, topic_prefix, changes)
            if how == signal.SIGKILL:
                # a crash loses what the write-behind has not flushed yet (2 s): the last
                # change counts as acknowledged once it is in the database
                await eventually(lambda: brightness(stored_row(db, DESK)[1]) == changes[-1],
                                 timeout=10)
            assert await hub.stop(how) == (0 if how == signal.SIGTERM else -signal.SIGKILL)
        assert integrity(db) == "ok"
        defined, state, available = stored_row(db, DESK)
        assert defined and brightness(state) == changes[-1]
        if how == signal.SIGTERM:
            assert available is False  # a clean stop marks it unavailable, keeps the rest

        # the device is gone from the bridge meanwhile: the restored capability is all
        # there is, with its last state, unavailable
        peer.publish(f"{topic_prefix}/z2m/bridge/devices", json.dumps([]), retain=True)
        peer.publish(f"{topic_prefix}/z2m/bridge/devices", b"", retain=True)
        async with atmosphere_run(config_dir, data_dir, "again") as hub, hub.api() as api:
            restored = (await api.get(f"/api/capabilities/{DESK}")).json()
            assert brightness(restored["state"]) == changes[-1]
            assert restored["available"] is False
            assert await hub.stop() == 0
        assert integrity(db) == "ok"


async def test_a_call_during_a_broker_outage_answers_503_at_once(
    tmp_path: Path, private_mosquitto: Mosquitto
) -> None:
    config = hub_config(tmp_path, private_mosquitto.host, private_mosquitto.port,
                        capabilities=[{"id": "switch.pump", "type": "switch"}])
    async with Hub(config) as hub:
        app = create_app(hub)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://hub.test",
            headers={"Authorization": f"Bearer {hub.api_token}"},
        ) as api:
            private_mosquitto.stop()
            await eventually(lambda: not hub.fabric.connected and not hub.rpc_fabric.connected,
                             timeout=10)
            # a timeout far beyond the test's own: waiting it out would fail the test
            async with asyncio.timeout(20):
                answer = await api.post(
                    "/api/capabilities/switch.pump/tools/get_state?timeout=600", json={})
            assert answer.status_code == 503, answer.text
            error = answer.json()["error"]
            assert error["code"] == "fabric_unavailable"
            assert f"not connected to the MQTT broker at {private_mosquitto.host}:" \
                   f"{private_mosquitto.port}" in error["message"]
            private_mosquitto.start()
            await eventually(lambda: hub.connected, timeout=20)
            answer = await api.post("/api/capabilities/switch.pump/tools/get_state", json={})
            assert answer.status_code == 200, answer.text
