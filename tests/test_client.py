"""`HubClient` against a real Hub's web app, and against a hub that is not there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hub.client import HubClient
from hub.errors import CallTimeout, FabricError, PayloadError, RegistryError, TokenError, ToolError
from hub.runtime import Hub
from tests.broker import Mosquitto, free_port
from tests.test_web_api import JPEG, TEST_LIGHT, Lamp, running_hub
from web import create_app


@pytest.fixture
async def hub_and_lamp(tmp_path: Path, mosquitto: Mosquitto) -> AsyncIterator[tuple[Hub, Lamp]]:
    async with running_hub(tmp_path, mosquitto) as pair:
        yield pair


def client_for(hub: Hub, token: str | None = None) -> HubClient:
    return HubClient(
        "http://hub.test",
        hub.api_token if token is None else token,
        transport=httpx.ASGITransport(app=create_app(hub)),
    )


async def test_health_capabilities_and_states(hub_and_lamp: tuple[Hub, Lamp]) -> None:
    hub, _ = hub_and_lamp
    async with client_for(hub) as client:
        health = await client.health()
        assert health["node_id"] == hub.identity.node_id
        assert health["mqtt_connected"] is True
        every = await client.capabilities()
        assert {c["id"] for c in every} == {TEST_LIGHT.id, "sensor.test_temperature"}
        lights = await client.capabilities(type="light")
        assert [c["id"] for c in lights] == [TEST_LIGHT.id]
        assert await client.capabilities(type="light", area="hall") == []
        assert (await client.capability(TEST_LIGHT.id))["area"] == "study"
        assert (await client.states())[TEST_LIGHT.id] == {"state": "off"}


async def test_call_returns_json_and_binary_results(hub_and_lamp: tuple[Hub, Lamp]) -> None:
    hub, lamp = hub_and_lamp
    async with client_for(hub) as client:
        result = await client.call(TEST_LIGHT.id, "turn_on", {"brightness_pct": 60})
        assert result.value == {"state": "on", "brightness_pct": 60}
        assert result.data == b""
        frame = await client.call(TEST_LIGHT.id, "snapshot")
        assert frame.data == JPEG
        assert frame.content_type == "image/jpeg"
        assert frame.value is None
    assert lamp.calls == [("turn_on", {"brightness_pct": 60}), ("snapshot", {})]


async def test_errors_carry_the_servers_message(hub_and_lamp: tuple[Hub, Lamp]) -> None:
    hub, _ = hub_and_lamp
    async with client_for(hub) as client:
        with pytest.raises(RegistryError, match='^no capability "light.attic" on this hub'):
            await client.call("light.attic", "turn_on", {})
        with pytest.raises(RegistryError, match='has no tool "explode"; its tools: turn_on'):
            await client.call(TEST_LIGHT.id, "explode")
        with pytest.raises(RegistryError, match='no capability "sensor.gone"'):
            await client.capability("sensor.gone")
        with pytest.raises(PayloadError, match="brightness_pct: expected 0..100, got 101"):
            await client.call(TEST_LIGHT.id, "turn_on", {"brightness_pct": 101})
        with pytest.raises(ToolError, match="the lamp's bulb is burnt out: replace it"):
            await client.call(TEST_LIGHT.id, "break")
        with pytest.raises(CallTimeout, match="light.test_lamp"):
            await client.call(TEST_LIGHT.id, "hang", timeout=0.3)


async def test_a_wrong_token_is_a_token_error_naming_the_token_file(
    hub_and_lamp: tuple[Hub, Lamp],
) -> None:
    hub, lamp = hub_and_lamp
    async with client_for(hub, token="definitely-not-the-token") as client:
        assert (await client.health())["status"] == "ok"  # health needs no token
        with pytest.raises(TokenError, match="^wrong API token: .*api_token on the hub$"):
            await client.call(TEST_LIGHT.id, "turn_on", {})
    assert lamp.calls == []


async def test_a_hub_that_is_not_running_is_a_fabric_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    async with HubClient(url, "token-token-token") as client:
        with pytest.raises(FabricError) as caught:
            await client.health()
    assert str(caught.value).startswith(f"hub not reachable at {url}: is `atmosphere run` running?")
    assert not isinstance(caught.value, CallTimeout)
