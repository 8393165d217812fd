"""Tool calls over a real Mosquitto, through signed envelopes."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import nacl.signing
import pytest

from hub.errors import CallTimeout, FabricError, PayloadError, RegistryError, ToolError
from hub.fabric import Envelope, Fabric, FabricSettings, RpcClient, RpcServer, rpc_topic, seal
from hub.model import NodeId, ToolHandler, ToolResult
from tests.broker import Mosquitto
from tests.waiting import eventually

SERVER = NodeId("node-server")
CALLER = NodeId("node-caller")
KEYS = {
    SERVER: nacl.signing.SigningKey(bytes([1]) * 32),
    CALLER: nacl.signing.SigningKey(bytes([2]) * 32),
}
FRAME = os.urandom(200_000)


def lookup(node: NodeId) -> bytes | None:
    key = KEYS.get(node)
    return bytes(key.verify_key) if key else None


class Light:
    """A tool provider: JSON results, a binary frame, failures, a slow tool."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.release = asyncio.Event()

    async def __call__(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        self.calls.append((tool, dict(arguments)))
        if tool == "turn_on":
            return ToolResult(value={"state": "on", **arguments})
        if tool == "get_frame":
            return ToolResult(data=FRAME, content_type="image/jpeg")
        if tool == "explode":
            raise RuntimeError("bulb unreachable: zigbee timeout")
        if tool == "slow":
            await self.release.wait()
            return ToolResult(value="late")
        if tool == "strict":
            raise PayloadError("light.kitchen/strict: brightness: expected 0..100, got 300")
        if tool == "weird":
            return ToolResult(value={1, 2})
        if tool == "sloppy":  # a provider bug: a plain dict instead of a ToolResult
            return {"state": "on"}  # type: ignore[return-value]
        if tool == "text":  # a provider bug: text where bytes belong
            return ToolResult(data="hello", content_type="text/plain")  # type: ignore[arg-type]
        raise RegistryError(f'light.kitchen has no tool "{tool}"')


@dataclass
class Rig:
    client: RpcClient
    server: RpcServer
    light: Light
    server_fabric: Fabric
    client_fabric: Fabric


@asynccontextmanager
async def rig(broker: Mosquitto, protocol: str = "5") -> AsyncIterator[Rig]:
    light = Light()
    handlers: dict[str, ToolHandler] = {"light.kitchen": light}
    settings = FabricSettings(host=broker.host, port=broker.port, protocol=protocol)  # type: ignore[arg-type]
    async with AsyncExitStack() as stack:
        server_fabric = await stack.enter_async_context(Fabric(settings))
        client_fabric = await stack.enter_async_context(Fabric(settings))
        server = await stack.enter_async_context(
            RpcServer(server_fabric, SERVER, KEYS[SERVER], lookup, handlers.get)
        )
        client = await stack.enter_async_context(
            RpcClient(client_fabric, CALLER, KEYS[CALLER], lookup)
        )
        # the subscriptions are in place once a confirmed publish came back on both
        await server_fabric.publish_confirmed("test/rpc/sync", b"")
        await client_fabric.publish_confirmed("test/rpc/sync", b"")
        yield Rig(client, server, light, server_fabric, client_fabric)


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
async def test_json_result(mosquitto: Mosquitto, protocol: str) -> None:
    async with rig(mosquitto, protocol) as r:
        result = await r.client.call(SERVER, "light.kitchen", "turn_on", {"brightness_pct": 30})
        assert result == ToolResult(value={"state": "on", "brightness_pct": 30})
        assert r.light.calls == [("turn_on", {"brightness_pct": 30})]
        assert r.server_fabric.protocol == protocol
        assert r.server.counters.requests == 1
        assert r.server.counters.replies == 1


async def test_binary_result_arrives_byte_identical(mosquitto: Mosquitto) -> None:
    async with rig(mosquitto) as r:
        result = await r.client.call(SERVER, "light.kitchen", "get_frame", {}, timeout=5)
        assert result.content_type == "image/jpeg"
        assert result.data == FRAME
        assert result.value is None


async def test_calls_run_concurrently(mosquitto: Mosquitto) -> None:
    async with rig(mosquitto) as r:
        slow = asyncio.create_task(r.client.call(SERVER, "light.kitchen", "slow", timeout=5))
        await eventually(lambda: ("slow", {}) in r.light.calls)
        # the slow call does not hold up the next one
        fast = await r.client.call(SERVER, "light.kitchen", "turn_on", {})
        assert fast.value == {"state": "on"}
        r.light.release.set()
        assert (await slow).value == "late"


async def test_unknown_capability_is_a_registry_error(mosquitto: Mosquitto) -> None:
    async with rig(mosquitto) as r:
        with pytest.raises(RegistryError, match="no capability light.attic on node-server"):
            await r.client.call(SERVER, "light.attic", "turn_on", {})


async def test_unknown_tool_is_a_registry_error(mosquitto: Mosquitto) -> None:
    async with rig(mosquitto) as r:
        with pytest.raises(RegistryError, match='light.kitchen has no tool "fly"'):
            await r.client.call(SERVER, "light.kitchen", "fly", {})


async def test_handler_exception_is_a_tool_error_with_its_message(mosquitto: Mosquitto) -> None:
    async with rig(mosquitto) as r:
        with pytest.raises(ToolError, match="^bulb unreachable: zigbee timeout$"):
            await r.client.call(SERVER, "light.kitchen", "explode", {})
        # the server goes on serving
        assert (await r.client.call(SERVER, "light.kitchen", "turn_on", {})).value == {
            "state": "on"
        }


async def test_bad_arguments_are_a_payload_error_naming_the_field(mosquitto: Mosquitto) -> None:
    # PayloadError, not ToolError: HTTP answers 400, and a caller tells its own bad input
    # from a failing tool
    async with rig(mosquitto) as r:
        with pytest.raises(
            PayloadError,
            match=r"^light\.kitchen/strict: brightness: expected 0\.\.100, got 300$",
        ) as raised:
            await r.client.call(SERVER, "light.kitchen", "strict", {"brightness": 300})
        assert not isinstance(raised.value, ToolError)


async def test_result_that_json_cannot_carry_is_a_tool_error(mosquitto: Mosquitto) -> None:
    async with rig(mosquitto) as r:
        with pytest.raises(
            ToolError, match="light.kitchen/weird returned a value JSON cannot carry"
        ):
            await r.client.call(SERVER, "light.kitchen", "weird", {})


async def test_a_result_that_is_not_a_tool_result_is_a_tool_error_and_serving_goes_on(
    mosquitto: Mosquitto,
) -> None:
    # The reply path once raised outside the handler's try; the server's task group then
    # cancelled the task that had entered it (the hub's main task) and served no more.
    async with rig(mosquitto) as r:
        with pytest.raises(
            ToolError, match=r"^light\.kitchen/sloppy returned a dict, not a ToolResult$"
        ):
            await r.client.call(SERVER, "light.kitchen", "sloppy", {}, timeout=2)
        assert (await r.client.call(SERVER, "light.kitchen", "turn_on", {})).value == {
            "state": "on"
        }
        current = asyncio.current_task()
        assert current is not None and not current.cancelling()


async def test_binary_data_that_is_not_bytes_is_a_tool_error(mosquitto: Mosquitto) -> None:
    async with rig(mosquitto) as r:
        with pytest.raises(
            ToolError, match=r"^light\.kitchen/text returned data of type str; it must be bytes$"
        ):
            await r.client.call(SERVER, "light.kitchen", "text", {}, timeout=2)


async def test_a_failing_resolve_drops_the_request_and_serving_goes_on(
    mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    # An error outside the handler's error paths must not reach the server's task group,
    # which would cancel the task that entered the server (a hub's main task).
    light = Light()

    def resolve(capability: str) -> ToolHandler | None:
        if capability == "light.broken":
            raise RuntimeError("registry is inconsistent")
        return light if capability == "light.kitchen" else None

    settings = FabricSettings(host=mosquitto.host, port=mosquitto.port)
    async with (
        Fabric(settings) as fabric,
        RpcServer(fabric, SERVER, KEYS[SERVER], lookup, resolve) as server,
        RpcClient(fabric, CALLER, KEYS[CALLER], lookup) as client,
    ):
        await fabric.wait_subscribed()
        with pytest.raises(CallTimeout):
            await client.call(SERVER, "light.broken", "turn_on", {}, timeout=0.5)
        assert server.counters.bad == 1
        assert "rpc request dropped" in caplog.text
        assert "registry is inconsistent" in caplog.text
        assert (await client.call(SERVER, "light.kitchen", "turn_on", {})).value == {
            "state": "on"
        }
        current = asyncio.current_task()
        assert current is not None and not current.cancelling()


async def test_too_slow_is_a_call_timeout_naming_node_and_tool(mosquitto: Mosquitto) -> None:
    async with rig(mosquitto) as r:
        with pytest.raises(
            CallTimeout, match=r"no reply from node node-server for light.kitchen/slow within 0.3 s"
        ):
            await r.client.call(SERVER, "light.kitchen", "slow", {}, timeout=0.3)
        # the server enforced the deadline too: its error reply arrives late and is dropped
        await eventually(lambda: r.client.counters.late == 1)


async def test_nobody_serving_is_a_call_timeout(mosquitto: Mosquitto) -> None:
    async with rig(mosquitto) as r:
        with pytest.raises(
            CallTimeout, match="no reply from node node-nobody for a.b/c within 0.2 s"
        ):
            await r.client.call("node-nobody", "a.b", "c", {}, timeout=0.2)


async def test_forged_and_malformed_requests_are_dropped_and_counted(
    mosquitto: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    async with rig(mosquitto) as r:
        topic = rpc_topic(SERVER)
        mallory = nacl.signing.SigningKey(bytes([9]) * 32)
        body = json.dumps({"capability": "light.kitchen", "tool": "turn_on"}).encode()
        now = r.client._now()
        forged = Envelope.create(
            CALLER, "request", body, time=now, reply_to="x/y", correlation_id="c"
        )
        r.client_fabric.publish(topic, seal(forged, mallory))  # CALLER's id, wrong key
        r.client_fabric.publish(topic, b"not an envelope")
        expired = Envelope.create(
            CALLER, "request", body, time=now, reply_to="x/y", correlation_id="c", deadline=now - 1
        )
        r.client_fabric.publish(topic, seal(expired, KEYS[CALLER]))
        await eventually(lambda: r.server.counters.bad == 2 and r.server.counters.expired == 1)
        assert r.light.calls == []
        assert "bad signature" in caplog.text
        # still serving
        assert (await r.client.call(SERVER, "light.kitchen", "turn_on", {})).value == {
            "state": "on"
        }


async def test_a_replayed_request_runs_once(mosquitto: Mosquitto) -> None:
    async with rig(mosquitto) as r:
        now = r.client._now()
        body = json.dumps({"capability": "light.kitchen", "tool": "turn_on"}).encode()
        request = Envelope.create(
            CALLER, "request", body, time=now, reply_to="test/rpc/replies", correlation_id="c1"
        )
        data = seal(request, KEYS[CALLER])
        r.client_fabric.publish(rpc_topic(SERVER), data, qos=1)
        r.client_fabric.publish(rpc_topic(SERVER), data, qos=1)
        await eventually(lambda: r.server.counters.bad == 1)
        assert r.light.calls == [("turn_on", {})]


async def test_call_before_open_is_refused(mosquitto: Mosquitto) -> None:
    async with Fabric(FabricSettings(host=mosquitto.host, port=mosquitto.port)) as fabric:
        client = RpcClient(fabric, CALLER, KEYS[CALLER], lookup)
        with pytest.raises(RuntimeError, match="RpcClient is not open"):
            await client.call(SERVER, "a.b", "c", {})


async def test_a_call_while_the_broker_is_away_fails_at_once(private_mosquitto: Mosquitto) -> None:
    settings = FabricSettings(host=private_mosquitto.host, port=private_mosquitto.port)
    async with Fabric(settings) as fabric, RpcClient(fabric, CALLER, KEYS[CALLER], lookup) as rpc:
        private_mosquitto.stop()
        await eventually(lambda: not fabric.connected)
        where = f"{private_mosquitto.host}:{private_mosquitto.port}"
        async with asyncio.timeout(30):  # far less than the call's own timeout
            with pytest.raises(FabricError, match=(
                    rf"cannot call light.kitchen/turn_on on node {SERVER}: not connected to "
                    rf"the MQTT broker at {where}; the hub is reconnecting")):
                await rpc.call(SERVER, "light.kitchen", "turn_on", {}, timeout=3600)
