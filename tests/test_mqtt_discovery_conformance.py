"""MQTT discovery against what Home Assistant documents: payloads real devices send."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hub.events import BadInput
from tests.broker import Mosquitto
from tests.test_mqtt_discovery import Rig, running
from tests.waiting import eventually


@pytest.fixture(name="rig")
async def rig_fixture(tmp_path: Path, mosquitto: Mosquitto,
                      topic_prefix: str) -> AsyncIterator[Rig]:
    async with running(tmp_path, mosquitto, topic_prefix) as rig:
        yield rig


# -- cover: state_stopped --------------------------------------------------------------------


async def test_cover_stopped_after_closing_without_a_position_is_closed(rig: Rig) -> None:
    # Home Assistant's cover docs: with no position_topic, a `state_stopped` payload makes
    # the cover closed if it was closing, and open otherwise.
    rig.announce("cover", "garage", {
        "uniq_id": "garage", "dev_cla": "garage", "cmd_t": rig.topic("garage", "set"),
        "stat_t": rig.topic("garage", "state"), "stat_stopped": "stopped"})
    await rig.has("cover.garage")
    rig.send(rig.topic("garage", "state"), "closing")
    await eventually(lambda: rig.state("cover.garage").get("state") == "closing", timeout=5)
    rig.send(rig.topic("garage", "state"), "stopped")
    await eventually(lambda: rig.state("cover.garage").get("state") != "closing", timeout=5)
    assert rig.state("cover.garage")["state"] == "closed"
    rig.send(rig.topic("garage", "state"), "opening")
    await eventually(lambda: rig.state("cover.garage").get("state") == "opening", timeout=5)
    rig.send(rig.topic("garage", "state"), "stopped")
    await eventually(lambda: rig.state("cover.garage").get("state") != "opening", timeout=5)
    assert rig.state("cover.garage")["state"] == "open"


# -- climate: preset "none" and the default value_template -----------------------------------


async def test_climate_preset_none_clears_the_preset(rig: Rig) -> None:
    # Home Assistant adds the preset "none" to every climate with presets (configs may not
    # list it) and reads "none" on preset_mode_state_topic as "no preset".
    rig.announce("climate", "bedroom", {
        "uniq_id": "bedroom_trv", "modes": ["off", "heat"],
        "pr_mode_cmd_t": rig.topic("trv", "preset", "set"),
        "pr_mode_stat_t": rig.topic("trv", "preset"), "pr_modes": ["eco", "boost"]})
    await rig.has("climate.bedroom_trv")
    rig.send(rig.topic("trv", "preset"), "eco")
    await eventually(lambda: rig.state("climate.bedroom_trv").get("preset_mode") == "eco",
                     timeout=5)
    rig.send(rig.topic("trv", "preset"), "none")
    await eventually(lambda: rig.state("climate.bedroom_trv").get("preset_mode") != "eco",
                     timeout=5)
    assert rig.state("climate.bedroom_trv")["preset_mode"] is None
    assert not rig.of(BadInput)

    rig.echo(rig.topic("trv", "preset", "set"), rig.topic("trv", "preset"))
    await rig.hub.call("climate.bedroom_trv", "set_preset_mode", {"preset_mode": "boost"})
    await rig.hub.call("climate.bedroom_trv", "set_preset_mode", {"preset_mode": "none"})
    assert rig.peer.messages(rig.topic("trv", "preset", "set")) == [b"boost", b"none"]
    assert rig.state("climate.bedroom_trv")["preset_mode"] is None


async def test_climate_value_template_is_the_default_for_every_state_topic(rig: Rig) -> None:
    # Home Assistant: value_template renders the payloads of all *_state_topics that have
    # no template of their own.
    state = rig.topic("ac", "state")
    rig.announce("climate", "office", {
        "uniq_id": "office_ac", "modes": ["off", "cool"],
        "mode_stat_t": state, "mode_stat_tpl": "{{ value_json.mode }}",
        "temp_stat_t": state, "val_tpl": "{{ value_json.target }}",
        "curr_temp_t": state, "curr_temp_tpl": "{{ value_json.room }}"})
    await rig.has("climate.office_ac")
    rig.send(state, json.dumps({"mode": "cool", "target": 22.5, "room": 25}))
    await eventually(lambda: rig.state("climate.office_ac").get("current_temperature") == 25,
                     timeout=5)
    await eventually(lambda: rig.state("climate.office_ac").get("temperature") == 22.5,
                     timeout=5)
    assert rig.state("climate.office_ac")["state"] == "cool"
    assert not rig.of(BadInput)


# -- cover: set_position_template variables --------------------------------------------------


async def test_cover_set_position_template_sees_the_percentage_as_position(rig: Rig) -> None:
    # Home Assistant renders set_position_template with `value` in the device's range
    # (position_closed..position_open) and the variable `position` as the 0..100 percentage.
    rig.announce("cover", "awning", {
        "uniq_id": "awning", "cmd_t": rig.topic("awning", "cmd"),
        "set_pos_t": rig.topic("awning", "setpos"), "pos_open": 200, "pos_clsd": 0,
        "set_pos_tpl": '{"percent": {{ position }}, "raw": {{ value }}, '
                       '"open": {{ position_open }}}'})
    await rig.has("cover.awning")
    rig.peer.subscribe(rig.topic("awning", "setpos"))
    await rig.hub.call("cover.awning", "set_cover_position", {"position": 25})
    await eventually(lambda: rig.peer.messages(rig.topic("awning", "setpos")) != [], timeout=5)
    assert json.loads(rig.peer.messages(rig.topic("awning", "setpos"))[0]) == {
        "percent": 25, "raw": 50, "open": 200}
