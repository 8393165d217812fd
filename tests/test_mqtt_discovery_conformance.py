"""MQTT discovery against what Home Assistant documents: payloads real devices send."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

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
