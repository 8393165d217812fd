"""Template bombs in discovery configurations: each render stops within its budget, is
counted as bad input, a template over budget three times in a row is disabled for its
entity, and the hub keeps serving HTTP and tool calls meanwhile (a real `atmosphere run`,
a real Mosquitto)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import paho.mqtt.client as paho
import pytest
import yaml

from hub.errors import ConfigError
from hub.events import BadInput
from hub.located import located
from integrations.mqtt_discovery import validate
from integrations.mqtt_discovery.router import STRIKES
from tests.broker import Mosquitto
from tests.hubs import write_config
from tests.mqtt import Peer, mqtt_peer
from tests.test_mqtt_discovery import Rig, running
from tests.test_run_command import ATMOSPHERE
from tests.waiting import eventually

NESTED_LOOPS = ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}"
                "{% endfor %}{{ value }}")
EMPTY_LOOPS = ("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}"
               "{% endfor %}{{ value }}")


@pytest.fixture(name="rig")
async def rig_fixture(tmp_path: Path, mosquitto: Mosquitto,
                      topic_prefix: str) -> AsyncIterator[Rig]:
    async with running(tmp_path, mosquitto, topic_prefix) as rig:
        yield rig


async def test_a_bomb_is_bad_input_then_disabled_and_others_keep_working(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.announce("sensor", "bomb", {"stat_t": rig.topic("bomb"), "uniq_id": "bomb",
                                    "val_tpl": EMPTY_LOOPS})
    rig.announce("sensor", "fine", {"stat_t": rig.topic("fine"), "uniq_id": "fine",
                                    "val_tpl": "{{ value | float * 2 }}"})
    await rig.has("sensor.bomb")
    await rig.has("sensor.fine")
    caplog.set_level(logging.WARNING)
    for n in range(STRIKES + 2):
        rig.send(rig.topic("bomb"), str(n))
    rig.send(rig.topic("fine"), "21")
    await eventually(lambda: rig.state("sensor.fine").get("state") == 42.0)
    await eventually(lambda: rig.hub.bad_input.counts[rig.topic("bomb")] == STRIKES)
    reason = rig.of(BadInput)[0].reason
    assert reason.startswith("template '{% for i in range(10000) %}{% for j in range(10000)")
    assert "over the budget of 10000 operations" in reason
    disabled = [r.getMessage() for r in caplog.records
                if "template disabled for entity" in r.getMessage()]
    assert len(disabled) == 1
    assert f"source={rig.prefix}/sensor/bomb/config topic={rig.topic('bomb')}" in disabled[0]
    assert "after 3 renders over budget in a row" in disabled[0]
    # disabled: later messages are not rendered (nor counted) any more
    rig.send(rig.topic("bomb"), "again")
    rig.send(rig.topic("fine"), "1")
    await eventually(lambda: rig.state("sensor.fine").get("state") == 2.0)
    assert rig.hub.bad_input.counts[rig.topic("bomb")] == STRIKES
    assert "state" not in rig.state("sensor.bomb") or rig.state("sensor.bomb")["state"] is None


async def test_a_render_in_budget_resets_the_strikes(rig: Rig) -> None:
    # over budget only for long lists: a device that sometimes sends one is not disabled
    rig.announce("sensor", "sum", {
        "stat_t": rig.topic("sum"), "uniq_id": "sum",
        "val_tpl": "{% set ns = namespace(t=0) %}{% for x in value_json %}"
                   "{% set ns.t = ns.t + x %}{% endfor %}{{ ns.t }}"})
    await rig.has("sensor.sum")
    long_list = json.dumps([1] * 20000)
    for _ in range(STRIKES - 1):
        rig.send(rig.topic("sum"), long_list)
    rig.send(rig.topic("sum"), "[1, 2]")
    for _ in range(STRIKES - 1):
        rig.send(rig.topic("sum"), long_list)
    rig.send(rig.topic("sum"), "[4, 5]")
    await eventually(lambda: rig.state("sensor.sum").get("state") == 9)
    assert rig.hub.bad_input.counts[rig.topic("sum")] == 2 * (STRIKES - 1)


async def test_a_command_template_over_budget_fails_the_call(rig: Rig) -> None:
    rig.announce("switch", "cmd", {"cmd_t": rig.topic("cmd", "set"), "uniq_id": "cmd",
                                   "cmd_tpl": "{{ value * 10**9 }}"})
    await rig.has("switch.cmd")
    result = rig.hub.call("switch.cmd", "turn_on")
    with pytest.raises(Exception, match=r"command template failed: template .*over the "
                                        r"size budget of 262144"):
        await result


def test_the_budget_is_configured_in_the_section() -> None:
    config = validate(located({"template_time": 0.02, "template_operations": 500,
                               "template_size": 4096}))
    assert (config.template_budget.time, config.template_budget.operations,
            config.template_budget.size) == (0.02, 500, 4096)
    with pytest.raises(ConfigError, match="template_operations"):
        validate(located({"template_operations": 0}))


# -- a real `atmosphere run` ---------------------------------------------------------------


@pytest.fixture
def hub_process(tmp_path: Path, mosquitto: Mosquitto,
                topic_prefix: str) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    config_dir = write_config(
        tmp_path, mqtt={"host": mosquitto.host, "port": mosquitto.port},
        integrations={"mqtt_discovery": {"discovery_prefix": f"{topic_prefix}/ha",
                                         "command_timeout": 5}},
    )
    port = yaml.safe_load((config_dir / "configuration.yaml").read_text())["http"]["port"]
    process = subprocess.Popen(
        [*ATMOSPHERE, "run", "--config", str(config_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "Press Ctrl+C to stop." in line:
            break
    else:
        pytest.fail(f"atmosphere run did not start:\n{process.communicate()[1]}")
    token = (tmp_path / "data" / "api_token").read_text().strip()
    yield f"http://127.0.0.1:{port}", token, process
    if process.poll() is None:
        process.kill()
    process.communicate()


def echo(peer: Peer, command_topic: str, state_topic: str) -> None:
    """A plug that reports on `state_topic` what it is told on `command_topic`."""

    def on_command(client: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        client.publish(state_topic, bytes(message.payload), qos=1)

    peer.client.message_callback_add(command_topic, on_command)
    peer.subscribe(command_topic)


async def test_a_running_hub_keeps_serving_while_a_bomb_is_published(
    hub_process: tuple[str, str, subprocess.Popen[str]], mosquitto: Mosquitto,
    topic_prefix: str,
) -> None:
    url, token, process = hub_process
    base = f"{topic_prefix}/dev"
    async with httpx.AsyncClient(base_url=url, timeout=10,
                                 headers={"Authorization": f"Bearer {token}"}) as api:
        with mqtt_peer(mosquitto.host, mosquitto.port) as peer:
            echo(peer, f"{base}/plug/set", f"{base}/plug/state")
            peer.publish(f"{topic_prefix}/ha/switch/plug/config", json.dumps({
                "cmd_t": f"{base}/plug/set", "stat_t": f"{base}/plug/state",
                "uniq_id": "plug"}))

            async def plug_known() -> bool:
                return (await api.get("/api/capabilities/switch.plug")).status_code == 200

            await eventually(plug_known, timeout=20)
            # the bomb arrives while the hub runs: its configuration, then its state
            peer.publish(f"{topic_prefix}/ha/sensor/bomb/config", json.dumps({
                "stat_t": f"{base}/bomb", "uniq_id": "bomb", "val_tpl": NESTED_LOOPS}))

            async def bomb_known() -> bool:
                return (await api.get("/api/capabilities/sensor.bomb")).status_code == 200

            await eventually(bomb_known, timeout=20)
            for n in range(STRIKES):
                peer.publish(f"{base}/bomb", str(n))
            health = await api.get("/api/health")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            called = await api.post("/api/capabilities/switch.plug/tools/turn_on")
            assert called.status_code == 200, called.text
            assert called.json()["result"]["state"]["state"] == "on", called.text
    process.send_signal(signal.SIGINT)
    code = await asyncio.to_thread(process.wait, 30)
    _, err = process.communicate()
    assert code == 0, err
    assert "range() of 100000 items is over the budget of 10000 operations" in err
    assert "template disabled for entity source=" in err
