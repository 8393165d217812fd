"""Blueprints, configuration problems, time triggers, webhooks and the HTTP API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx

from hub.automations import SHIPPED, read_automations, validate_blueprint
from hub.cli import main
from hub.clock import ManualClock
from hub.located import Problems, load_yaml
from tests.automations import automation_hub, write_automations
from tests.broker import Mosquitto
from tests.waiting import eventually
from web import create_app

BLUEPRINT_USE = """
- id: hall
  alias: Hall light on motion
  use_blueprint:
    path: atmosphere/motion_light.yaml
    input:
      motion_entity: binary_sensor.hall_motion
      light_target: light.hall_light
      no_motion_wait: 30
"""


async def test_shipped_blueprint_end_to_end(tmp_path: Path, mosquitto: Mosquitto,
                                            topic_prefix: str) -> None:
    clock = ManualClock()
    async with automation_hub(tmp_path, mosquitto, topic_prefix, BLUEPRINT_USE,
                              clock=clock) as rig:
        assert rig.hub.automations.get("hall").config.blueprint.endswith("motion_light.yaml")
        rig.send("motion", "OFF")
        await rig.state("binary_sensor.hall_motion", "off")
        rig.send("motion", "ON")  # device MQTT in ...
        await eventually(lambda: rig.commands("light") == ["ON"])  # ... command out
        rig.send("motion", "OFF")
        await rig.state("binary_sensor.hall_motion", "off")
        await asyncio.sleep(0.05)
        clock.advance(29)
        await asyncio.sleep(0.05)
        assert rig.commands("light") == ["ON"]
        clock.advance(1)
        await eventually(lambda: rig.commands("light") == ["ON", "OFF"])
        await eventually(lambda: len(rig.traces("hall")) == 1)
        assert rig.trace("hall")["script_execution"] == "finished"


def test_shipped_blueprint_validates(capsys: object) -> None:
    path = SHIPPED / "automation" / "atmosphere" / "motion_light.yaml"
    assert validate_blueprint(path) == []
    assert main(["blueprint", "validate", str(path)]) == 0


def test_blueprint_problems_are_reported_with_file_and_line(tmp_path: Path) -> None:
    blueprint = tmp_path / "blueprints" / "automation" / "mine.yaml"
    blueprint.parent.mkdir(parents=True)
    blueprint.write_text(
        "blueprint:\n  name: Mine\n  domain: automation\n  input:\n    sensor:\n"
        "      selector: {entity: {domain: binary_sensor}}\n"
        "triggers:\n  - trigger: state\n    entity_id: !input sensr\n"
        "actions: []\n")
    assert validate_blueprint(blueprint) == [
        ("mine.yaml:9:16: triggers[0].entity_id: !input sensr is not declared under "
         "blueprint: input; did you mean 'sensor'?")]
    automations = tmp_path / "automations.yaml"
    automations.write_text(
        "- use_blueprint:\n    path: mine.yaml\n    input:\n      sensr: light.x\n"
        "- use_blueprint:\n    path: mine.yaml\n    input:\n      sensor: light.x\n")
    problems = Problems()
    raw = load_yaml(automations, root=tmp_path, problems=problems)
    assert read_automations(raw, problems, config_dir=tmp_path) == ()
    lines = problems.lines()
    assert "automations.yaml:4:7: [0].use_blueprint.input.sensr: blueprint 'Mine' has no " \
           "input 'sensr'; did you mean 'sensor'?" in lines
    assert any("input 'sensor' of blueprint 'Mine' is required" in line for line in lines)
    assert any("input 'sensor': expected an entity of binary_sensor, got 'light.x'" in line
               for line in lines)


def test_config_check_reports_broken_automations_and_keeps_the_rest(
        tmp_path: Path, mosquitto: Mosquitto, capsys: object) -> None:
    automations = """
- id: good
  triggers: [{trigger: event, event_type: x}]
  actions: [{event: y}]
- id: unknown_platform
  triggers:
    - trigger: sunrise
  actions: []
- id: bad_template
  trigger:
    - platform: state
      entity_id: light.x
  action:
    - action: light.turn_on
      data:
        brightness: "{{ 1 + }}"
- id: refused
  triggers:
    - trigger: time
      at: input_datetime.wake_up
  actions:
    - scene: scene.evening
"""
    config_dir = write_automations(tmp_path, mosquitto, "dev", automations)
    assert main(["config", "check", str(config_dir)]) == 2
    err = capsys.readouterr().err.splitlines()  # type: ignore[attr-defined]
    assert err[0].startswith("automations.yaml:7:16: unknown trigger platform 'sunrise'; "
                             "available: atmosphere, capability, event, homeassistant, intent, "
                             "mqtt,")
    assert ("automations.yaml:16:21: automation[2].action[0].data.brightness: template "
            "'{{ 1 + }}': line 1: unexpected 'end of print statement'") in err
    assert any(line.startswith("automations.yaml:20:11: automation[3].triggers[0].at: time trigger:"
                               " a time from an entity") for line in err)
    assert any("automations.yaml:22:7: automation[3].actions[0].scene: activating a scene is not "
               "supported" in line for line in err)
    (config_dir / "automations.yaml").write_text("- id: [unclosed\n")
    assert main(["config", "check", str(config_dir)]) == 2


async def test_broken_automation_is_skipped_while_the_rest_run(
        tmp_path: Path, mosquitto: Mosquitto, topic_prefix: str) -> None:
    automations = """
- id: broken
  triggers: [{trigger: nonsense}]
  actions: []
- id: fine
  triggers: [{trigger: event, event_type: x}]
  actions: [{event: y}]
"""
    async with automation_hub(tmp_path, mosquitto, topic_prefix, automations) as rig:
        assert list(rig.hub.automations.automations) == ["fine"]
        assert rig.hub.automations.problems[0].startswith(
            "automations.yaml:3:24: unknown trigger platform 'nonsense'")


async def test_time_and_time_pattern_triggers(tmp_path: Path, mosquitto: Mosquitto,
                                              topic_prefix: str) -> None:
    clock = ManualClock(datetime(2026, 3, 2, 6, 59, 0, tzinfo=UTC))
    automations = """
- id: wake
  triggers: [{trigger: time, at: "07:00:00"}]
  conditions: [{condition: time, after: "06:00", before: "08:00", weekday: [mon, tue]}]
  actions: [{event: woke}]
- id: every_20s
  triggers: [{trigger: time_pattern, seconds: "/20"}]
  actions: [{event: tick}]
"""
    async with automation_hub(tmp_path, mosquitto, topic_prefix, automations, clock=clock,
                              ) as rig:
        clock.advance(59)
        await eventually(lambda: len(rig.traces("every_20s")) == 2)  # :20, :40
        assert rig.traces("wake") == []
        clock.advance(1)
        await eventually(lambda: len(rig.traces("wake")) == 1)
        assert rig.trace("wake")["script_execution"] == "finished"
        await eventually(lambda: len(rig.traces("every_20s")) == 3)


async def test_webhook_is_public_and_the_api_is_not(tmp_path: Path, mosquitto: Mosquitto,
                                                    topic_prefix: str) -> None:
    automations = """
- id: hook
  triggers: [{trigger: webhook, webhook_id: secret-hook-123, local_only: false}]
  actions:
    - variables: {who: "{{ trigger.json.who }}"}
- id: start
  triggers: [{trigger: homeassistant, event: start}]
  actions: [{event: started}]
"""
    async with automation_hub(tmp_path, mosquitto, topic_prefix, automations) as rig:
        await eventually(lambda: len(rig.traces("start")) == 1)
        app = create_app(rig.hub)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                     base_url="http://hub") as client:
            answer = await client.post("/api/webhook/secret-hook-123", json={"who": "ann"})
            assert answer.status_code == 200
            await eventually(lambda: len(rig.traces("hook")) == 1)
            assert rig.trace("hook")["trace"][0]["result"] == {"variables": {"who": "ann"}}
            assert (await client.get("/api/automations")).status_code == 401
            auth = {"Authorization": f"Bearer {rig.hub.api_token}"}
            listed = (await client.get("/api/automations", headers=auth)).json()
            assert [a["id"] for a in listed["automations"]] == ["hook", "start"]
            assert (await client.post("/api/automations/hook/disable",
                                      headers=auth)).json()["enabled"] is False
            await client.post("/api/webhook/secret-hook-123", json={"who": "bob"})
            await client.post("/api/automations/hook/enable", headers=auth)
            assert (await client.post("/api/automations/start/trigger",
                                      headers=auth)).status_code == 202
            await eventually(lambda: len(rig.traces("start")) == 2)
            traces = (await client.get("/api/automations/hook/traces", headers=auth)).json()
            assert len(traces["traces"]) == 1
            run = traces["traces"][0]["run_id"]
            one = (await client.get(f"/api/automations/hook/traces/{run}", headers=auth)).json()
            assert one["trigger"]["json"] == {"who": "ann"}
            missing = await client.get("/api/automations/nope/traces", headers=auth)
            assert missing.status_code == 404
            assert "no automation 'nope'; known: hook, start" in missing.text
