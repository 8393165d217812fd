"""HubConfig: defaults, types and ranges, unknown keys, the default configuration, checking."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import pytest

from hub.config import (
    EmbeddedBrokerConfig,
    HttpConfig,
    HubConfig,
    LoggingConfig,
    MqttConfig,
    builtin_config,
    check_config,
    default_config_dir,
    default_data_dir,
    load_config,
)
from hub.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "config" / "examples"
HOME_DATA = Path.home() / ".local" / "share" / "atmosphere"


def config_dir(tmp_path: Path, text: str, **files: str) -> Path:
    (tmp_path / "configuration.yaml").write_text(text)
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    return tmp_path


def load_error(directory: Path, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(directory, env=env or {})
    return str(info.value)


def test_an_empty_file_means_every_default(tmp_path: Path) -> None:
    config = load_config(config_dir(tmp_path, ""), env={})
    assert config == HubConfig(
        name=socket.gethostname(),
        data_dir=HOME_DATA,
        config_dir=tmp_path,
        mqtt=MqttConfig(
            host=None,
            port=1883,
            keepalive=30,
            protocol="5",
            embedded=EmbeddedBrokerConfig(host="127.0.0.1", port=1883),
        ),
        http=HttpConfig(host="127.0.0.1", port=8420),
        logging=LoggingConfig(level="INFO"),
        integrations={},
        capabilities=(),
    )


def test_every_key_read(tmp_path: Path) -> None:
    text = """\
name: garage
data_dir: state
mqtt:
  host: broker.lan
  port: 8883
  username: hub
  password: !secret pw
  client_id: garage-1
  keepalive: 60
  protocol: 3.1.1
  embedded: {host: 0.0.0.0, port: 1884}
http: {host: 0.0.0.0, port: 9000}
logging:
  level: debug
  logs: {hub.fabric: warning}
integrations:
  demo:
  other: {x: 1}
capabilities:
  - {id: light.porch, type: light, area: porch}
"""
    config = load_config(config_dir(tmp_path, text, **{"secrets.yaml": "pw: s3cret\n"}), env={})
    assert config.name == "garage"
    assert config.data_dir == tmp_path / "state"  # relative to the configuration directory
    assert config.mqtt == MqttConfig(
        host="broker.lan",
        port=8883,
        username="hub",
        password="s3cret",
        client_id="garage-1",
        keepalive=60,
        protocol="3.1.1",
        embedded=EmbeddedBrokerConfig("0.0.0.0", 1884),
    )
    assert config.http == HttpConfig("0.0.0.0", 9000)
    assert config.logging == LoggingConfig("DEBUG", {"hub.fabric": "WARNING"})
    assert list(config.integrations) == ["demo", "other"]
    assert config.integrations["demo"].is_null  # a bare key: the integration's defaults
    assert config.integrations["other"]["x"].where == "configuration.yaml:18:14"
    assert [(c.id, c.name, c.area, c.source) for c in config.capabilities] == [
        ("light.porch", "Porch", "porch", "config")
    ]


def test_numbers_where_text_is_expected_get_a_hint(tmp_path: Path) -> None:
    assert load_error(config_dir(tmp_path, "mqtt:\n  password: 12345\n")) == (
        "configuration.yaml:2:13: mqtt.password: expected non-empty text, got 12345 (put it in "
        "quotes to make it text)"
    )


def test_protocol_5_written_as_a_number(tmp_path: Path) -> None:
    config = load_config(config_dir(tmp_path, "mqtt: {protocol: 5}\n"), env={})
    assert config.mqtt.protocol == "5"


def test_data_dir_from_the_environment(tmp_path: Path) -> None:
    directory = config_dir(tmp_path, "")
    assert load_config(directory, env={"ATMOSPHERE_DATA": "/srv/hub"}).data_dir == Path("/srv/hub")
    xdg = {"XDG_DATA_HOME": "/xdg"}
    assert load_config(directory, env=xdg).data_dir == Path("/xdg/atmosphere")
    assert default_data_dir({"XDG_DATA_HOME": "relative"}) == HOME_DATA  # the spec ignores it
    assert default_data_dir({}) == HOME_DATA


def test_data_dir_home_is_expanded(tmp_path: Path) -> None:
    config = load_config(config_dir(tmp_path, "data_dir: ~/hubdata\n"), env={})
    assert config.data_dir == Path.home() / "hubdata"


def test_port_not_an_integer(tmp_path: Path) -> None:
    text = "name: hub\nhttp:\n  port: 8420\nmqtt:\n  host: x\n\n  port: abc\n"
    assert load_error(config_dir(tmp_path, text)) == (
        "configuration.yaml:7:9: mqtt.port: expected an integer 1..65535, got 'abc'"
    )


def test_type_and_range_errors_all_at_once(tmp_path: Path) -> None:
    text = """\
name: [a]
mqtt:
  port: 70000
  keepalive: true
  protocol: 4
  embedded: {port: 0}
http:
  port: 1.5
logging:
  level: verbose
  logs: {hub: loud}
"""
    assert load_error(config_dir(tmp_path, text)).splitlines() == [
        "configuration.yaml:1:7: name: expected non-empty text, got a list",
        "configuration.yaml:3:9: mqtt.port: expected an integer 1..65535, got 70000",
        "configuration.yaml:4:14: mqtt.keepalive: expected an integer 1..65535, got true",
        "configuration.yaml:5:13: mqtt.protocol: expected one of 5, 5.0, 3.1.1, 311, got 4",
        "configuration.yaml:6:20: mqtt.embedded.port: expected an integer 1..65535, got 0",
        "configuration.yaml:8:9: http.port: expected an integer 1..65535, got 1.5",
        (
            "configuration.yaml:10:10: logging.level: expected one of DEBUG, INFO, WARNING, ERROR, "
            "CRITICAL, got 'verbose'"
        ),
        (
            "configuration.yaml:11:15: logging.logs.hub: expected one of DEBUG, INFO, WARNING, "
            "ERROR, CRITICAL, got 'loud'"
        ),
    ]


def test_choice_suggests_a_close_value(tmp_path: Path) -> None:
    assert load_error(config_dir(tmp_path, "logging: {level: warn}\n")) == (
        "configuration.yaml:1:18: logging.level: expected one of DEBUG, INFO, WARNING, ERROR, "
        "CRITICAL, got 'warn'; did you mean 'warning'?"
    )


def test_unknown_keys_with_a_suggestion(tmp_path: Path) -> None:
    text = "mqtt:\n  hots: x\nhttp:\n  prot: 1\nintegration:\n  demo:\nfoo: 1\n"
    assert load_error(config_dir(tmp_path, text)).splitlines() == [
        "configuration.yaml:2:3: mqtt: unknown key 'hots'; did you mean 'host'?",
        "configuration.yaml:4:3: http: unknown key 'prot'; did you mean 'port'?",
        "configuration.yaml:5:1: unknown key 'integration'; did you mean 'integrations'?",
        (
            "configuration.yaml:7:1: unknown key 'foo'; expected one of: name, data_dir, mqtt, "
            "http, logging, routing, registry, mesh, integrations, capabilities, automation, agents"
        ),
    ]


def test_section_of_the_wrong_shape(tmp_path: Path) -> None:
    text = "mqtt: localhost\nintegrations: [demo]\n"
    assert load_error(config_dir(tmp_path, text)).splitlines() == [
        "configuration.yaml:1:7: mqtt: expected a mapping (key: value lines), got 'localhost'",
        (
            "configuration.yaml:2:15: integrations: expected a mapping (key: value lines), "
            "got a list"
        ),
    ]


def test_document_must_be_a_mapping(tmp_path: Path) -> None:
    assert load_error(config_dir(tmp_path, "- a\n")) == (
        "configuration.yaml:1:1: expected a mapping (key: value lines), got a list"
    )


def test_bad_integration_name(tmp_path: Path) -> None:
    assert load_error(config_dir(tmp_path, "integrations:\n  My-Demo:\n")) == (
        "configuration.yaml:2:3: integrations['My-Demo']: 'My-Demo' is not an integration name: "
        "use lowercase letters, digits and _"
    )


def test_capability_problems_are_reported_with_the_rest(tmp_path: Path) -> None:
    text = "http: {port: x}\ncapabilities:\n  - {id: Light, type: light}\n"
    assert load_error(config_dir(tmp_path, text)).splitlines() == [
        "configuration.yaml:1:14: http.port: expected an integer 1..65535, got 'x'",
        (
            "configuration.yaml:3:10: capabilities[0].id: 'Light' is not a valid id: use lowercase "
            "letters, digits, '_' and '-', in parts joined by '.' or '/', e.g. "
            "'light.kitchen_ceiling'"
        ),
    ]


def test_secret_values_are_not_shown_in_errors(tmp_path: Path) -> None:
    directory = config_dir(
        tmp_path, "mqtt:\n  port: !secret port\n", **{"secrets.yaml": "port: x1\n"}
    )
    assert load_error(directory) == (
        "configuration.yaml:2:9: mqtt.port: expected an integer 1..65535, got the value of "
        "!secret port"
    )


def test_env_var_values_are_typed(tmp_path: Path) -> None:
    directory = config_dir(tmp_path, "mqtt:\n  port: !env_var MQTT_PORT 1883\n")
    assert load_config(directory, env={"MQTT_PORT": "8883"}).mqtt.port == 8883
    assert load_config(directory, env={}).mqtt.port == 1883


def test_missing_directory_or_file(tmp_path: Path) -> None:
    assert load_error(tmp_path / "nowhere") == (
        f"the configuration directory {tmp_path / 'nowhere'} does not exist; create one (see "
        "docs/configuration.md) or pass another directory"
    )
    assert load_error(tmp_path) == (
        f"the configuration directory {tmp_path} has no configuration.yaml; create one (see "
        "docs/configuration.md) or pass another directory"
    )


def test_the_default_configuration_loads() -> None:
    directory = default_config_dir()
    assert directory == REPO / "config"
    config = load_config(directory, env={})
    assert list(config.integrations) == ["demo"]
    assert config.mqtt.host is None  # auto: a local broker, else the embedded one
    assert config.http == HttpConfig("127.0.0.1", 8420)


def test_builtin_config_agrees_with_the_default_file() -> None:
    directory = default_config_dir()
    assert directory is not None
    for env in ({}, {"ATMOSPHERE_DATA": "/tmp/atmosphere-test"}):
        from_file = load_config(directory, env=env)
        assert dataclasses.replace(from_file, config_dir=None) == builtin_config(env)


@pytest.mark.parametrize(
    "example", sorted(p.parent.name for p in EXAMPLES.glob("*/configuration.yaml"))
)
def test_examples_load_and_check_clean(example: str) -> None:
    directory = EXAMPLES / example
    config = load_config(directory, env={})
    assert config.config_dir == directory
    # integration sections are the integrations' to check; the file itself must be clean
    assert check_config(directory, env={}, integrations=False) == []


def test_examples_exist() -> None:
    names = {p.parent.name for p in EXAMPLES.glob("*/configuration.yaml")}
    assert {"external-broker", "devices"} <= names


def test_check_config_returns_every_problem(tmp_path: Path) -> None:
    text = "mqtt: {port: x}\nhttp: {prot: 1}\ncapabilities: !include devices.yaml\n"
    directory = config_dir(tmp_path, text, **{"devices.yaml": "- {id: a.b, type: lihgt}\n"})
    assert check_config(directory, env={}) == [
        "configuration.yaml:1:14: mqtt.port: expected an integer 1..65535, got 'x'",
        "configuration.yaml:2:8: http: unknown key 'prot'; did you mean 'port'?",
        (
            "devices.yaml:1:19: capabilities[0].type: unknown type 'lihgt'; did you mean 'light'? "
            "Otherwise, a capability of a type of its own must declare its tools or triggers"
        ),
    ]


def test_check_config_finds_unknown_integrations(tmp_path: Path) -> None:
    directory = config_dir(tmp_path, "integrations:\n  no_such_integration_here:\n")
    [problem] = check_config(directory, env={})
    assert problem.startswith(
        "configuration.yaml:2:3: unknown integration 'no_such_integration_here'; available: "
    )
    assert check_config(directory, env={}, integrations=False) == []


def test_check_config_of_a_missing_directory(tmp_path: Path) -> None:
    assert check_config(tmp_path / "none") == [
        (
            f"the configuration directory {tmp_path / 'none'} does not exist; create one (see "
            "docs/configuration.md) or pass another directory"
        )
    ]


def test_check_config_reports_syntax_errors(tmp_path: Path) -> None:
    directory = config_dir(tmp_path, "mqtt:\n  port: [1\n")
    assert check_config(directory, env={}) == [
        (
            "configuration.yaml:3:1: invalid YAML: expected ',' or ']', but got '<stream end>' "
            "(while parsing a flow sequence)"
        )
    ]


def config_keys(cls: type, prefix: str = "") -> list[str]:
    """Every key of the configuration, dotted, from the dataclasses themselves."""
    keys = []
    for field in dataclasses.fields(cls):
        if field.name == "config_dir":  # where the file was read, not a key in it
            continue
        key = f"{prefix}{field.name}"
        nested = field.default_factory if field.default_factory is not dataclasses.MISSING else None
        if isinstance(nested, type) and dataclasses.is_dataclass(nested):
            keys += config_keys(nested, f"{key}.")
        else:
            keys.append(key)
    return keys


def test_every_key_is_documented_and_in_the_default_file() -> None:
    keys = config_keys(HubConfig)
    assert "mqtt.embedded.port" in keys and "logging.logs" in keys
    doc = (REPO / "docs" / "configuration.md").read_text()
    assert [key for key in keys if f"| `{key}` |" not in doc] == []
    default = (REPO / "config" / "configuration.yaml").read_text()
    leaves = {key.rsplit(".", 1)[-1] for key in keys}
    assert [leaf for leaf in sorted(leaves) if f"{leaf}:" not in default] == []
