"""`GET /api/events` on a real uvicorn server (ASGITransport buffers endless streams)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from hub.client import HubClient
from hub.runtime import Hub
from tests.broker import Mosquitto, free_port
from tests.test_web_api import TEST_LIGHT, asgi_client, running_hub
from tests.waiting import eventually
from web import close_event_streams, create_app


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # leave pytest's signal handlers alone


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    server = _Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
    )
    task = asyncio.create_task(server.serve(), name="test.uvicorn")
    await eventually(lambda: server.started or task.done(), timeout=10)
    if task.done():
        task.result()  # raises why it did not start
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        close_event_streams(app)  # as the run command does; streams never end otherwise
        server.should_exit = True
        await task


async def sse(response: httpx.Response) -> AsyncGenerator[tuple[str, dict[str, Any]], None]:
    """(event name, decoded data) for each event of a text/event-stream response."""
    name, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif not line and data:
            yield name, json.loads(data)
            name, data = "message", ""


@pytest.fixture
async def hub(tmp_path: Path, mosquitto: Mosquitto) -> AsyncIterator[Hub]:
    async with running_hub(tmp_path, mosquitto) as (hub, _lamp):
        yield hub


def stream_tasks() -> list[asyncio.Task[Any]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "web.sse.next_event"]


def listeners(hub: Hub) -> int:
    return sum(len(callbacks) for callbacks in hub.bus._listeners.values())


async def test_a_state_change_arrives_as_a_server_sent_event(hub: Hub) -> None:
    before = listeners(hub)
    async with (
        serving(create_app(hub)) as url,
        httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {hub.api_token}"}
        ) as http,
    ):
        async with http.stream("GET", "/api/events") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-cache"
            events = sse(response)
            name, ready = await anext(events)
            assert name == "ready"
            assert ready["node_id"] == hub.identity.node_id
            assert "state_changed" in ready["types"]
            await eventually(lambda: len(stream_tasks()) == 1)

            hub.registry.set_state(TEST_LIGHT.id, {"state": "on", "brightness_pct": 40})
            name, data = await asyncio.wait_for(anext(events), 10)
            assert name == "state_changed"
            assert data["type"] == "state_changed"
            assert data["capability_id"] == TEST_LIGHT.id
            assert data["old"] == {"state": "off"}
            assert data["new"] == {"state": "on", "brightness_pct": 40}
            assert data["time"] > 0
            await events.aclose()
        # the client went away: neither the subscription nor its waiting task outlives it
        await eventually(lambda: listeners(hub) == before, timeout=10)
        await eventually(lambda: not stream_tasks(), timeout=10)


async def test_types_filter_the_stream_and_capabilities_travel_whole(hub: Hub) -> None:
    async with (
        serving(create_app(hub)) as url,
        httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {hub.api_token}"}
        ) as http,
    ):
        query = "?types=capability_added,capability_removed"
        async with http.stream("GET", f"/api/events{query}") as response:
            events = sse(response)
            name, ready = await anext(events)
            assert ready["types"] == ["capability_added", "capability_removed"]

            hub.registry.set_state(TEST_LIGHT.id, {"state": "on"})  # filtered out
            hub.registry.add(replace(TEST_LIGHT, id="light.second_lamp", area="porch"))
            hub.registry.remove("light.second_lamp")
            name, added = await asyncio.wait_for(anext(events), 10)
            assert name == "capability_added"
            assert added["capability"]["id"] == "light.second_lamp"
            assert added["capability"]["area"] == "porch"
            assert added["capability"]["node"] == hub.identity.node_id
            assert added["capability"]["tools"][0]["name"] == "turn_on"
            name, removed = await asyncio.wait_for(anext(events), 10)
            assert (name, removed["capability_id"]) == ("capability_removed", "light.second_lamp")
            await events.aclose()


async def test_an_idle_stream_sends_keepalive_comments(hub: Hub) -> None:
    async with (
        serving(create_app(hub, sse_keepalive=0.05)) as url,
        httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {hub.api_token}"}
        ) as http,
        http.stream("GET", "/api/events") as response,
    ):
        lines = response.aiter_lines()
        seen: list[str] = []
        while ": keepalive" not in seen:
            seen.append(await asyncio.wait_for(anext(lines), 10))
        assert seen[0] == "retry: 3000"
        await lines.aclose()  # type: ignore[attr-defined]


async def test_an_unknown_event_type_is_400_listing_the_known_ones(hub: Hub) -> None:
    async with asgi_client(create_app(hub), hub.api_token) as http:
        response = await http.get("/api/events?types=state_changed,weather")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "unknown event type 'weather'; known: state_changed, capability_added, "
        "capability_updated, capability_removed, availability_changed, trigger_fired"
    )


async def test_the_client_reads_the_event_stream(hub: Hub) -> None:
    async with serving(create_app(hub)) as url, HubClient(url, hub.api_token) as client:
        events = client.events(("state_changed", "availability_changed"))
        ready = await anext(events)
        assert ready["type"] == "ready"
        hub.registry.set_available(TEST_LIGHT.id, False)
        changed = await asyncio.wait_for(anext(events), 10)
        assert changed["type"] == "availability_changed"
        assert changed["capability_id"] == TEST_LIGHT.id
        assert changed["available"] is False
        await events.aclose()


async def test_closing_the_streams_ends_them_cleanly_and_refuses_new_ones(hub: Hub) -> None:
    app = create_app(hub)
    async with (
        serving(app) as url,
        httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {hub.api_token}"}
        ) as http,
    ):
        async with http.stream("GET", "/api/events") as response:
            events = sse(response)
            name, _ = await anext(events)
            assert name == "ready"
            close_event_streams(app)
            # the response ends properly (no error from the client), with nothing more
            assert [event async for event in events] == []
        await eventually(lambda: not stream_tasks())

        refused = await http.get("/api/events")
        assert refused.status_code == 503
        assert refused.json()["error"] == {
            "code": "shutting_down",
            "message": "the hub is shutting down; reconnect when it is back",
        }
