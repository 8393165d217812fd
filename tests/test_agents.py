"""Agents are capabilities: a demo hub (lights and a camera on a real Mosquitto) with an
`llm` agent against a model server of our own on a real socket, a notify agent and a
script agent. The real model is in test_agents_model.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hub.agents import AgentRequest
from hub.errors import ConfigError, PayloadError
from hub.runtime import Hub
from tests.agents_rig import agent_hub
from tests.broker import Mosquitto
from tests.hubs import hub_config
from tests.llmfake import completion, fake_model
from tests.mqtt import Peer, mqtt_peer
from tests.waiting import eventually

LIGHT = "light.kitchen_light"
CAMERA = "camera.front_door"
TURN_ON = "light_kitchen_light__turn_on"
GET_FRAME = "camera_front_door__get_frame"


def llm_agent(url: str, **options: Any) -> dict[str, Any]:
    return {"id": "agent.house", "kind": "llm", "url": url, "model": "fake",
            "purpose": "Looks after the house: lights and the front door camera.",
            "timeout": 20, **options}


async def ask(hub: Hub, text: str = "", **event: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {"text": text} if text else {}
    if event:
        arguments["event"] = event
    result = await hub.call("agent.house", "handle", arguments)
    assert isinstance(result.value, dict)
    return result.value


async def test_the_agent_is_a_capability_and_calls_tools_through_the_hub(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    async with fake_model() as model, agent_hub(tmp_path, mosquitto, topic_prefix,
                                                [llm_agent(model.url)]) as hub:
        agent = hub.registry.get("agent.house")
        assert (agent.type, [t.name for t in agent.tools]) == ("agent", ["handle"])
        assert agent.attributes["purpose"].startswith("Looks after the house")
        model.calls((TURN_ON, {"brightness_pct": 40}))
        model.says("The kitchen light is on at 40%.")
        answer = await ask(hub, "turn on the kitchen light at 40 percent")
        assert answer["answer"] == "The kitchen light is on at 40%."
        assert answer["tool_calls"] == [{"tool": f"{LIGHT}/turn_on",
                                         "arguments": {"brightness_pct": 40}}]
        await eventually(lambda: hub.registry.get(LIGHT).state.get("state") == "on",
                         timeout=10)
        first = model.requests[0]
        assert TURN_ON in model.tool_names(0)
        assert all(len(n) <= 64 and "." not in n for n in model.tool_names(0))
        assert "agent_house__handle" not in model.tool_names(0)  # never itself
        assert first["messages"][1] == {"role": "user",
                                        "content": "turn on the kitchen light at 40 percent"}
        tool_message = model.requests[1]["messages"][-1]
        assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_0"
        assert [s["kind"] for s in answer["steps"]] == ["model", "tool", "model"]


async def test_camera_frames_go_to_a_vision_model_as_images(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    async with fake_model() as model, agent_hub(
            tmp_path, mosquitto, topic_prefix,
            [llm_agent(model.url, vision=True, first_tool_choice="required")]) as hub:
        model.calls((GET_FRAME, {}))
        model.says("A person in a red coat.")
        answer = await ask(hub, capability=CAMERA, name="person_detected",
                           intent="person at front door")
        assert answer["tool_calls"] == [{"tool": f"{CAMERA}/get_frame", "arguments": {}}]
        assert [r["tool_choice"] for r in model.requests] == ["required", "auto"]
        offered = model.tool_names(0)  # the source's tools come first
        camera = [n for n in offered if n.startswith("camera_front_door__")]
        assert GET_FRAME in camera and offered[:len(camera)] == camera
        prompt = model.requests[0]["messages"][1]["content"]
        assert prompt.startswith("Event: person at front door (from camera.front_door)")
        last = model.requests[1]["messages"]
        assert last[-2]["role"] == "tool" and "image/jpeg" in last[-2]["content"]
        image = last[-1]["content"][1]["image_url"]["url"]
        assert image.startswith("data:image/jpeg;base64,/9j/")
        frame = next(s for s in answer["steps"] if s["kind"] == "tool")["result"]
        assert frame["content_type"] == "image/jpeg" and frame["bytes"] > 1000


async def test_a_text_model_is_told_it_cannot_see_the_frame(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    async with fake_model() as model, agent_hub(tmp_path, mosquitto, topic_prefix,
                                                [llm_agent(model.url)]) as hub:
        model.calls((GET_FRAME, {}))
        model.says("Someone is there.")
        await ask(hub, "what does the front door camera see?")
        tool_message = model.requests[1]["messages"][-1]
        assert tool_message["role"] == "tool"
        assert "image/jpeg" in tool_message["content"]
        assert "cannot look at it" in tool_message["content"]


async def test_bad_tool_calls_are_answered_to_the_model(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    async with fake_model() as model, agent_hub(tmp_path, mosquitto, topic_prefix,
                                                [llm_agent(model.url)]) as hub:
        model.calls(("light_attic__turn_on", {}), (TURN_ON, "{brightness_pct: 4"),
                    (TURN_ON, {"brightness_pct": 400}))
        model.says("I could not do it.")
        answer = await ask(hub, "kitchen light on")
        errors = [c.get("error", "") for c in answer["tool_calls"]]
        assert errors[0] == "unknown tool 'light_attic__turn_on'"
        assert errors[1].startswith("the arguments are not valid JSON")
        assert "brightness_pct" in errors[2] and "100" in errors[2]
        replies = [m["content"] for m in model.requests[1]["messages"] if m["role"] == "tool"]
        assert replies[0].startswith("error: there is no tool named 'light_attic__turn_on'; "
                                     "the tools are: ")
        assert TURN_ON in replies[0]
        assert replies[1].startswith("error: the arguments are not valid JSON")
        assert answer["answer"] == "I could not do it." and "error" not in answer


async def test_steps_timeouts_and_server_errors_end_the_turn_with_the_reason(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    async with fake_model() as model, agent_hub(
            tmp_path, mosquitto, topic_prefix,
            [llm_agent(model.url, max_steps=3),
             llm_agent(model.url, id="agent.quick", timeout=1, route_events=False)]) as hub:
        model.repeat = completion(calls=(("light_kitchen_light__get_state", {}),))
        answer = await ask(hub, "loop")
        assert answer["error"] == ("agent.house: stopped after 3 model requests: the model "
                                   "kept calling tools without answering (bound: max_steps)")
        assert len(answer["tool_calls"]) == 3 and len(model.requests) == 3
        model.repeat = None
        model.fails(500, {"error": {"message": "out of memory"}})
        answer = await ask(hub, "fail")
        assert answer["error"].endswith("the model server answered 500: 'out of memory'")
        model.stalls()  # the router is loaded by now: the second is all the model's
        quick = (await hub.call("agent.quick", "handle", {"text": "stall"})).value
        assert quick["error"].startswith("agent.quick: ") and "within 1 s" in quick["error"]
        with pytest.raises(PayloadError, match="give text .a request. or event"):
            await hub.call("agent.house", "handle", {"text": ""})


async def test_notify_and_script_agents(tmp_path: Path, mosquitto: Mosquitto,
                                        topic_prefix: str) -> None:
    agents = [
        {"id": "agent.phone", "kind": "notify", "topic": f"{topic_prefix}/notify"},
        {"id": "battery", "kind": "script", "actions": [
            {"action": "light.turn_on", "target": {"entity_id": LIGHT}},
            {"variables": {"said": "{{ text }} from {{ event.capability | default('-') }}"}},
            {"stop": "done", "response_variable": "said"}]},
    ]
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        peer.subscribe(f"{topic_prefix}/notify")
        async with agent_hub(tmp_path, mosquitto, topic_prefix, agents) as hub:
            await notify_and_script(hub, peer, topic_prefix)


async def notify_and_script(hub: Hub, peer: Peer, topic_prefix: str) -> None:
    result = await hub.call("agent.phone", "handle", {"text": "hello",
                                                      "event": {"name": "ring"}})
    assert result.value["answer"] == f"sent to {topic_prefix}/notify"
    await eventually(lambda: bool(peer.messages(f"{topic_prefix}/notify")))
    sent = json.loads(peer.messages(f"{topic_prefix}/notify")[0])
    assert (sent["agent"], sent["request"], sent["event"]) == (
        "agent.phone", "hello", {"name": "ring"})
    answer = await hub.agents.ask("agent.battery", AgentRequest(text="low"))
    assert answer.answer == "low from -" and not answer.error
    assert [s.tool for s in answer.steps] == ["action/0", "action/1", "action/2"]
    await eventually(lambda: hub.registry.get(LIGHT).state.get("state") == "on",
                     timeout=10)


@pytest.mark.parametrize(("agent", "message"), [
    ({"id": "agent.x", "kind": "llm"}, "an llm agent needs url"),
    ({"id": "agent.x", "kind": "oracle"}, "agent kind must be one of llm, notify, script"),
    ({"id": "Bad Id", "kind": "notify", "topic": "t"}, "an agent needs an id such as"),
    ({"id": "agent.x", "kind": "notify"}, "a notify agent needs either topic"),
    ({"id": "agent.x", "kind": "llm", "url": "http://x", "max_stepz": 3},
     "unknown key 'max_stepz'; did you mean 'max_steps'?"),
    ({"id": "agent.x", "kind": "script", "actions": [{"launch": 1}]}, "unknown action"),
])
async def test_a_broken_agent_is_a_configuration_error_with_its_line(
        tmp_path: Path, mosquitto: Mosquitto, agent: dict[str, Any], message: str) -> None:
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port, agents=[agent])
    with pytest.raises(ConfigError, match=rf"configuration.yaml:\d+:\d+: .*{message}"):
        async with Hub(config):
            pass
    assert not (tmp_path / "data").exists()  # checked before anything was touched




def test_config_check_reports_a_broken_agent_with_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hub.cli import main
    from tests.hubs import write_config

    config_dir = write_config(tmp_path, agents=[{"id": "agent.x", "kind": "llm",
                                                 "url": "ftp://x"}])
    assert main(["config", "check", str(config_dir)]) == 2
    err = capsys.readouterr().err
    assert "configuration.yaml:" in err and "an llm agent needs url" in err


def test_tool_names_fit_the_chat_api_and_map_back() -> None:
    import re

    from hub.agents import ToolNames

    names = ToolNames()
    short = names.name("light.kitchen", "turn_on")
    assert short == "light_kitchen__turn_on"
    long_id = "sensor." + "very_long_name_" * 6
    long = names.name(long_id, "get_state")
    clash = names.name("light:kitchen", "turn_on")  # the same after replacing ':'
    for name in (short, long, clash):
        assert re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name), name
    assert len({short, long, clash}) == 3
    assert names.lookup(long) == (long_id, "get_state")
    assert names.lookup(clash) == ("light:kitchen", "turn_on")
    assert names.lookup("nope") is None
