"""POST /api/route: language to tool on a running hub, and doing it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from hub.domains import standard_tools
from hub.model import Capability, ToolResult
from hub.runtime import Hub
from tests.broker import Mosquitto
from tests.hubs import hub_config
from web import create_app

DECLARED = [
    {"id": "light.kitchen_ceiling", "type": "light", "name": "Kitchen ceiling", "area": "kitchen"},
    {"id": "light.bedroom_lamp", "type": "light", "name": "Bedroom lamp", "area": "bedroom"},
    {"id": "lock.front_door", "type": "lock", "name": "Front door", "area": "hallway"},
]


async def test_route_resolves_and_executes(tmp_path: Path, mosquitto: Mosquitto) -> None:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port, capabilities=DECLARED)
    async with Hub(config) as hub:
        calls: list[tuple[str, dict[str, Any]]] = []

        async def kitchen(tool: str, arguments: Mapping[str, Any]) -> ToolResult:
            calls.append((tool, dict(arguments)))
            return ToolResult(value={"state": "on"})

        hub.registry.add(hub.registry.get("light.kitchen_ceiling"), kitchen)
        # A capability that appears after the first request is routed to as well.
        hub.registry.add(Capability(id="light.hall", type="light", name="Hall light",
                                    area="hallway", tools=standard_tools("light")))
        app = create_app(hub)
        headers = {"Authorization": f"Bearer {hub.api_token}"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://hub",
                                     headers=headers) as api:
            first = await api.post("/api/route", json={"text": "is the front door locked?"})
            assert first.status_code == 200, first.text
            assert first.json()["tool"] == "get_state"
            assert first.json()["targets"] == ["lock.front_door"]

            done = await api.post("/api/route", json={
                "text": "dim the lights to 30%", "context": {"area": "kitchen"},
                "execute": True})
            assert done.status_code == 200, done.text
            answer = done.json()
            assert (answer["capability"], answer["tool"]) == ("light", "turn_on")
            assert answer["targets"] == ["light.kitchen_ceiling"]
            assert answer["args"] == {"brightness_pct": 30}
            assert answer["results"] == [
                {"capability": "light.kitchen_ceiling", "ok": True, "result": {"state": "on"}}]
            assert calls == [("turn_on", {"brightness_pct": 30})]

            hall = await api.post("/api/route", json={"text": "turn off the hall light"})
            assert hall.json()["targets"] == ["light.hall"]
            assert hall.json()["tool"] == "turn_off"

            failing = await api.post("/api/route", json={
                "text": "turn on the bedroom lamp", "execute": True})
            result = failing.json()["results"][0]
            assert result["ok"] is False and "no provider" in result["error"]

            calls.clear()  # "the light" of three, with no area: asked back, never done
            unsure = await api.post("/api/route", json={"text": "turn on the light"})
            assert unsure.json()["outcome"] == "unsure" and unsure.json()["targets"] == []
            refused = await api.post("/api/route", json={"text": "turn on the light",
                                                         "execute": True})
            assert refused.status_code == 409
            error = refused.json()["error"]
            assert error["code"] == "unsure"
            assert error["message"].startswith(
                "not done, unsure about 'turn on the light': which light? 3 fit")
            assert "candidates: light.bedroom_lamp, light.hall, light.kitchen_ceiling" in (
                error["message"])
            assert calls == []

            # The time and the date need no device: the hub answers from its clock.
            now = await api.post("/api/route", json={"text": "what time is it?",
                                                     "execute": True})
            assert now.status_code == 200, now.text
            assert (now.json()["capability"], now.json()["tool"]) == ("datetime", "get_time")
            [told] = now.json()["results"]
            assert told["ok"] is True and told["capability"] == "datetime"
            assert told["result"]["iso"].startswith(str(hub.clock.now().astimezone().year))


async def test_route_refuses_bad_bodies_and_anonymous_callers(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port, capabilities=DECLARED)
    async with Hub(config) as hub:
        app = create_app(hub)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                     base_url="http://hub") as api:
            anonymous = await api.post("/api/route", json={"text": "lights off"})
            assert anonymous.status_code == 401
            api.headers["Authorization"] = f"Bearer {hub.api_token}"
            for body, message in [
                ([1], 'body must be a JSON object with "text"'),
                ({"text": ""}, "text must be 1..1000 characters"),
                ({"text": "x", "context": "kitchen"}, "context must be an object"),
                ({"text": "x", "execute": "yes"}, "execute must be true or false"),
            ]:
                response = await api.post("/api/route", json=body)
                assert response.status_code == 400
                assert message in response.json()["error"]["message"]
            nothing = await api.post("/api/route", json={"text": "sing me a song about the "
                                                                  "garage", "execute": True})
            assert nothing.status_code == 422
            assert nothing.json()["error"]["message"].startswith("nothing to do for")


async def test_routing_outside_a_running_hub_says_so(tmp_path: Path, mosquitto: Mosquitto) -> None:
    import pytest

    from hub.errors import AtmosphereError

    config = hub_config(tmp_path, mosquitto.host, mosquitto.port, capabilities=DECLARED)
    hub = Hub(config)
    with pytest.raises(AtmosphereError, match="the hub is not running"):
        await hub.resolve("lights off")
