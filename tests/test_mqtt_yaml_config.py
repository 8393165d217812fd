"""The `mqtt:` key: broker settings and Home Assistant's manual MQTT entities side by side,
both of Home Assistant's forms, and every problem reported with its file:line at load time
(`atmosphere config check`), not when the hub runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub import cli
from hub.config import check_config, load_config


def config_dir(tmp_path: Path, text: str, **files: str) -> Path:
    (tmp_path / "configuration.yaml").write_text(text)
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    return tmp_path


def test_mapping_form_keeps_broker_settings_and_collects_entities(tmp_path: Path) -> None:
    text = """\
mqtt:
  host: broker.lan
  port: 1884
  light:
    - name: Desk
      command_topic: home/desk/set
  sensor:
    name: Outside
    state_topic: home/outside
"""
    config = load_config(config_dir(tmp_path, text), env={})
    assert (config.mqtt.host, config.mqtt.port) == ("broker.lan", 1884)
    section = config.integrations["mqtt"]
    assert [(platform, len(section[platform])) for platform in section] == [
        ("light", 1), ("sensor", 1)]
    assert section["light"][0].where == "configuration.yaml:5:7"
    assert section["sensor"][0].path == "mqtt.sensor"
    assert check_config(tmp_path, env={}) == []


def test_list_form_joins_its_pieces(tmp_path: Path) -> None:
    text = """\
mqtt:
  - host: broker.lan
  - light:
      name: Desk
      command_topic: home/desk/set
  - light:
      - name: Shelf
        command_topic: home/shelf/set
    switch:
      - name: Kettle
        command_topic: home/kettle/set
"""
    config = load_config(config_dir(tmp_path, text), env={})
    assert config.mqtt.host == "broker.lan"
    section = config.integrations["mqtt"]
    assert [node.path for node in section["light"]] == ["mqtt[1].light", "mqtt[2].light[0]"]
    assert [node.path for node in section["switch"]] == ["mqtt[2].switch[0]"]
    assert check_config(tmp_path, env={}) == []


def test_no_entities_means_no_mqtt_integration(tmp_path: Path) -> None:
    config = load_config(config_dir(tmp_path, "mqtt:\n  host: broker.lan\n"), env={})
    assert "mqtt" not in config.integrations


def test_every_problem_with_its_place(tmp_path: Path) -> None:
    text = """\
mqtt:
  host: 127.0.0.1
  lihgt:
    - name: a
  number:  # every Home Assistant MQTT platform is driven: a valid number is no problem
    - name: n
      command_topic: x
  switch:
    - name: Heater
    - name: Fan
      command_topic: home/fan/set
      qos: 5
    - 42
  light:
    - name: Desk
      cmd_t: home/desk/set
      bri_scl: high
    - name: Shelf
      comand_topic: home/shelf/set
      command_topic: home/shelf/set
      stat_val_tpl: "{{ value"
    - schema: tempate
      command_topic: x
  sensor:
    - name: Porch
      state_topic: porch
    - name: porch
      state_topic: other
    - name: Garden
      state_topic: garden
      availability:
        - topic: a/b
        - payload_available: up
"""
    # the configuration's own problems first, then the entities' (checked by the integration)
    assert check_config(config_dir(tmp_path, text), env={}) == [
        "configuration.yaml:3:3: mqtt: unknown key 'lihgt'; did you mean 'light'?",
        ("configuration.yaml:13:7: mqtt.switch[2]: expected a mapping (key: value lines), "
        "got 42"),
        ("configuration.yaml:9:7: mqtt.switch[0]: command_topic: missing; this component "
        "needs it"),
        "configuration.yaml:12:12: mqtt.switch[1].qos: expected an integer in 0..2, got 5",
        ("configuration.yaml:17:16: mqtt.light[0].bri_scl: expected an integer >= 1, got "
        "'high'"),
        ("configuration.yaml:19:7: mqtt.light[1].comand_topic: unknown key; did you mean "
        "'command_topic'?"),
        ("configuration.yaml:21:21: mqtt.light[1].stat_val_tpl: template '{{ value': line 1: "
        "unexpected end of template, expected 'end of print statement'."),
        ("configuration.yaml:22:15: mqtt.light[2].schema: 'tempate' is not supported; use "
        "default, json or template"),
        ("configuration.yaml:27:7: mqtt.sensor[1]: capability id sensor.porch is taken by "
        "mqtt.sensor[0] (configuration.yaml:25:7); give each its own name or object_id"),
        ("configuration.yaml:33:11: mqtt.sensor[2].availability[1]: topic: missing; this "
        "component needs it"),
    ]


def test_list_form_problems(tmp_path: Path) -> None:
    text = """\
mqtt:
  - host: a
  - host: b
    light: []
  - just text
"""
    assert check_config(config_dir(tmp_path, text), env={}) == [
        ("configuration.yaml:3:5: mqtt[1].host: host is already set at configuration.yaml:2:5; "
        "give each broker setting once"),
        ("configuration.yaml:5:5: mqtt[2]: expected a mapping (key: value lines), got "
        "'just text'"),
    ]


def test_mqtt_is_not_an_integrations_key(tmp_path: Path) -> None:
    text = "integrations:\n  mqtt:\n    light: []\n"
    assert check_config(config_dir(tmp_path, text), env={}) == [
        ("configuration.yaml:2:3: integrations.mqtt: manual MQTT entities go under the "
        "top-level mqtt: key, next to the broker settings (docs/integrations/mqtt.md)"),
    ]


def test_problems_in_an_included_file_name_that_file(tmp_path: Path) -> None:
    directory = config_dir(tmp_path, "mqtt: !include mqtt.yaml\n", **{
        "mqtt.yaml": "- switch:\n    - name: Kettle\n      qos: high\n      command_topic: k\n"})
    assert check_config(directory, env={}) == [
        "mqtt.yaml:3:12: mqtt[0].switch[0].qos: expected an integer in 0..2, got 'high'",
    ]


def test_config_check_command_prints_them_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = config_dir(tmp_path, "mqtt:\n  switch:\n    - name: Kettle\n")
    assert cli.main(["config", "check", str(directory)]) == 2
    assert capsys.readouterr().err == (
        "configuration.yaml:3:7: mqtt.switch[0]: command_topic: missing; this component "
        "needs it\n")


def test_the_example_checks_clean_with_its_entities() -> None:
    example = Path(__file__).resolve().parents[1] / "config" / "examples" / "mqtt-entities"
    assert check_config(example, env={}) == []
    section = load_config(example, env={}).integrations["mqtt"]
    assert sorted(section) == ["binary_sensor", "climate", "cover", "fan", "light", "lock",
                               "sensor", "switch"]


def test_topics_the_hub_could_not_subscribe_to_are_reported_at_load(tmp_path: Path) -> None:
    text = """\
mqtt:
  sensor:
    - name: Porch
      state_topic: porch/#/lux
      availability:
        - topic: porch/lwt+
  switch:
    - name: Kettle
      command_topic: kitchen/+/set
"""
    assert check_config(config_dir(tmp_path, text), env={}) == [
        ("configuration.yaml:4:20: mqtt.sensor[0].state_topic: not a topic the hub can "
        "subscribe to: '#' must be a whole level and the last one"),
        ("configuration.yaml:6:18: mqtt.sensor[0].availability[0].topic: not a topic the hub "
        "can subscribe to: '+' must be a whole level"),
        ("configuration.yaml:9:22: mqtt.switch[0].command_topic: expected a topic without + "
        "or #, got 'kitchen/+/set'"),
    ]
