"""The Matter bridge against a real python-matter-server (sandboxed, tests/matter_server.py):
the shared node dumps imported with import_test_node map to the expected capabilities,
tool calls are accepted by the server as valid device_commands, and a server restart
(test nodes live in memory only: imported again) resyncs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.runtime import Hub
from integrations.matter import MatterClient, MatterError, ServerInfo
from tests.broker import Mosquitto
from tests.hubs import hub_config
from tests.matter_nodes import all_nodes
from tests.matter_server import RealMatterServer, importable
from tests.test_matter import EXPECTED
from tests.waiting import eventually

FIRST_TEST_NODE = 900000


@pytest.fixture(scope="session")
def matter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealMatterServer]:
    server = RealMatterServer(tmp_path_factory.mktemp("matter-server"))
    try:
        server.start()
        yield server
    finally:
        server.close()


def ids_by_name() -> dict[str, int]:
    """The ids import_test_node gives: from 900000 in the order of the dump."""
    return {name: FIRST_TEST_NODE + i for i, name in enumerate(all_nodes())}


def translated(cap_id: str, node: str) -> str:
    old = all_nodes()[node]["node_id"]
    return cap_id.replace(f"matter_{old}_", f"matter_{ids_by_name()[node]}_")


async def import_nodes(url: str) -> None:
    """import_test_node over a connection of the test's own: every listening client,
    the hub's among them, hears node_added."""
    dump = {"data": {"server": {"nodes": [importable(n) for n in all_nodes().values()]}}}

    async def connected(info: ServerInfo, nodes: list[Any]) -> None:
        pass

    async with MatterClient(url, on_connected=connected, on_event=lambda e, d: None,
                            on_disconnected=lambda reason: None) as client:
        await eventually(client.connected.is_set, timeout=30)
        await client.command("import_test_node", {"dump": json.dumps(dump)})


async def command(url: str, args: dict[str, Any]) -> Any:
    async def connected(info: ServerInfo, nodes: list[Any]) -> None:
        pass

    async with MatterClient(url, on_connected=connected, on_event=lambda e, d: None,
                            on_disconnected=lambda reason: None) as client:
        await eventually(client.connected.is_set, timeout=30)
        return await client.command("device_command", args)


async def test_imported_nodes_map_and_tools_are_valid_device_commands(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str,
        matter_server: RealMatterServer) -> None:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port, integrations={
        "matter": {"url": matter_server.url, "base_topic": f"{topic_prefix}/matter"}})
    async with Hub(config) as hub:
        await eventually(lambda: hub.registry.get("sensor.matter_server").state["state"]
                         == "connected", timeout=30)
        server = hub.registry.get("sensor.matter_server").state
        assert server["sdk_version"] and server["schema_version"] >= 11
        await import_nodes(matter_server.url)
        for node, cap_id, state in EXPECTED:
            real = translated(cap_id, node)
            await eventually(lambda real=real: real in hub.registry, timeout=10)  # type: ignore[misc]
            capability = hub.registry.get(real)
            assert {k: capability.state.get(k) for k in state} == state, (node, real)
        light = translated("light.matter_205_1", "colour")
        result = await hub.call(light, "turn_on", {"brightness_pct": 40,
                                                   "color_temp_kelvin": 3000})
        assert result.value["accepted"] == ["MoveToLevelWithOnOff", "MoveToColorTemperature"]
        await hub.call(light, "turn_on", {"hs_color": [120, 50]})
        await hub.call(light, "turn_on", {"rgb_color": [255, 0, 0]})
        await hub.call(light, "turn_off", {})
        await hub.call(translated("lock.matter_2_1", "door_lock"), "lock", {})
        await hub.call(translated("lock.matter_2_1", "door_lock"), "unlock", {"code": "1234"})
        await hub.call(translated("cover.matter_201_1", "cover"), "set_cover_position",
                       {"position": 30})
        await hub.call(translated("switch.matter_206_1", "odd"), "toggle", {})
        await hub.call(translated("climate.matter_202_1", "thermostat"), "set_temperature",
                       {"temperature": 22.5, "hvac_mode": "heat"})
        await hub.call(translated("fan.matter_203_1", "fan"), "set_percentage",
                       {"percentage": 80})
        # the server built each command from our payload: its log shows the SDK objects
        await eventually(lambda: "path 1/514/2 - value 80" in matter_server.tail(400))
        log = matter_server.tail(400)
        for written in ("path 1/513/28 - value 4", "path 1/513/18 - value 2250"):
            assert written in log, written
        for built in ("MoveToLevelWithOnOff(level=102, transitionTime=0",
                      "MoveToHueAndSaturation(hue=85, saturation=127",
                      "MoveToColor(colorX=41949, colorY=21627", "LockDoor(PINCode=None",
                      "UnlockDoor(PINCode=b'1234'", "GoToLiftPercentage(liftPercent100thsValue=7000",
                      "Toggle()"):
            assert built in log, built
        with pytest.raises(MatterError, match="Matter server refused: error"):
            await command(matter_server.url, {
                "node_id": ids_by_name()["colour"], "endpoint_id": 1, "cluster_id": 8,
                "command_name": "MoveToLvl", "payload": {}})


async def test_a_server_restart_resyncs(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str,
        matter_server: RealMatterServer) -> None:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port, integrations={
        "matter": {"url": matter_server.url, "base_topic": f"{topic_prefix}/matter"}})
    async with Hub(config) as hub:
        await eventually(lambda: hub.registry.get("sensor.matter_server").state["state"]
                         == "connected", timeout=30)
        await import_nodes(matter_server.url)
        lock = translated("lock.matter_2_1", "door_lock")
        await eventually(lambda: lock in hub.registry, timeout=10)
        matter_server.stop()
        await eventually(lambda: not hub.registry.get(lock).available, timeout=10)
        assert hub.registry.get("sensor.matter_server").state["state"] == "disconnected"
        matter_server.start()
        # the restarted server has no test nodes: the resync withdraws them ...
        await eventually(lambda: hub.registry.get("sensor.matter_server").state["state"]
                         == "connected" and lock not in hub.registry, timeout=60)
        await import_nodes(matter_server.url)  # ... and importing them again brings them back
        await eventually(lambda: lock in hub.registry and hub.registry.get(lock).available,
                         timeout=10)
