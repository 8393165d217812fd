"""Bridges: two sites, each a hub on its own real Mosquitto, joined by the generated bridge.

Site A is a plain Mosquitto with hub A on it; site B's hub runs the embedded broker, which
carries the bridge to A from B's `mesh: bridges:` configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.config import BridgeConfig, load_config
from hub.errors import CallTimeout, ConfigError
from hub.fabric import Message
from hub.mesh.bridges import bridges_config
from hub.mesh.tokens import create_root_key, encode_public_key
from hub.model import ToolResult
from hub.runtime import Hub
from tests.broker import Mosquitto, free_port
from tests.hubs import hub_config, write_config
from tests.test_mesh_peers import CAMERA, LIGHT, admit, light, listener, node_token, publish
from tests.waiting import eventually

FRAME = b"\xff\xd8" + os.urandom(300_000) + b"\xff\xd9"  # a camera frame, binary


async def camera(tool: str, arguments: object) -> ToolResult:
    return ToolResult(data=FRAME, content_type="image/jpeg")


@dataclass
class Sites:
    a: Hub
    b: Hub
    a_broker: Mosquitto
    b_port: int


@asynccontextmanager
async def two_sites(tmp_path: Path, a_broker: Mosquitto) -> AsyncIterator[Sites]:
    root, _ = create_root_key(tmp_path / "root")
    section = {"root_key": encode_public_key(root.public_key)}
    a_id = admit(root, tmp_path / "a", lambda ident: node_token(root, ident, ["*"])).node_id
    admit(root, tmp_path / "b", lambda ident: node_token(root, ident, ["*"]))
    b_port = free_port()
    bridges = [{"peer": "site-a", "address": f"127.0.0.1:{a_broker.port}",
                "remote_nodes": [a_id]}]
    b_config = load_config(write_config(
        tmp_path / "b",
        mqtt={"port": free_port(), "embedded": {"host": "127.0.0.1", "port": b_port}},
        mesh={**section, "bridges": bridges},
    ))
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(
            Hub(hub_config(tmp_path / "a", a_broker.host, a_broker.port, mesh=section))
        )
        a.registry.add(LIGHT, light)
        a.registry.add(CAMERA, camera)
        b = await stack.enter_async_context(Hub(b_config))
        assert b.embedded_broker and b.broker_url == f"mqtt://127.0.0.1:{b_port}"

        async def across() -> bool:
            try:
                await b.call("light.kitchen", "turn_on", node=a.node_id, timeout=0.5)
            except CallTimeout:
                return False  # the bridge is still connecting
            return True

        await eventually(across, timeout=20.0)
        yield Sites(a, b, a_broker, b_port)


async def test_b_calls_a_across_the_bridge_and_a_frame_arrives_intact(
    tmp_path: Path, private_mosquitto: Mosquitto
) -> None:
    async with two_sites(tmp_path, private_mosquitto) as sites:
        a, b = sites.a, sites.b
        assert (await b.call("light.kitchen", "turn_off", node=a.node_id)).value == {
            "state": "off"
        }
        frame = await b.call("camera.porch", "get_frame", node=a.node_id)
        assert frame.content_type == "image/jpeg" and frame.data == FRAME
        assert a.rpc_counters()["server"]["refused"] == {}


async def test_only_mesh_status_and_the_nodes_own_topics_cross(
    tmp_path: Path, private_mosquitto: Mosquitto
) -> None:
    async with two_sites(tmp_path, private_mosquitto) as sites:
        b_broker = Mosquitto(tmp_path, port=sites.b_port)  # only its address is used
        async with listener(b_broker, "#") as on_b:
            other = "x" * 26  # a node on neither side of this bridge
            for topic in ("zigbee2mqtt/kitchen/set", "homeassistant/light/x/config",
                          f"atmosphere/v1/nodes/{other}/rpc", "atmosphere/v1/mesh/gossip"):
                await publish(sites.a_broker, topic, b"{}")

            def arrived(message: Message) -> bool:
                return message.topic == "atmosphere/v1/mesh/gossip"

            await eventually(lambda: any(arrived(m) for m in on_b))
            crossed = {m.topic for m in on_b}
        assert "zigbee2mqtt/kitchen/set" not in crossed
        assert "homeassistant/light/x/config" not in crossed
        assert f"atmosphere/v1/nodes/{other}/rpc" not in crossed


def test_the_generated_bridge_scopes_topics_per_node() -> None:
    bridge = BridgeConfig(peer="site-a", address="10.0.0.2:1883",
                          remote_nodes=("a" * 26, "c" * 26), username="hub")
    text = bridges_config([bridge], "b" * 26)
    assert text.splitlines()[2:] == [
        "connection site-a",
        "address 10.0.0.2:1883",
        "bridge_protocol_version mqttv50",
        "cleansession false",
        "restart_timeout 2 30",
        "notifications false",
        f"remote_clientid atmosphere-bridge-site-a-{'b' * 8}",
        "remote_username hub",
        "topic atmosphere/v1/mesh/# both 1",
        "topic atmosphere/v1/nodes/+/status both 1",
        f"topic atmosphere/v1/nodes/{'a' * 26}/rpc out 0",
        f"topic atmosphere/v1/nodes/{'a' * 26}/reply/# out 0",
        f"topic atmosphere/v1/nodes/{'c' * 26}/rpc out 0",
        f"topic atmosphere/v1/nodes/{'c' * 26}/reply/# out 0",
        f"topic atmosphere/v1/nodes/{'b' * 26}/rpc in 0",
        f"topic atmosphere/v1/nodes/{'b' * 26}/reply/# in 0",
    ]


def test_the_cli_prints_the_bridge(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hub.cli", "mesh", "bridge-config", "--peer", "site-a",
         "--address", "10.0.0.2:1883", "--remote-node", "a" * 26, "--local-node", "b" * 26,
         "--output", str(tmp_path / "bridge.conf")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "bridge.conf").read_text()
    assert "connection site-a\naddress 10.0.0.2:1883\n" in written
    assert f"topic atmosphere/v1/nodes/{'b' * 26}/rpc in 0" in written
    assert "restart Mosquitto" in result.stderr


def test_bad_bridges_are_reported_with_their_place(tmp_path: Path) -> None:
    directory = write_config(tmp_path, mesh={"bridges": [
        {"peer": "site a", "address": "10.0.0.2:1883"},
        {"peer": "site-b", "address": "10.0.0.3"},
        {"peer": "site-c", "address": "10.0.0.4:1883", "remote_nodes": ["nope"]},
    ]})
    with pytest.raises(ConfigError) as caught:
        load_config(directory)
    text = str(caught.value)
    assert "configuration.yaml:" in text
    assert "mesh.bridges: expected a peer name of 1 to 64 letters" in text
    assert "mesh.bridges: expected the peer broker as host:port, got '10.0.0.3'" in text
    assert "mesh.bridges site-c: not node ids (26 characters a-z, 2-7" in text
