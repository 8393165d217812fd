"""Intent triggers, the `agent:` and `intent:` actions, and device triggers nothing binds
routed to the agent whose purpose matches (a demo hub on a real Mosquitto, the router's
real embedding model, agents answering through a model server of our own or MQTT)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from hub.model import Trigger
from hub.runtime import Hub
from tests.agents_rig import FAST_ROUTING
from tests.broker import Mosquitto
from tests.hubs import demo_section, hub_config
from tests.llmfake import fake_model
from tests.mqtt import mqtt_peer
from tests.waiting import eventually

LIGHT = "light.kitchen_light"
CAMERA = "camera.front_door"
BELL = "binary_sensor.doorbell"
LEAK = "binary_sensor.kitchen_leak"
QUIET = {"motion_interval": 3600, "person_interval": 3600}
"""The demo's own people and motion stay away: the test fires the triggers."""
PRESSED = Trigger("pressed", intent="someone rang the doorbell at {area}", priority=3)
WET = Trigger("wet", intent="water leak detected in {area}", priority=1)
CAPABILITIES = [
    {"id": BELL, "type": "binary_sensor", "name": "Doorbell", "area": "front door",
     "triggers": [{"name": "pressed", "intent": PRESSED.intent, "priority": 3}]},
    {"id": LEAK, "type": "binary_sensor", "name": "Kitchen leak sensor", "area": "kitchen",
     "triggers": [{"name": "wet", "intent": WET.intent, "priority": 1}]},
]


def hub_with(tmp_path: Path, broker: Mosquitto, prefix: str, **sections: Any) -> Hub:
    config = hub_config(tmp_path, broker.host, broker.port,
                        integrations={"demo": demo_section(prefix, **QUIET)},
                        capabilities=CAPABILITIES, routing=FAST_ROUTING, **sections)
    return Hub(config)


def ring(hub: Hub, trigger: Trigger = PRESSED, capability: str = BELL,
         area: str = "front door") -> None:
    assert hub.firing.fire(capability, trigger, {"n": 1}, area=area)


def traces(hub: Hub, automation: str) -> list[dict[str, Any]]:
    return [hub.automations.traces.get(automation, t["run_id"]) or {}
            for t in hub.automations.traces.list(automation)]


async def test_an_intent_trigger_fires_on_meaning_and_not_otherwise(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    automations = [
        {"id": "door", "triggers": [{"trigger": "intent", "phrase": "someone is at the door"}],
         "actions": [{"action": "light.turn_on", "target": {"entity_id": LIGHT}}]},
        {"id": "leak_only", "triggers": [{"trigger": "intent", "phrase": ["water on the floor"],
                                          "capability": LEAK}],
         "actions": [{"variables": {"seen": "{{ trigger.intent }}"}}]},
    ]
    async with hub_with(tmp_path, mosquitto, topic_prefix, automation=automations) as hub:
        ring(hub)
        await eventually(lambda: len(traces(hub, "door")) == 1, timeout=30)
        trigger = traces(hub, "door")[0]["trigger"]
        assert trigger["intent"] == "someone rang the doorbell at front door"
        assert trigger["phrase"] == "someone is at the door"
        assert trigger["similarity"] >= 0.35 and trigger["capability"] == BELL
        assert trigger["area"] == "front door" and trigger["platform"] == "intent"
        await eventually(lambda: hub.registry.get(LIGHT).state.get("state") == "on",
                         timeout=10)
        ring(hub, WET, LEAK, "kitchen")
        await eventually(lambda: len(traces(hub, "leak_only")) == 1, timeout=30)
        assert len(traces(hub, "door")) == 1  # a leak is not someone at the door
        assert hub.automations.intents.matched == 2


async def test_no_intent_trigger_no_agent_no_model(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    automations = [{"id": "bell", "triggers": [{"trigger": "capability", "capability": BELL,
                                                "name": "pressed"}],
                    "actions": [{"variables": {"x": 1}}]}]
    async with hub_with(tmp_path, mosquitto, topic_prefix, automation=automations) as hub:
        ring(hub)
        await eventually(lambda: len(traces(hub, "bell")) == 1)
        assert hub._routing is None  # the embedding model was never needed


async def test_agent_and_intent_actions(tmp_path: Path, mosquitto: Mosquitto,
                                        topic_prefix: str) -> None:
    async with fake_model() as model:
        agents = [{"id": "agent.doorman", "kind": "llm", "url": model.url, "timeout": 30,
                   "route_events": False}]
        automations = [
            {"id": "visitor", "triggers": [{"trigger": "capability", "capability": BELL,
                                            "name": "pressed"}],
             "actions": [{"agent": "agent.doorman", "text": "Who is it?",
                          "response_variable": "reply"},
                         {"intent": "turn on the light", "area": "kitchen"}]},
        ]
        model.calls(("camera_front_door__get_frame", {}))
        model.says("A courier with a parcel.")
        async with hub_with(tmp_path, mosquitto, topic_prefix, automation=automations,
                            agents=agents) as hub:
            ring(hub)
            await eventually(lambda: len(traces(hub, "visitor")) == 1, timeout=60)
            trace = traces(hub, "visitor")[0]
            assert trace["script_execution"] == "finished", trace
            steps = {s["path"]: s for s in trace["trace"]}
            assert steps["action/0"]["result"]["answer"] == "A courier with a parcel."
            assert steps["action/0"]["result"]["tool_calls"] == [
                {"tool": f"{CAMERA}/get_frame", "arguments": {}}]
            assert [p for p in steps if p.startswith("action/0/agent/")] == [
                "action/0/agent/0", "action/0/agent/1", "action/0/agent/2"]
            assert steps["action/0/agent/1"]["result"]["tool"] == f"{CAMERA}/get_frame"
            sent = model.requests[0]["messages"][1]["content"]
            assert sent.startswith("Who is it?\nEvent: someone rang the doorbell at front door"
                                   " (from binary_sensor.doorbell)")
            assert steps["action/1"]["result"]["called"] == [LIGHT]
            assert steps["action/1"]["result"]["tool"] == "turn_on"
            await eventually(lambda: hub.registry.get(LIGHT).state.get("state") == "on",
                             timeout=10)


async def test_unbound_device_triggers_go_to_the_agent_whose_purpose_matches(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hub.agents.push")
    door, safety = f"{topic_prefix}/door", f"{topic_prefix}/safety"
    agents = [
        {"id": "agent.doorman", "kind": "notify", "topic": door, "throttle": 600,
         "purpose": "Greets visitors at the front door and tells the household who is there."},
        {"id": "agent.safety", "kind": "notify", "topic": safety, "min_priority": 2,
         "purpose": "Handles smoke, fire, carbon monoxide and water leak alarms."},
    ]
    bound = [{"id": "bound", "triggers": [{"trigger": "capability", "capability": CAMERA,
                                           "name": "person_detected"}],
              "actions": [{"variables": {"x": 1}}]}]
    washer = Trigger("finished", intent="the washing machine finished its programme")
    with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
        peer.subscribe(f"{topic_prefix}/#")
        async with hub_with(tmp_path, mosquitto, topic_prefix, agents=agents,
                            automation=bound) as hub:
            push = hub.agents.push
            assert push is not None
            ring(hub)
            await eventually(lambda: bool(peer.messages(door)), timeout=30)
            sent = json.loads(peer.messages(door)[0])
            assert sent["event"]["capability"] == BELL and sent["event"]["name"] == "pressed"
            assert sent["event"]["intent"] == "someone rang the doorbell at front door"
            ring(hub)  # the doorman's throttle: not again within 600 s
            ring(hub, WET, LEAK, "kitchen")  # priority 1 < the safety agent's 2
            ring(hub, washer, LEAK, "kitchen")  # nobody's purpose
            camera = hub.registry.get(CAMERA)
            person = next(t for t in camera.triggers if t.name == "person_detected")
            hub.firing.fire(CAMERA, person, {}, label="person", camera="front door")
            await eventually(lambda: len(push.decisions) == 4, timeout=30)
            await eventually(lambda: len(traces(hub, "bound")) == 1)
            reasons = sorted((d.capability, d.trigger, d.routed, d.reason)
                             for d in push.decisions)  # matched concurrently: any order
            assert reasons[:2] == [(BELL, "pressed", False, "throttled (600 s)"),
                                   (BELL, "pressed", True, "routed")]
            assert [r[:3] for r in reasons[2:]] == [(LEAK, "finished", False),
                                                   (LEAK, "wet", False)]
            for reason in reasons[2:]:
                assert reason[3].startswith("best purpose similarity ")
                assert reason[3].endswith("is below the threshold 0.25")
            assert [d.agent for d in push.decisions if d.capability == LEAK] == [
                "agent.doorman", "agent.doorman"]  # the safety agent takes priority >= 2
            assert not peer.messages(safety)  # the leak was below its min_priority
            assert "device trigger not routed capability=binary_sensor.kitchen_leak" in (
                caplog.text)
