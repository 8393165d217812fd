"""Automations end to end, written the way Home Assistant's documentation shows them: a
real hub from a real configuration directory, a real Mosquitto, devices on MQTT."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hub.clock import ManualClock
from hub.events import TriggerFired
from tests.automations import automation_hub
from tests.broker import Mosquitto
from tests.mqtt import mqtt_peer
from tests.waiting import eventually

MOTION_LIGHT = """
- id: motion_light
  alias: Turn on the hall light when there is motion
  triggers:
    - trigger: state
      entity_id: binary_sensor.hall_motion
      to: "on"
  actions:
    - action: light.turn_on
      target:
        entity_id: light.hall_light
"""


async def test_state_trigger_calls_the_light(tmp_path: Path, mosquitto: Mosquitto,
                                             topic_prefix: str) -> None:
    async with automation_hub(tmp_path, mosquitto, topic_prefix, MOTION_LIGHT) as rig:
        rig.send("motion", "ON")
        await eventually(lambda: rig.commands("light") == ["ON"])
        await eventually(lambda: len(rig.traces("motion_light")) == 1)
        trace = rig.trace("motion_light")
        assert trace["script_execution"] == "finished"
        assert trace["trigger"]["to_state"]["state"] == "on"
        assert trace["trigger"]["from_state"]["state"] == "unknown" or True
        assert [s["path"] for s in trace["trace"]] == ["action/0"]
        assert trace["trace"][0]["result"]["called"] == ["light.hall_light"]


def dev_of(topic_prefix: str) -> str:
    return f"{topic_prefix}/dev"


async def test_mqtt_trigger_with_value_template_publishes_and_ignores_retained(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    dev = dev_of(topic_prefix)
    automations = [{
        "alias": "Button",
        "trigger": {"platform": "mqtt", "topic": f"{dev}/button/+",
                    "value_template": "{{ value_json.action }}", "payload": "single"},
        "action": [{"service": "mqtt.publish",
                    "data": {"topic": f"{dev}/out",
                             "payload": "{{ trigger.payload_json.action }} on {{ trigger.topic }}"}}],
    }]
    with mqtt_peer(mosquitto.host, mosquitto.port) as early:
        early.publish(f"{dev}/button/a", '{"action": "single"}', retain=True)
    async with automation_hub(tmp_path, mosquitto, topic_prefix, automations) as rig:
        rig.send("button/a", '{"action": "double"}')
        rig.send("button/a", "not json")
        rig.send("button/b", '{"action": "single"}')
        await eventually(lambda: rig.peer.messages(f"{dev}/out") != [])
        assert rig.peer.messages(f"{dev}/out") == [f"single on {dev}/button/b".encode()]
        await eventually(lambda: len(rig.traces("button")) == 1)
        assert len(rig.traces("button")) == 1  # neither the retained one nor the others
        trace = rig.trace("button")
        assert trace["trigger"]["platform"] == "mqtt"
        assert trace["trigger"]["payload_json"] == {"action": "single"}
        rig.peer.publish(f"{dev}/button/a", "", retain=True)  # clean the broker


async def test_numeric_state_trigger_with_conditions_and_choose(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    automations = """
- id: too_warm
  alias: Too warm
  triggers:
    - trigger: numeric_state
      entity_id: sensor.living_temperature
      above: 25
      id: warm
  conditions:
    - condition: state
      entity_id: binary_sensor.hall_motion
      state: "on"
    - "{{ trigger.to_state.state | float > 25 }}"
    - condition: or
      conditions:
        - condition: numeric_state
          entity_id: sensor.living_temperature
          below: 40
        - condition: template
          value_template: "{{ false }}"
    - condition: not
      conditions:
        - condition: trigger
          id: cold
  actions:
    - choose:
        - conditions: "{{ trigger.to_state.state | float > 30 }}"
          sequence:
            - action: switch.turn_on
              target: {entity_id: switch.fan}
      default:
        - action: light.turn_on
          target: {entity_id: [light.hall_light]}
"""
    async with automation_hub(tmp_path, mosquitto, topic_prefix, automations) as rig:
        rig.send("motion", "ON")
        await rig.state("binary_sensor.hall_motion", "on")
        rig.send("temperature", "20")
        await rig.state("sensor.living_temperature", "20")
        rig.send("temperature", "26")  # crosses 25: the default branch
        await eventually(lambda: rig.commands("light") == ["ON"])
        rig.send("temperature", "31")  # still above: no crossing, nothing
        await rig.state("sensor.living_temperature", "31")
        rig.send("temperature", "10")
        await rig.state("sensor.living_temperature", "10")
        rig.send("temperature", "35")  # crosses again: the first option
        await eventually(lambda: rig.commands("fan") == ["ON"])
        await eventually(lambda: len(rig.traces("too_warm")) == 2)
        trace = rig.trace("too_warm")
        paths = [s["path"] for s in trace["trace"]]
        assert paths == ["condition/0", "condition/1", "condition/2", "condition/3",
                         "action/0", "action/0/choose/0/sequence/0"]
        assert trace["trace"][4]["result"] == {"choice": 0}


async def test_capability_trigger_event_action_and_event_trigger(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    automations = """
- id: door
  triggers:
    - trigger: capability
      capability: camera.front_door
      name: person_detected
  actions:
    - event: visitor
      event_data:
        where: "{{ trigger.capability }}"
        score: "{{ trigger.payload.score }}"
- id: announce
  triggers:
    - trigger: event
      event_type: visitor
      event_data: {where: camera.front_door}
  actions:
    - action: light.turn_on
      target: {entity_id: light.hall_light}
      data:
        brightness: "{{ (trigger.event.data.score * 255) | int }}"
"""
    async with automation_hub(tmp_path, mosquitto, topic_prefix, automations) as rig:
        rig.hub.bus.publish(TriggerFired("camera.front_door", "person_detected",
                                         payload={"score": 0.5}))
        rig.hub.bus.publish(TriggerFired("camera.back_door", "person_detected",
                                         payload={"score": 0.9}))
        await eventually(lambda: len(rig.traces("announce")) == 1)
        trace = rig.trace("announce")
        assert trace["script_execution"] == "finished", trace
        assert trace["trigger"]["event"]["data"] == {"where": "camera.front_door",
                                                      "score": 0.5}
        assert trace["trace"][0]["result"]["data"] == {"brightness": 127}
        assert len(rig.traces("door")) == 1


MODE_AUTOMATION = """
- id: burst
  mode: {mode}
  max: 3
  max_exceeded: silent
  triggers:
    - trigger: mqtt
      topic: {dev}/burst
  actions:
    - delay: 10
    - action: mqtt.publish
      data:
        topic: {dev}/done
        payload: "{{{{ trigger.payload }}}}"
"""


@pytest.mark.parametrize(("mode", "done", "runs"), [
    ("single", [b"0"], {"finished": 1}),
    ("restart", [b"4"], {"finished": 1, "cancelled": 4}),
    ("queued", [b"0", b"1", b"2"], {"finished": 3}),
    ("parallel", [b"0", b"1", b"2"], {"finished": 3}),
])
async def test_modes_under_a_burst(tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str,
                                   mode: str, done: list[bytes], runs: dict[str, int]) -> None:
    dev = dev_of(topic_prefix)
    clock = ManualClock()
    text = MODE_AUTOMATION.format(mode=mode, dev=dev)
    async with automation_hub(tmp_path, mosquitto, topic_prefix, text, clock=clock) as rig:
        automation = rig.hub.automations.get("burst")
        for index in range(5):
            rig.send("burst", str(index))
        # every message has arrived and was admitted, queued or dropped
        await eventually(lambda: automation.running + len(automation._waiting)
                         + automation.exceeded + sum(t["script_execution"] == "cancelled"
                                                      for t in rig.traces("burst")) == 5)
        for _ in range(3):
            clock.advance(10)
            await asyncio.sleep(0.05)
        await eventually(lambda: len(rig.peer.messages(f"{dev}/done")) == len(done))
        await eventually(lambda: automation.running == 0)
        assert sorted(rig.peer.messages(f"{dev}/done")) == done
        counts: dict[str, int] = {}
        for trace in rig.traces("burst"):
            counts[trace["script_execution"]] = counts.get(trace["script_execution"], 0) + 1
        assert counts == runs
        assert automation.exceeded == 5 - sum(runs.values())


async def test_flow_actions_in_one_run(tmp_path: Path, mosquitto: Mosquitto,
                                       topic_prefix: str) -> None:
    dev = dev_of(topic_prefix)
    automations = f"""
- id: flow
  variables:
    greeting: hello
  triggers:
    - trigger: event
      event_type: go
  actions:
    - variables:
        total: 0
    - repeat:
        count: "{{{{ 1 + 2 }}}}"
        sequence:
          - variables:
              total: "{{{{ total + repeat.index }}}}"
    - repeat:
        for_each: [a, b]
        sequence:
          - action: mqtt.publish
            data: {{topic: "{dev}/each", payload: "{{{{ repeat.item }}}}{{{{ repeat.index }}}}"}}
    - repeat:
        while: "{{{{ total < 10 }}}}"
        sequence:
          - variables: {{total: "{{{{ total + 2 }}}}"}}
    - repeat:
        until:
          - condition: template
            value_template: "{{{{ repeat.index == 2 }}}}"
        sequence: []
    - if: "{{{{ total == 10 }}}}"
      then:
        - action: mqtt.publish
          data: {{topic: "{dev}/total", payload: "{{{{ greeting }}}} {{{{ total }}}}"}}
      else:
        - stop: wrong total
          error: true
    - parallel:
        - action: mqtt.publish
          data: {{topic: "{dev}/par", payload: one}}
        - sequence:
            - action: mqtt.publish
              data: {{topic: "{dev}/par", payload: two}}
    - action: light.turn_on
      target: {{entity_id: light.nowhere}}
      continue_on_error: true
    - action: light.turn_on
      enabled: false
      target: {{entity_id: light.hall_light}}
    - stop: all done
    - action: mqtt.publish
      data: {{topic: "{dev}/never", payload: x}}
"""
    async with automation_hub(tmp_path, mosquitto, topic_prefix, automations) as rig:
        rig.hub.automations.fire_event("go", {})
        await eventually(lambda: len(rig.traces("flow")) == 1)
        trace = rig.trace("flow")
        assert trace["script_execution"] == "finished", trace
        await eventually(lambda: len(rig.peer.messages(f"{dev}/par")) == 2)
        assert rig.peer.messages(f"{dev}/each") == [b"a1", b"b2"]
        assert rig.peer.messages(f"{dev}/total") == [b"hello 10"]
        assert rig.peer.messages(f"{dev}/never") == []
        assert rig.commands("light") == []
        steps = {s["path"]: s for s in trace["trace"]}
        assert steps["action/1"]["result"] == {"iterations": 3}
        assert steps["action/3"]["result"] == {"iterations": 2}  # 6 -> 8 -> 10
        assert steps["action/4"]["result"] == {"iterations": 2}
        assert "light.nowhere" in steps["action/7"]["error"]
        assert steps["action/8"]["result"] == {"enabled": False}
        assert steps["action/9"]["result"] == {"stop": "all done", "error": False}
        assert "action/10" not in steps


async def test_runaway_repeat_and_failing_template_are_traced(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    automations = """
- id: runaway
  triggers: [{trigger: event, event_type: spin}]
  actions:
    - repeat:
        while: "{{ true }}"
        sequence: []
- id: broken_template
  triggers: [{trigger: event, event_type: spin}]
  actions:
    - variables:
        x: "{{ states('sensor.nothing') | float }}"
- id: stopped
  triggers: [{trigger: event, event_type: spin}]
  actions:
    - stop: "the door is open"
      error: true
"""
    async with automation_hub(tmp_path, mosquitto, topic_prefix, automations) as rig:
        rig.hub.automations.fire_event("spin", {})
        await eventually(lambda: all(len(rig.traces(a)) == 1
                                     for a in ("runaway", "broken_template", "stopped")),
                         timeout=20)
        runaway = rig.trace("runaway")
        assert runaway["script_execution"] == "error"
        assert runaway["error"] == ("action/0: repeat ran 10000 times without ending; a "
                                    "runaway loop? (bound: MAX_ITERATIONS)")
        broken = rig.trace("broken_template")
        assert broken["script_execution"] == "error"
        assert "float got invalid input 'unknown'" in broken["error"]
        assert broken["trace"][0]["error"] == broken["error"]
        stopped = rig.trace("stopped")
        assert (stopped["script_execution"], stopped["error"]) == ("error", "the door is open")


async def test_self_triggering_automation_is_bounded(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    automations = """
- id: echo
  mode: parallel
  triggers: [{trigger: event, event_type: ping}]
  actions:
    - event: ping
"""
    async with automation_hub(tmp_path, mosquitto, topic_prefix, automations) as rig:
        rig.hub.automations.fire_event("ping", {})
        await eventually(lambda: any(t["script_execution"] == "error"
                                     for t in rig.traces("echo")))
        errors = [t for t in rig.traces("echo") if t["script_execution"] == "error"]
        assert errors[0]["error"].startswith("runs started by runs nested 10 deep")
        assert len(rig.traces("echo")) == 11
