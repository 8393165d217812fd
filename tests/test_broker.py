"""The embedded broker and the MQTT probe, with the real Mosquitto binary."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.errors import FabricError
from hub.fabric import (
    EmbeddedBroker,
    Fabric,
    FabricSettings,
    Message,
    broker_answers,
    stop_orphan,
)
from tests.broker import Mosquitto, free_port
from tests.waiting import eventually


async def test_probe_sees_a_broker(mosquitto: Mosquitto) -> None:
    assert await broker_answers(mosquitto.host, mosquitto.port)


async def test_probe_sees_nothing_where_nothing_listens() -> None:
    assert not await broker_answers("127.0.0.1", free_port())


async def test_probe_wants_mqtt_not_just_tcp() -> None:
    """A TCP server that accepts and says nothing (or something else) is not a broker."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        assert not await broker_answers("127.0.0.1", port, timeout=0.5)


async def test_embedded_broker_runs_and_stops(tmp_path: Path) -> None:
    broker = EmbeddedBroker(tmp_path / "broker", port=0)
    async with broker:
        assert broker.port not in (0, 1883)
        assert broker.url == f"mqtt://127.0.0.1:{broker.port}"
        assert await broker_answers("127.0.0.1", broker.port)
        config = (tmp_path / "broker" / "mosquitto.conf").read_text()
        assert f"listener {broker.port} 127.0.0.1" in config
        assert "persistence true" in config
        settings = FabricSettings(port=broker.port)
        async with Fabric(settings) as fabric:
            got: list[Message] = []
            fabric.subscribe("t", got.append)
            await fabric.publish_confirmed("t", b"through the embedded broker")
            await fabric.publish_confirmed("t", b"")
            assert got[0].payload == b"through the embedded broker"
    assert not await broker_answers("127.0.0.1", broker.port)


async def test_persistent_session_keeps_qos1_across_a_broker_restart(tmp_path: Path) -> None:
    directory = tmp_path / "broker"
    port = free_port()
    settings = FabricSettings(port=port, client_id="test-persistent", session_expiry=3600)
    got: list[bytes] = []

    def subscriber() -> Fabric:
        fabric = Fabric(settings)
        # subscribed before connecting: the session's queued messages follow the CONNACK
        fabric.subscribe("work/#", lambda m: got.append(m.payload), qos=1)
        return fabric

    async with EmbeddedBroker(directory, port=port):
        async with subscriber() as fabric:
            await fabric.publish_confirmed("work/sync", b"")
        async with Fabric(FabricSettings(port=port)) as publisher:
            await publisher.publish_confirmed("work/job", b"queued while away", qos=1)
    # restarted from its persistence file
    async with EmbeddedBroker(directory, port=port), subscriber() as fabric:
        await fabric.publish_confirmed("work/sync", b"")
        await eventually(lambda: len(got) == 3)
    assert got == [b"", b"queued while away", b""]


async def test_port_in_use_is_refused_before_starting(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(FabricError, match=rf"127\.0\.0\.1:{port} is already in use"):
            async with EmbeddedBroker(tmp_path / "broker", port=port):
                pass


async def test_another_broker_on_the_port_is_not_mistaken_for_ours(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    # The readiness probe would be answered by the other broker while ours dies.
    with pytest.raises(FabricError, match="already in use by another program"):
        async with EmbeddedBroker(tmp_path / "broker", port=mosquitto.port):
            pass


async def test_missing_mosquitto_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(FabricError) as caught:
        async with EmbeddedBroker(tmp_path, port=0, binary="mosquitto-not-installed"):
            pass
    message = str(caught.value)
    assert "sudo apt-get install mosquitto" in message
    assert "`mqtt: host:` in configuration.yaml" in message


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[EmbeddedBroker]:
    async with EmbeddedBroker(tmp_path / "b", port=0) as broker:
        yield broker


async def test_reentry_is_refused(running: EmbeddedBroker) -> None:
    with pytest.raises(FabricError, match="already running"):
        async with running:
            pass


async def test_a_broker_that_dies_is_started_again_and_the_fabric_comes_back(
    running: EmbeddedBroker, caplog: pytest.LogCaptureFixture
) -> None:
    async with Fabric(FabricSettings(port=running.port, backoff_max=0.5)) as fabric:
        first = running.pid
        assert first is not None
        assert (running.directory / "mosquitto.pid").read_text() == f"{first}\n"
        os.kill(first, signal.SIGKILL)
        await eventually(lambda: running.restarts == 1 and fabric.connected, timeout=20)
        assert running.pid != first
        assert (running.directory / "mosquitto.pid").read_text() == f"{running.pid}\n"
        await fabric.publish_confirmed("after/restart", b"x")
    assert f"embedded broker exited unexpectedly code=-9 pid={first}" in caplog.text


async def test_a_clean_exit_removes_the_pid_file(tmp_path: Path) -> None:
    async with EmbeddedBroker(tmp_path / "b", port=0) as broker:
        assert (broker.directory / "mosquitto.pid").exists()
    assert not (broker.directory / "mosquitto.pid").exists()
    assert broker.restarts == 0


async def test_a_stale_pid_file_is_ignored(tmp_path: Path) -> None:
    """The PID of a broker long gone may belong to any program by now: it is left alone."""
    directory = tmp_path / "b"
    directory.mkdir()
    (directory / "mosquitto.pid").write_text(f"{os.getpid()}\n")  # this test, not a broker
    assert await stop_orphan(directory) is None
    assert not (directory / "mosquitto.pid").exists()
