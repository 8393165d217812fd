"""LAN discovery over real multicast DNS, bound to loopback only."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from hub.config import load_config
from hub.errors import ConfigError
from hub.mesh.discovery import BROKER_TYPE, Discovery
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import hub_config, write_config
from tests.waiting import eventually

LOOPBACK = ["127.0.0.1"]
A, B = "a" * 26, "b" * 26


async def test_hubs_find_each_other_and_brokers_and_see_them_go() -> None:
    broker_zc = AsyncZeroconf(interfaces=LOOPBACK)
    broker = AsyncServiceInfo(BROKER_TYPE, f"site-broker-{A[:4]}.{BROKER_TYPE}", port=18830,
                              addresses=[socket.inet_aton("127.0.0.1")])
    await (await broker_zc.async_register_service(broker))
    try:
        async with Discovery(A, "kitchen hub", 8420, interfaces=LOOPBACK,
                             properties={"mesh": "m" * 26}) as a:
            async with Discovery(B, "garage", 8421, interfaces=LOOPBACK) as b:
                await eventually(lambda: len(a.peers()) == 1 and len(b.peers()) == 1, 10.0)
                [seen_by_a] = a.peers()
                assert (seen_by_a.node, seen_by_a.host, seen_by_a.port) == (B, "127.0.0.1", 8421)
                assert seen_by_a.name == f"garage-{B[:8]}._atmosphere._tcp.local."
                [seen_by_b] = b.peers()
                assert seen_by_b.node == A and seen_by_b.properties["mesh"] == "m" * 26
                assert seen_by_b.name.startswith("kitchen-hub-")
                await eventually(lambda: len(a.brokers()) == 1, 10.0)
                assert (a.brokers()[0].host, a.brokers()[0].port) == ("127.0.0.1", 18830)
            # B said goodbye
            await eventually(lambda: a.peers() == (), 10.0)
    finally:
        await (await broker_zc.async_unregister_service(broker))
        await broker_zc.async_close()


async def test_a_hub_with_discovery_on_advertises_itself(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    config = hub_config(tmp_path / "hub", mosquitto.host, mosquitto.port,
                        mesh={"discovery": {"enabled": True, "interfaces": LOOPBACK}})
    async with Discovery(B, "watcher", 9000, interfaces=LOOPBACK) as watcher, Hub(config) as hub:
        assert hub.discovery is not None
        await eventually(lambda: any(p.node == hub.node_id for p in watcher.peers()), 10.0)
        [peer] = watcher.peers()
        assert peer.port == hub.config.http.port
        assert peer.properties["broker"] == f"mqtt://{mosquitto.host}:{mosquitto.port}"


async def test_discovery_is_off_by_default(tmp_path: Path, mosquitto: Mosquitto) -> None:
    async with Hub(hub_config(tmp_path / "hub", mosquitto.host, mosquitto.port)) as hub:
        assert hub.discovery is None


def test_bad_discovery_settings_are_reported(tmp_path: Path) -> None:
    directory = write_config(tmp_path, mesh={"discovery": {"enabled": "yes please",
                                                           "interfaces": ["not-an-ip"]}})
    with pytest.raises(ConfigError) as caught:
        load_config(directory)
    text = str(caught.value)
    assert "configuration.yaml:" in text
    assert "mesh.discovery.interfaces: expected IPv4 addresses of this machine" in text
