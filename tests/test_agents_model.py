"""The `llm` agent with a real local model (llama.cpp's server, Qwen2.5-Coder-1.5B-Instruct
Q4_K_M, our chat template; one server per session, tests/llmserver.py) on a demo hub
with lights and a camera. The tool calls and their arguments are asserted, never the
wording. Few tests: each turn takes seconds of CPU."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.runtime import Hub
from tests.agents_rig import FAST_ROUTING, agent_hub
from tests.broker import Mosquitto
from tests.hubs import hub_config
from tests.llmfake import serving
from tests.waiting import eventually

pytestmark = pytest.mark.timeout(900)
LIGHT = "light.kitchen_light"
PORCH = "camera.front_door"


def agent(url: str, **options: Any) -> dict[str, Any]:
    return {"id": "agent.house", "kind": "llm", "url": url, "model": "qwen",
            "purpose": "Looks after the house: lights and the front door camera.",
            "timeout": 600, "max_steps": 4, "max_tools": 4, "tool_budget": 4000,
            "max_tokens": 96, "route_events": False, **options}


async def test_the_model_turns_the_light_on_through_the_hub(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str, llm_server: str) -> None:
    async with agent_hub(tmp_path, mosquitto, topic_prefix, [agent(llm_server)]) as hub:
        result = await hub.call("agent.house", "handle",
                                {"text": "Turn on the kitchen light at 30% brightness."})
        answer = result.value
        assert "error" not in answer, answer
        calls = answer["tool_calls"]
        assert calls[0]["tool"] == f"{LIGHT}/turn_on"
        assert calls[0]["arguments"].get("brightness_pct") == 30
        assert "error" not in calls[0]
        await eventually(lambda: hub.registry.get(LIGHT).state.get("state") == "on",
                         timeout=10)
        assert answer["answer"]  # it answered in words after the tool result


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


async def test_the_model_looks_at_the_camera_for_a_person_at_the_door(
        tmp_path: Path, mosquitto: Mosquitto, llm_server: str) -> None:
    frame = jpeg()

    async def snapshot(request: Request) -> Response:
        return Response(frame, media_type="image/jpeg")

    async with serving(Starlette(routes=[Route("/snapshot.jpg", snapshot)])) as url:
        config = hub_config(
            tmp_path, mosquitto.host, mosquitto.port, routing=FAST_ROUTING,
            integrations={"camera": {"cameras": [{"name": "Front door", "area": "front door",
                                                   "snapshot_url": f"{url}/snapshot.jpg"}]}},
            agents=[agent(llm_server, capabilities=[PORCH], max_tools=2,
                          system="You watch the front door camera. To take a picture, call "
                                 "the camera's get_frame tool once. After the tool answers, "
                                 "say in one sentence what you did.")])
        async with Hub(config) as hub:
            result = await hub.call("agent.house", "handle", {
                "text": "Someone is at the front door. Take a picture with the camera."})
    answer = result.value
    calls = answer["tool_calls"]
    assert {"tool": f"{PORCH}/get_frame", "arguments": {}} in calls, answer
    step = next(s for s in answer["steps"]
                if s["kind"] == "tool" and s["tool"] == f"{PORCH}/get_frame")
    assert step["result"] == {"content_type": "image/jpeg", "bytes": len(frame)}, step
    assert "error" not in answer, answer
    assert answer["answer"]  # it answered in words after the result
