"""The shipped blueprints that need agents, instantiated from YAML on a demo hub: a device
trigger in, the agents' work and the device command out."""

from __future__ import annotations

import json
from pathlib import Path

from hub.model import Trigger
from hub.runtime import Hub
from tests.agents_rig import FAST_ROUTING
from tests.broker import Mosquitto
from tests.hubs import demo_section, hub_config
from tests.llmfake import fake_model
from tests.mqtt import mqtt_peer
from tests.waiting import eventually

CAMERA = "camera.front_door"
LIGHT = "light.kitchen_light"
QUIET = {"motion_interval": 3600, "person_interval": 3600}


async def test_person_at_the_door_is_described_and_notified(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    notify = f"{topic_prefix}/phone"
    async with fake_model() as model:
        agents = [{"id": "agent.eyes", "kind": "llm", "url": model.url, "vision": True,
                   "timeout": 30, "route_events": False},
                  {"id": "agent.phone", "kind": "notify", "topic": notify}]
        automations = [{"alias": "Front door", "id": "front_door", "use_blueprint": {
            "path": "atmosphere/person_at_door.yaml",
            "input": {"camera": CAMERA, "vision_agent": "agent.eyes",
                      "notify_agent": "agent.phone"}}}]
        model.calls(("camera_front_door__get_frame", {}))
        model.says("A courier holding a parcel.")
        config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                            integrations={"demo": demo_section(topic_prefix, **QUIET)},
                            agents=agents, automation=automations, routing=FAST_ROUTING)
        with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
            peer.subscribe(notify)
            async with Hub(config) as hub:
                camera = hub.registry.get(CAMERA)
                person = next(t for t in camera.triggers if t.name == "person_detected")
                hub.firing.fire(CAMERA, person, {"label": "person"}, label="person",
                                camera="front door")
                await eventually(lambda: bool(peer.messages(notify)), timeout=60)
        sent = json.loads(peer.messages(notify)[0])
        assert sent["request"] == "At the door: A courier holding a parcel."
        image = model.requests[1]["messages"][-1]["content"][1]["image_url"]["url"]
        assert image.startswith("data:image/jpeg;base64,")
        assert "camera.front_door" in model.requests[0]["messages"][1]["content"]


async def test_intent_to_action_turns_on_the_light_where_it_happened(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    automations = [{"id": "bell_light", "use_blueprint": {
        "path": "atmosphere/intent_to_action.yaml",
        "input": {"phrase": "someone is at the door", "command": "turn on the lights in here"}}}]
    capabilities = [{"id": "binary_sensor.kitchen_bell", "type": "binary_sensor",
                     "name": "Kitchen door bell", "area": "kitchen",
                     "triggers": [{"name": "pressed", "intent": "someone rang the doorbell"}]}]
    config = hub_config(tmp_path, mosquitto.host, mosquitto.port,
                        integrations={"demo": demo_section(topic_prefix, **QUIET)},
                        capabilities=capabilities, automation=automations,
                        routing=FAST_ROUTING)
    async with Hub(config) as hub:
        assert hub.firing.fire("binary_sensor.kitchen_bell",
                               Trigger("pressed", intent="someone rang the doorbell"), {})
        await eventually(lambda: hub.registry.get(LIGHT).state.get("state") == "on",
                         timeout=30)
        await eventually(lambda: bool(hub.automations.traces.list("bell_light")))
        run = hub.automations.traces.list("bell_light")[0]
        trace = hub.automations.traces.get("bell_light", run["run_id"])
        assert trace is not None and trace["script_execution"] == "finished"
        step = trace["trace"][0]["result"]
        assert (step["context"], step["called"]) == ({"area": "kitchen"}, [LIGHT])
