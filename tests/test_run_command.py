"""`atmosphere run` as a user runs it: a subprocess on a bare data directory, nothing
answering on its MQTT port, so it starts the embedded broker."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.broker import Mosquitto, free_port
from tests.hubs import write_config
from tests.mqtt import mqtt_peer
from tests.waiting import eventually

ATMOSPHERE = [sys.executable, "-m", "hub.cli"]
LIGHT_TOPIC = "demo/zigbee2mqtt/kitchen/light"


@dataclass
class RunningHub:
    process: subprocess.Popen[str]
    config_dir: Path
    data_dir: Path
    url: str
    mqtt_port: int

    @property
    def token(self) -> str:
        return (self.data_dir / "api_token").read_text().strip()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*ATMOSPHERE, *args, "--config", str(self.config_dir)],
                              check=False, capture_output=True, text=True, timeout=60)


@pytest.fixture
def running_hub(tmp_path: Path) -> Iterator[RunningHub]:
    mqtt_port = free_port()
    # the demo with its default topics, as a user starts it: the embedded broker is ours alone
    config_dir = write_config(tmp_path, mqtt={"port": mqtt_port, "embedded": {"port": mqtt_port}},
                              integrations={"demo": {"camera_interval": 1.0}})
    data_dir = tmp_path / "data"
    assert not data_dir.exists()
    process = subprocess.Popen(
        [*ATMOSPHERE, "run", "--config", str(config_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    port = int(__import__("yaml").safe_load(
        (config_dir / "configuration.yaml").read_text())["http"]["port"])
    hub = RunningHub(process, config_dir, data_dir, f"http://127.0.0.1:{port}", mqtt_port)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{hub.url}/api/health", timeout=0.5).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"atmosphere run did not become ready:\n{out}\n{err}")
    yield hub
    if process.poll() is None:
        process.kill()
    if process.stdout and not process.stdout.closed:
        process.communicate()  # reaps the process and closes its pipes


async def test_run_on_a_bare_machine_end_to_end(running_hub: RunningHub) -> None:
    hub = running_hub
    headers = {"Authorization": f"Bearer {hub.token}"}
    api = httpx.AsyncClient(base_url=hub.url, headers=headers)
    health = (await api.get("/api/health")).json()
    assert health["status"] == "ok"

    # First run created the node key and the API token, both private to the user.
    for name in ("node.key", "api_token"):
        mode = stat.S_IMODE((hub.data_dir / name).stat().st_mode)
        assert mode == 0o600, f"{name} has mode {oct(mode)}"

    # A Zigbee2MQTT state for the demo light shows up through the API.
    with mqtt_peer("127.0.0.1", hub.mqtt_port) as peer:
        peer.subscribe(f"{LIGHT_TOPIC}/set")
        peer.publish(LIGHT_TOPIC, json.dumps({"state": "ON", "brightness": 63}))

        async def light_dimmed() -> bool:
            response = await api.get("/api/capabilities/light.kitchen_light")
            return bool(response.json()["state"].get("brightness") == 63)

        await eventually(light_dimmed, timeout=10)

        # `atmosphere call` publishes the right /set payload, and the light confirms it.
        done = hub.cli("call", "light.kitchen_light", "turn_on", "--args",
                       '{"brightness_pct": 80}')
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["state"]["brightness"] == 204  # 203 of 254
        await eventually(lambda: peer.messages(f"{LIGHT_TOPIC}/set") != [])
        assert peer.messages(f"{LIGHT_TOPIC}/set") == [b'{"state":"ON","brightness":203}']

    # camera.get_frame returns a JPEG that decodes.
    frame = hub.data_dir.parent / "frame.jpg"
    done = hub.cli("call", "camera.front_door", "get_frame", "--output", str(frame))
    assert done.returncode == 0, done.stderr
    image = Image.open(io.BytesIO(frame.read_bytes()))
    image.load()
    assert image.format == "JPEG"

    # Changing state without the token is refused.
    async with httpx.AsyncClient(base_url=hub.url) as anonymous:
        refused = await anonymous.post("/api/capabilities/light.kitchen_light/tools/turn_off",
                                       json={})
    assert refused.status_code == 401
    await api.aclose()

    listing = hub.cli("capabilities")
    assert listing.returncode == 0
    for capability_id in ("light.kitchen_light", "binary_sensor.hallway_motion_occupancy",
                          "sensor.living_room_temperature", "camera.front_door"):
        assert capability_id in listing.stdout

    # `atmosphere route` with no device file routes against the running hub's capabilities.
    routed = hub.cli("route", "switch off the light in the kitchen", "--json")
    assert routed.returncode == 0, routed.stderr
    decision = json.loads(routed.stdout)
    assert (decision["tool"], decision["targets"]) == ("turn_off", ["light.kitchen_light"])

    # SIGTERM shuts down cleanly.
    hub.process.send_signal(signal.SIGTERM)
    out, err = hub.process.communicate(timeout=20)
    assert hub.process.returncode == 0, err
    assert "Press Ctrl+C to stop." in out and "Stopped." in out
    assert "Traceback" not in err


def test_sigint_stops_the_hub(running_hub: RunningHub) -> None:
    running_hub.process.send_signal(signal.SIGINT)
    out, err = running_hub.process.communicate(timeout=20)
    assert running_hub.process.returncode == 0, err
    assert "Stopped." in out


def test_broken_configuration_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "configuration.yaml").write_text(
        "name: broken\nmqtt:\n  port: abc\n"
    )
    done = subprocess.run([*ATMOSPHERE, "run", "--config", str(config_dir)],
                          check=False, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "configuration.yaml:3:9" in done.stderr
    assert "mqtt.port" in done.stderr

    check = subprocess.run([*ATMOSPHERE, "config", "check", str(config_dir)],
                           check=False, capture_output=True, text=True, timeout=30)
    assert check.returncode == 2 and "configuration.yaml:3:9" in check.stderr


def test_config_check_accepts_the_default_configuration() -> None:
    config_dir = Path(__file__).resolve().parents[1] / "config"
    done = subprocess.run([*ATMOSPHERE, "config", "check", str(config_dir)],
                          check=False, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout


async def test_sigint_stops_the_hub_while_an_event_stream_is_open(
    running_hub: RunningHub,
) -> None:
    headers = {"Authorization": f"Bearer {running_hub.token}"}
    async with (
        httpx.AsyncClient(base_url=running_hub.url, headers=headers, timeout=30) as api,
        api.stream("GET", "/api/events") as stream,
    ):
        lines = stream.aiter_lines()
        while "ready" not in await anext(lines):
            pass
        running_hub.process.send_signal(signal.SIGINT)
        code = await asyncio.to_thread(running_hub.process.wait, 20)
    assert code == 0


def test_an_http_port_in_use_exits_1_saying_what_to_change(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    # uvicorn ends a failed start with SystemExit(3), which used to escape the serving
    # task: exit code 3 and no word about the setting to change.
    config_dir = write_config(tmp_path, mqtt={"host": mosquitto.host, "port": mosquitto.port})
    port = int(__import__("yaml").safe_load(
        (config_dir / "configuration.yaml").read_text())["http"]["port"])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = subprocess.run([*ATMOSPHERE, "run", "--config", str(config_dir)],
                              check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert f"the HTTP server cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "`http: port:` in configuration.yaml" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def hub_with_a_remote_fan(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[RunningHub]:
    """A hub whose `fan.remote` lives on a node that never answers: a call to it stays in
    flight for as long as its timeout."""
    config_dir = write_config(
        tmp_path,
        mqtt={"host": mosquitto.host, "port": mosquitto.port},
        capabilities=[{"id": "fan.remote", "type": "fan", "node": "elsewhere"}],
    )
    port = int(__import__("yaml").safe_load(
        (config_dir / "configuration.yaml").read_text())["http"]["port"])
    process = subprocess.Popen(
        [*ATMOSPHERE, "run", "--config", str(config_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "Press Ctrl+C to stop." in line:
            break
    else:
        pytest.fail(f"atmosphere run did not start:\n{process.communicate()[1]}")
    yield RunningHub(process, config_dir, tmp_path / "data", f"http://127.0.0.1:{port}",
                     mosquitto.port)
    if process.poll() is None:
        process.kill()
    process.communicate()


async def _call_in_flight(hub: RunningHub, mosquitto: Mosquitto) -> asyncio.Task[httpx.Response]:
    """Start a 600 s call to `fan.remote`; return once its request is on the broker."""
    headers = {"Authorization": f"Bearer {hub.token}"}
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        peer.subscribe("atmosphere/v1/nodes/elsewhere/rpc")
        api = httpx.AsyncClient(base_url=hub.url, headers=headers, timeout=700)
        call = asyncio.create_task(
            api.post("/api/capabilities/fan.remote/tools/turn_on?timeout=600")
        )
        call.add_done_callback(lambda _: asyncio.ensure_future(api.aclose()))
        await eventually(lambda: bool(peer.messages("atmosphere/v1/nodes/elsewhere/rpc")), 30)
    return call


async def _cut_off(call: asyncio.Task[httpx.Response]) -> None:
    """The call ended without its result: uvicorn answers 500 to a request it cancels, or
    the connection just closes."""
    try:
        response = await call
    except httpx.HTTPError:
        return
    assert response.status_code == 500, response.text


async def test_a_call_in_flight_does_not_hold_the_shutdown(
    hub_with_a_remote_fan: RunningHub, mosquitto: Mosquitto
) -> None:
    hub = hub_with_a_remote_fan
    call = await _call_in_flight(hub, mosquitto)
    hub.process.send_signal(signal.SIGINT)
    # without a grace limit the server waited the call's whole 600 s
    code = await asyncio.to_thread(hub.process.wait, 60)
    assert code == 0
    await _cut_off(call)


async def test_a_second_ctrl_c_ends_a_shutdown_that_is_waiting(
    hub_with_a_remote_fan: RunningHub, mosquitto: Mosquitto
) -> None:
    hub = hub_with_a_remote_fan
    call = await _call_in_flight(hub, mosquitto)
    hub.process.send_signal(signal.SIGINT)
    assert hub.process.stdout is not None
    line = await asyncio.to_thread(hub.process.stdout.readline)
    assert line.strip() == "Stopping..."
    hub.process.send_signal(signal.SIGINT)  # the call still holds the server: give up on it
    code = await asyncio.to_thread(hub.process.wait, 60)
    assert code == 130
    await _cut_off(call)
