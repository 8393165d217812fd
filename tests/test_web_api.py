"""The HTTP API against a real Hub (real Mosquitto, real SQLite), through ASGITransport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx
import pytest

from hub import __version__
from hub.errors import ToolError
from hub.identity import TOKEN_FILE
from hub.model import Capability, Tool, ToolResult
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import hub_config
from web import create_app

JPEG = b"\xff\xd8\xff\xe0" + b"not really a picture" + b"\xff\xd9"

TEST_LIGHT = Capability(
    id="light.test_lamp",
    type="light",
    name="Test lamp",
    area="study",
    tools=(
        Tool(
            "turn_on",
            parameters=MappingProxyType(
                {
                    "type": "object",
                    "properties": {
                        "brightness_pct": {"type": "integer", "minimum": 0, "maximum": 100}
                    },
                }
            ),
        ),
        Tool("snapshot"),
        Tool("break"),
        Tool("hang", timeout=30.0),
    ),
    state=MappingProxyType({"state": "off"}),
)
TEST_SENSOR = Capability(
    id="sensor.test_temperature",
    type="sensor",
    area="hall",
    tools=(Tool("get_state"),),
    state=MappingProxyType({"state": 21.5}),
)


@dataclass
class Lamp:
    """The handler behind the test lamp: records what it was asked."""

    hub: Hub
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, tool: str, arguments: Mapping[str, Any]) -> ToolResult:
        self.calls.append((tool, dict(arguments)))
        if tool == "turn_on":
            brightness = arguments.get("brightness_pct", 100)
            self.hub.registry.set_state(
                TEST_LIGHT.id, {"state": "on", "brightness_pct": brightness}
            )
            return ToolResult(value={"state": "on", "brightness_pct": brightness})
        if tool == "snapshot":
            return ToolResult(data=JPEG, content_type="image/jpeg")
        if tool == "break":
            raise ToolError("the lamp's bulb is burnt out: replace it")
        await self.released.wait()  # "hang": answers only when the test lets it
        return ToolResult(value="late")


@asynccontextmanager
async def running_hub(directory: Path, broker: Mosquitto) -> AsyncIterator[tuple[Hub, Lamp]]:
    """A real hub with the test lamp (local handler) and a sensor (no handler)."""
    async with Hub(hub_config(directory, broker.host, broker.port)) as hub:
        lamp = Lamp(hub)
        hub.registry.add(TEST_LIGHT, lamp)
        hub.registry.add(TEST_SENSOR)
        try:
            yield hub, lamp
        finally:
            lamp.released.set()


def asgi_client(app: Any, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hub.test", headers=headers
    )


@pytest.fixture
async def hub_and_lamp(tmp_path: Path, mosquitto: Mosquitto) -> AsyncIterator[tuple[Hub, Lamp]]:
    async with running_hub(tmp_path, mosquitto) as pair:
        yield pair


@pytest.fixture
def hub(hub_and_lamp: tuple[Hub, Lamp]) -> Hub:
    return hub_and_lamp[0]


@pytest.fixture
def lamp(hub_and_lamp: tuple[Hub, Lamp]) -> Lamp:
    return hub_and_lamp[1]


@pytest.fixture
async def client(hub: Hub) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(create_app(hub), hub.api_token) as http:
        yield http


@pytest.fixture
async def anonymous(hub: Hub) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(create_app(hub)) as http:
        yield http


def error_of(response: httpx.Response) -> dict[str, str]:
    assert response.headers["content-type"] == "application/json"
    error: dict[str, str] = response.json()["error"]
    return error


# -- authentication --------------------------------------------------------------------


async def test_health_answers_without_a_token(hub: Hub, anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["node_id"] == hub.identity.node_id
    assert body["name"] == "test-hub"
    assert body["version"] == __version__
    assert body["mqtt_connected"] is True
    assert body["uptime_s"] >= 0


async def test_tool_call_without_a_token_is_refused_and_reaches_no_tool(
    hub: Hub, lamp: Lamp, anonymous: httpx.AsyncClient
) -> None:
    response = await anonymous.post(
        "/api/capabilities/light.test_lamp/tools/turn_on", json={"brightness_pct": 10}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    error = error_of(response)
    assert error["code"] == "unauthorized"
    assert error["message"].startswith("missing API token: send the header")
    assert str(hub.config.data_dir / TOKEN_FILE) in error["message"]
    assert lamp.calls == []
    assert hub.registry.get("light.test_lamp").state["state"] == "off"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer not-the-token-at-all", "wrong API token"),
        ("Basic dXNlcjpwYXNz", "the Authorization header must be 'Bearer <token>'"),
        ("Bearer ", "the Authorization header must be 'Bearer <token>'"),
    ],
)
async def test_a_wrong_token_is_refused(
    lamp: Lamp, anonymous: httpx.AsyncClient, header: str, message: str
) -> None:
    response = await anonymous.post(
        "/api/capabilities/light.test_lamp/tools/turn_on",
        json={},
        headers={"Authorization": header},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="atmosphere"'
    assert error_of(response)["message"].startswith(f"{message}: send the header")
    assert lamp.calls == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/capabilities",
        "/api/capabilities/light.test_lamp",
        "/api/states",
        "/api/events",
        "/api/no-such-endpoint",
    ],
)
async def test_reading_needs_the_token_too(anonymous: httpx.AsyncClient, path: str) -> None:
    response = await anonymous.get(path)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


async def test_the_token_is_the_one_in_the_data_directory(hub: Hub) -> None:
    token = (hub.config.data_dir / TOKEN_FILE).read_text().strip()
    async with asgi_client(create_app(hub), token) as http:
        response = await http.get("/api/states")
    assert response.status_code == 200


# -- reading ---------------------------------------------------------------------------


async def test_capabilities_list_everything_with_live_fields(
    hub: Hub, client: httpx.AsyncClient
) -> None:
    hub.registry.set_state(TEST_SENSOR.id, {"state": 22.0})
    response = await client.get("/api/capabilities")
    assert response.status_code == 200
    by_id = {c["id"]: c for c in response.json()["capabilities"]}
    assert set(by_id) == {TEST_LIGHT.id, TEST_SENSOR.id}
    lamp = by_id[TEST_LIGHT.id]
    assert lamp["node"] == hub.identity.node_id
    assert lamp["area"] == "study"
    assert lamp["available"] is True
    assert lamp["load"] == 0.0
    assert [t["name"] for t in lamp["tools"]] == ["turn_on", "snapshot", "break", "hang"]
    assert lamp["tools"][0]["parameters"]["properties"]["brightness_pct"]["maximum"] == 100
    assert by_id[TEST_SENSOR.id]["state"] == {"state": 22.0}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?type=light", {TEST_LIGHT.id}),
        ("?area=hall", {TEST_SENSOR.id}),
        ("?type=light&area=hall", set()),
        ("?type=camera", set()),
    ],
)
async def test_capabilities_filter_by_type_and_area(
    client: httpx.AsyncClient, query: str, expected: set[str]
) -> None:
    response = await client.get(f"/api/capabilities{query}")
    assert {c["id"] for c in response.json()["capabilities"]} == expected


async def test_one_capability_and_an_unknown_one(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/capabilities/sensor.test_temperature")
    assert response.status_code == 200
    assert response.json()["type"] == "sensor"

    missing = await client.get("/api/capabilities/sensor.nowhere")
    assert missing.status_code == 404
    assert error_of(missing) == {
        "code": "unknown_capability",
        "message": 'no capability "sensor.nowhere" on this hub; GET /api/capabilities lists them',
    }


async def test_states_map_ids_to_state(hub: Hub, client: httpx.AsyncClient) -> None:
    hub.registry.set_state(TEST_LIGHT.id, {"state": "on"})
    response = await client.get("/api/states")
    assert response.json() == {
        TEST_LIGHT.id: {"state": "on"},
        TEST_SENSOR.id: {"state": 21.5},
    }


async def test_unknown_endpoints_and_methods_answer_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status_code == 404
    assert error_of(response) == {
        "code": "not_found",
        "message": "no endpoint at /api/nothing-here; see docs/http-api.md for the API",
    }
    response = await client.get("/api/capabilities/light.test_lamp/tools/turn_on")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert error_of(response) == {
        "code": "method_not_allowed",
        "message": "GET is not allowed on /api/capabilities/light.test_lamp/tools/turn_on: a"
                   " tool is called with POST, its arguments a JSON object in the body",
    }
    response = await client.delete("/api/capabilities/light.test_lamp/tools/turn_on")
    assert response.status_code == 405
    response = await client.delete("/api/states")
    assert response.status_code == 405
    assert error_of(response)["message"] == "DELETE is not allowed on /api/states"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/capabilities?typ=light",
         "unknown query parameter 'typ' for GET /api/capabilities; it takes: type, area"),
        ("/api/capabilities?type=light&type=sensor", "query parameter 'type' given more than once"),
        ("/api/states?verbose=1",
         "unknown query parameter 'verbose' for GET /api/states; it takes none"),
        ("/api/capabilities/light.test_lamp?x=1",
         "unknown query parameter 'x' for GET /api/capabilities/light.test_lamp; it takes none"),
        ("/api/health?full=1", "unknown query parameter 'full' for GET /api/health; it takes none"),
        ("/api/events?type=state_changed",
         "unknown query parameter 'type' for GET /api/events; it takes: types"),
    ],
)
async def test_an_unknown_query_parameter_is_400_naming_it(
    client: httpx.AsyncClient, path: str, message: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 400
    assert error_of(response) == {"code": "bad_request", "message": message}


async def test_an_unknown_query_parameter_of_a_call_is_400_and_reaches_no_tool(
    lamp: Lamp, client: httpx.AsyncClient
) -> None:
    response = await client.post("/api/capabilities/light.test_lamp/tools/turn_on?timout=2")
    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "unknown query parameter 'timout' for POST"
        " /api/capabilities/light.test_lamp/tools/turn_on; it takes: timeout"
    )
    response = await client.post("/api/route?execute=1", json={"text": "lamp on"})
    assert response.status_code == 400
    assert lamp.calls == []


# -- removing ----------------------------------------------------------------------------


async def test_removing_a_capability_a_running_provider_registered_is_409(
    hub: Hub, client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    response = await anonymous.delete("/api/capabilities/light.test_lamp")
    assert response.status_code == 401
    response = await client.delete("/api/capabilities/light.test_lamp")
    assert response.status_code == 409
    assert error_of(response) == {
        "code": "capability_in_use",
        "message": "light.test_lamp is provided by a provider running on this hub, which would"
                   " register it again: remove the device from its integration (or the"
                   " integration from configuration.yaml); only capabilities no provider has"
                   " registered since the hub started can be removed",
    }
    assert TEST_LIGHT.id in hub.registry
    missing = await client.delete("/api/capabilities/light.nowhere")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "unknown_capability"


async def test_a_leftover_from_an_earlier_run_can_be_removed(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    async with running_hub(tmp_path, mosquitto):
        pass  # the lamp and the sensor are saved as the hub stops
    async with Hub(hub_config(tmp_path, mosquitto.host, mosquitto.port)) as hub:
        assert not hub.registry.get(TEST_LIGHT.id).available  # restored, nobody claims it
        async with asgi_client(create_app(hub), hub.api_token) as client:
            response = await client.delete(f"/api/capabilities/{TEST_LIGHT.id}")
            assert (response.status_code, response.json()) == (200, {"removed": TEST_LIGHT.id})
            assert TEST_LIGHT.id not in hub.registry
            again = await client.delete(f"/api/capabilities/{TEST_LIGHT.id}")
            assert again.status_code == 404
    async with Hub(hub_config(tmp_path, mosquitto.host, mosquitto.port)) as hub:
        assert [c.id for c in hub.registry.all()] == [TEST_SENSOR.id]


# -- tool calls ------------------------------------------------------------------------


async def test_an_authenticated_call_reaches_the_tool_and_answers_its_result(
    hub: Hub, lamp: Lamp, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "/api/capabilities/light.test_lamp/tools/turn_on", json={"brightness_pct": 30}
    )
    assert response.status_code == 200
    assert response.json() == {"result": {"state": "on", "brightness_pct": 30}}
    assert lamp.calls == [("turn_on", {"brightness_pct": 30})]
    assert hub.registry.get(TEST_LIGHT.id).state == {"state": "on", "brightness_pct": 30}


async def test_an_empty_body_means_no_arguments(lamp: Lamp, client: httpx.AsyncClient) -> None:
    response = await client.post("/api/capabilities/light.test_lamp/tools/turn_on")
    assert response.status_code == 200
    assert lamp.calls == [("turn_on", {})]


async def test_a_binary_result_is_returned_as_bytes_with_its_content_type(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/capabilities/light.test_lamp/tools/snapshot")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content == JPEG


async def test_get_state_is_served_by_the_hub_for_handlerless_capabilities(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/capabilities/sensor.test_temperature/tools/get_state")
    assert response.status_code == 200
    assert response.json()["result"]["state"] == {"state": 21.5}


async def test_unknown_capability_and_tool_are_404_with_what_exists(
    lamp: Lamp, client: httpx.AsyncClient
) -> None:
    response = await client.post("/api/capabilities/light.attic/tools/turn_on", json={})
    assert response.status_code == 404
    assert error_of(response) == {
        "code": "unknown_capability",
        "message": 'no capability "light.attic" on this hub; GET /api/capabilities lists them',
    }
    response = await client.post("/api/capabilities/light.test_lamp/tools/explode", json={})
    assert response.status_code == 404
    assert error_of(response) == {
        "code": "unknown_tool",
        "message": 'light.test_lamp has no tool "explode"; its tools: '
        "turn_on, snapshot, break, hang",
    }
    assert lamp.calls == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[1, 2]", "body must be a JSON object of arguments, got an array;"),
        (b'"on"', "body must be a JSON object of arguments, got a string;"),
        (b"42", "body must be a JSON object of arguments, got a number;"),
        (b"null", "body must be a JSON object of arguments, got null;"),
        (b"{oops", "body is not JSON: Expecting property name enclosed in double quotes"),
        (b"\xff\xfe", "body is not UTF-8 (bad byte at 0); it must be a JSON object"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_400(
    lamp: Lamp, client: httpx.AsyncClient, body: bytes, message: str
) -> None:
    response = await client.post(
        "/api/capabilities/light.test_lamp/tools/turn_on",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_request"
    assert error["message"].startswith(message)
    assert lamp.calls == []


async def test_arguments_that_break_the_schema_are_400_naming_the_argument(
    lamp: Lamp, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "/api/capabilities/light.test_lamp/tools/turn_on", json={"brightness_pct": 300}
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "bad_request"
    assert "brightness_pct: expected 0..100, got 300" in error["message"]
    assert lamp.calls == []


async def test_a_failing_tool_is_502_with_the_providers_message(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/capabilities/light.test_lamp/tools/break")
    assert response.status_code == 502
    error = error_of(response)
    assert error["code"] == "tool_error"
    assert "the lamp's bulb is burnt out: replace it" in error["message"]


async def test_a_call_past_its_timeout_is_504(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/capabilities/light.test_lamp/tools/hang?timeout=0.3")
    assert response.status_code == 504
    error = error_of(response)
    assert error["code"] == "timeout"
    assert "light.test_lamp" in error["message"]


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan", "inf"])
async def test_a_bad_timeout_is_400(lamp: Lamp, client: httpx.AsyncClient, value: str) -> None:
    response = await client.post(
        f"/api/capabilities/light.test_lamp/tools/turn_on?timeout={value}", json={}
    )
    assert response.status_code == 400
    assert error_of(response)["message"] == (
        f"timeout must be a positive number of seconds, got {value!r}"
    )
    assert lamp.calls == []


# -- body size -------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_413(hub: Hub, lamp: Lamp) -> None:
    async with asgi_client(create_app(hub, max_body=1024), hub.api_token) as http:
        big = {"brightness_pct": 5, "padding": "x" * 2000}
        response = await http.post("/api/capabilities/light.test_lamp/tools/turn_on", json=big)
        assert response.status_code == 413
        error = error_of(response)
        assert error["code"] == "body_too_large"
        assert error["message"].startswith("request body is larger than 1024 bytes;")

        async def chunks() -> AsyncIterator[bytes]:  # chunked: no Content-Length to check
            yield b'{"padding": "'
            for _ in range(10):
                yield b"x" * 200
            yield b'"}'

        response = await http.post(
            "/api/capabilities/light.test_lamp/tools/turn_on", content=chunks()
        )
        assert response.status_code == 413
        assert error_of(response)["code"] == "body_too_large"

        small = await http.post(
            "/api/capabilities/light.test_lamp/tools/turn_on", json={"brightness_pct": 5}
        )
        assert small.status_code == 200
    assert lamp.calls == [("turn_on", {"brightness_pct": 5})]


async def test_the_default_limit_is_one_mebibyte(hub: Hub, client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/capabilities/light.test_lamp/tools/turn_on", content=b" " * (1024 * 1024 + 1)
    )
    assert response.status_code == 413
    assert "larger than 1048576 bytes" in error_of(response)["message"]


async def test_front_page_is_private_and_sends_a_browser_to_onboarding(
    hub: Hub, anonymous: httpx.AsyncClient
) -> None:
    page = await anonymous.get("/")
    assert page.status_code == 303
    assert page.headers["location"] == "/onboarding?next=%2F"
    for capability in hub.registry.all():  # state is private
        assert capability.id not in page.text


# -- camera frames for <img>: GET /api/capabilities/{id}/frame ---------------------------


async def test_a_frame_is_the_tools_image(client: httpx.AsyncClient, lamp: Lamp) -> None:
    response = await client.get("/api/capabilities/light.test_lamp/frame")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "no-store"
    assert response.content == JPEG
    assert lamp.calls == [("snapshot", {})]


async def test_a_capability_without_frames_says_so(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/capabilities/sensor.test_temperature/frame")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == (
        "sensor.test_temperature has no frame tool (get_frame or snapshot): it is not a camera"
    )
    unknown = await client.get("/api/capabilities/camera.nowhere/frame")
    assert unknown.status_code == 404
    assert 'no capability "camera.nowhere"' in unknown.json()["error"]["message"]


async def test_frames_need_authentication(anonymous: httpx.AsyncClient, lamp: Lamp) -> None:
    response = await anonymous.get("/api/capabilities/light.test_lamp/frame")
    assert response.status_code == 401
    assert lamp.calls == []
