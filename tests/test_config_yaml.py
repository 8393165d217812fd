"""YAML with positions: every value knows its file:line:column, tags resolve, errors say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.located import Located, Problems, Tagged, load_yaml, located, parse_yaml


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def error_of(path: Path, **kwargs: object) -> str:
    with pytest.raises(ConfigError) as info:
        load_yaml(path, **kwargs)  # type: ignore[arg-type]
    return str(info.value)


def test_every_key_item_and_scalar_has_its_position(tmp_path: Path) -> None:
    path = write(tmp_path, "configuration.yaml", "mqtt:\n  port: 1884\nareas:\n  - kitchen\n")
    raw = load_yaml(path)
    assert raw.where == "configuration.yaml:1:1"
    port = raw["mqtt"]["port"]
    assert (port.value, port.where, port.key_where, port.path) == (
        1884,
        "configuration.yaml:2:9",
        "configuration.yaml:2:3",
        "mqtt.port",
    )
    item = raw["areas"][0]
    assert (item.value, item.where, item.path, item.key_mark) == (
        "kitchen",
        "configuration.yaml:4:5",
        "areas[0]",
        None,
    )
    assert raw.plain() == {"mqtt": {"port": 1884}, "areas": ["kitchen"]}


def test_scalars_keep_yaml_types_and_dates_stay_text(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", "a: 1\nb: 1.5\nc: true\nd:\ne: '5'\nf: 2024-01-02\non: x\n")
    assert load_yaml(path).plain() == {
        "a": 1,
        "b": 1.5,
        "c": True,
        "d": None,
        "e": "5",
        "f": "2024-01-02",
        "on": "x",  # keys are text as written: YAML 1.1's 'on' is not turned into true
    }


def test_include_is_relative_to_the_including_file_and_keeps_its_own_positions(
    tmp_path: Path,
) -> None:
    write(tmp_path, "configuration.yaml", "capabilities: !include devices/all.yaml\n")
    write(tmp_path, "devices/all.yaml", "lights: !include lights.yaml\n")
    write(tmp_path, "devices/lights.yaml", "- id: light.porch\n")
    raw = load_yaml(tmp_path / "configuration.yaml")
    light_id = raw["capabilities"]["lights"][0]["id"]
    assert light_id.value == "light.porch"
    assert light_id.where == "devices/lights.yaml:1:7"
    assert light_id.path == "capabilities.lights[0].id"
    # the included value's key is the including key
    assert raw["capabilities"].key_where == "configuration.yaml:1:1"


def test_include_of_a_missing_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, "configuration.yaml", "http:\n  port: 1\ncapabilities: !include nope.yaml\n"
    )
    assert error_of(path) == (
        "configuration.yaml:3:15: capabilities: cannot include 'nope.yaml': no such file "
        f"({tmp_path / 'nope.yaml'})"
    )


def test_include_loop(tmp_path: Path) -> None:
    path = write(tmp_path, "configuration.yaml", "a: !include a.yaml\n")
    write(tmp_path, "a.yaml", "b: !include b.yaml\n")
    write(tmp_path, "b.yaml", "c: !include a.yaml\n")
    assert error_of(path) == ("b.yaml:1:4: a.b.c: include loop: a.yaml -> b.yaml -> a.yaml")


def test_empty_include_is_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "configuration.yaml", "a: !include empty.yaml\n")
    write(tmp_path, "empty.yaml", "# nothing here\n")
    assert load_yaml(path)["a"].is_null


def test_secret_reports_the_referencing_place(tmp_path: Path) -> None:
    path = write(tmp_path, "configuration.yaml", "mqtt:\n  password: !secret mqtt_password\n")
    write(tmp_path, "secrets.yaml", "mqtt_password: hunter2\nport: 1884\n")
    password = load_yaml(path)["mqtt"]["password"]
    assert password.value == "hunter2"
    assert password.where == "configuration.yaml:2:13"
    assert password.secret == "mqtt_password"
    # messages name the secret, never its value
    assert password.describe() == "the value of !secret mqtt_password"


def test_secret_is_found_in_a_parent_directory_up_to_the_root(tmp_path: Path) -> None:
    write(tmp_path, "configuration.yaml", "devices: !include devices/lights.yaml\n")
    write(tmp_path, "devices/lights.yaml", "token: !secret hue_token\nport: !secret port\n")
    write(tmp_path, "devices/secrets.yaml", "port: 80\n")  # nearest first, then parents
    write(tmp_path, "secrets.yaml", "hue_token: abc\nport: 1\n")
    raw = load_yaml(tmp_path / "configuration.yaml")
    assert raw["devices"]["token"].value == "abc"
    assert raw["devices"]["port"].value == 80
    assert raw["devices"]["token"].where == "devices/lights.yaml:1:8"


def test_secret_above_the_root_is_not_used(tmp_path: Path) -> None:
    write(tmp_path, "secrets.yaml", "key: outside\n")
    path = write(tmp_path, "config/configuration.yaml", "key: !secret key\n")
    assert error_of(path, root=tmp_path / "config") == (
        "configuration.yaml:1:6: key: secret 'key' cannot be looked up: no secrets.yaml in . "
        "or a parent directory up to the configuration root"
    )


def test_secret_not_defined(tmp_path: Path) -> None:
    path = write(tmp_path, "configuration.yaml", "mqtt:\n  password: !secret mqtt_pw\n")
    write(tmp_path, "secrets.yaml", "other: 1\n")
    assert error_of(path) == (
        "configuration.yaml:2:13: mqtt.password: secret 'mqtt_pw' is not defined in secrets.yaml"
    )


def test_secret_not_defined_lists_every_secrets_file_searched(tmp_path: Path) -> None:
    write(tmp_path, "configuration.yaml", "sub: !include sub/x.yaml\n")
    write(tmp_path, "sub/x.yaml", "a: !secret missing\n")
    write(tmp_path, "sub/secrets.yaml", "b: 1\n")
    write(tmp_path, "secrets.yaml", "c: 1\n")
    assert error_of(tmp_path / "configuration.yaml") == (
        "sub/x.yaml:1:4: sub.a: secret 'missing' is not defined in sub/secrets.yaml, secrets.yaml"
    )


def test_secrets_file_missing_names_the_directory(tmp_path: Path) -> None:
    write(tmp_path, "configuration.yaml", "x: !include sub/x.yaml\n")
    write(tmp_path, "sub/x.yaml", "a: !secret token\n")
    assert error_of(tmp_path / "configuration.yaml") == (
        "sub/x.yaml:1:4: x.a: secret 'token' cannot be looked up: no secrets.yaml in sub or a "
        "parent directory up to the configuration root"
    )


def test_secrets_file_cannot_use_secrets(tmp_path: Path) -> None:
    path = write(tmp_path, "configuration.yaml", "a: !secret a\n")
    write(tmp_path, "secrets.yaml", "a: !secret b\nb: 1\n")
    assert error_of(path) == ("secrets.yaml:1:4: a: secrets.yaml cannot use !secret itself")


def test_env_var_set_default_and_unset(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "configuration.yaml",
        "host: !env_var MQTT_HOST localhost\nport: !env_var MQTT_PORT\ntls: !env_var TLS false\n",
    )
    raw = load_yaml(path, env={"MQTT_PORT": "8883"})
    # read as YAML scalars: a number is a number, a flag a flag
    assert raw.plain() == {"host": "localhost", "port": 8883, "tls": False}
    assert raw["port"].where == "configuration.yaml:2:7"
    assert load_yaml(path, env={"MQTT_HOST": "broker", "MQTT_PORT": "1"})["host"].value == "broker"
    assert error_of(path, env={}) == (
        "configuration.yaml:2:7: port: environment variable MQTT_PORT is not set and has no "
        "default (set it, or write '!env_var MQTT_PORT DEFAULT')"
    )


def test_env_var_default_with_spaces(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "name: !env_var HUB_NAME Kitchen hub\n")
    assert load_yaml(path, env={})["name"].value == "Kitchen hub"


def test_env_var_reads_os_environ_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATMOSPHERE_TEST_VALUE", "42")
    path = write(tmp_path, "c.yaml", "v: !env_var ATMOSPHERE_TEST_VALUE\n")
    assert load_yaml(path)["v"].value == 42


def test_syntax_error_has_the_parser_position_and_plain_words(tmp_path: Path) -> None:
    path = write(tmp_path, "configuration.yaml", "mqtt:\n  host: a: b\n")
    assert error_of(path) == (
        "configuration.yaml:2:10: invalid YAML: mapping values are not allowed here (check the "
        "indentation, or quote a value that contains ': ')"
    )


def test_tab_indentation(tmp_path: Path) -> None:
    path = write(tmp_path, "configuration.yaml", "mqtt:\n\tport: 1\n")
    assert error_of(path) == (
        "configuration.yaml:2:1: invalid YAML: found character '\\t' that cannot start any "
        "token (YAML indents with spaces, not tabs)"
    )


def test_unclosed_bracket(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "aliases: [a, b\nname: x\n")
    assert error_of(path) == (
        "c.yaml:2:5: invalid YAML: expected ',' or ']', but got ':' (while parsing a flow sequence)"
    )


def test_syntax_error_in_an_included_file_names_that_file(tmp_path: Path) -> None:
    path = write(tmp_path, "configuration.yaml", "a: !include b.yaml\n")
    write(tmp_path, "b.yaml", "x: 1\n y: 2\n")
    assert error_of(path) == (
        "b.yaml:2:3: invalid YAML: mapping values are not allowed here (check the "
        "indentation, or quote a value that contains ': ')"
    )


def test_more_than_one_document(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "a: 1\n---\nb: 2\n")
    assert error_of(path) == (
        "c.yaml:2:1: invalid YAML: the file holds more than one document ('---'); keep one"
    )


def test_duplicate_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "configuration.yaml", "mqtt:\n  port: 1\n  host: x\n  port: 2\n")
    assert error_of(path) == (
        "configuration.yaml:4:3: mqtt: duplicate key 'port' (first at configuration.yaml:2:3)"
    )


def test_duplicate_top_level_keys_have_no_path(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "a: 1\na: 2\n")
    assert error_of(path) == "c.yaml:2:1: duplicate key 'a' (first at c.yaml:1:1)"


def test_unknown_tag_suggests_the_nearest(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "a: !secrets x\nb: !foo y\n")
    assert error_of(path) == (
        "c.yaml:1:4: a: unknown tag !secrets; did you mean !secret?\n"
        "c.yaml:2:4: b: unknown tag !foo; known tags: !env_var, !include, !include_dir_list, "
        "!include_dir_merge_list, !include_dir_merge_named, !include_dir_named, !secret"
    )


def test_tags_on_collections_and_python_tags_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "a: !include [x]\nb: !!python/name:os.system x\n")
    assert error_of(path) == (
        "c.yaml:1:4: a: !include takes a single value, not a list\n"
        "c.yaml:2:4: b: cannot read this value: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/name:os.system'"
    )


def test_kept_tags_become_tagged_values(tmp_path: Path) -> None:
    path = write(tmp_path, "blueprint.yaml", "entity: !input motion_sensor\n")
    raw = load_yaml(path, keep_tags=("!input",))
    assert raw["entity"].value == Tagged("!input", "motion_sensor")


def test_merge_keys_and_anchors(tmp_path: Path) -> None:
    text = "base: &base {area: kitchen, type: light}\nlamp:\n  <<: *base\n  area: hall\n"
    raw = load_yaml(write(tmp_path, "c.yaml", text))
    assert raw["lamp"].plain() == {"area": "hall", "type": "light"}


def test_recursive_alias_is_an_error_not_a_hang(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "a: &x\n  - *x\n")
    assert error_of(path) == "c.yaml:1:4: a[0]: an alias refers to a value that contains it"


def test_all_problems_in_one_pass(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "a: !secret s\nb: !env_var NOPE\nc: !include x.yaml\nc: 1\n")
    problems = Problems()
    raw = load_yaml(path, env={}, problems=problems)
    assert [p.where for p in problems] == ["c.yaml:1:4", "c.yaml:2:4", "c.yaml:3:4", "c.yaml:4:1"]
    assert raw["a"].is_null and raw["b"].is_null and raw["c"].is_null


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"name: \xff\n")
    assert error_of(path) == "c.yaml: cannot read the file: not UTF-8 text (invalid start byte)"


def test_parse_yaml_text() -> None:
    raw = parse_yaml("a:\n  - 1\n", file="inline.yaml")
    assert raw["a"][0].where == "inline.yaml:2:5"


def test_located_from_plain_data_compares_by_value() -> None:
    data = {"mqtt": {"port": 1}, "list": [1, "a"]}
    built = located(data)
    assert built == parse_yaml("mqtt: {port: 1}\nlist: [1, a]\n")
    assert built["mqtt"]["port"].path == "mqtt.port"
    assert built.where == "<built-in>"
    assert isinstance(built["list"], Located) and len(built["list"]) == 2
    assert located(None) and located([]) and located(0)  # nodes are never falsy


def _positions(node: Located) -> list[tuple[str, str, str]]:
    found = [(node.path, node.where, node.key_where)]
    children = node.value.values() if node.is_mapping else node.value if node.is_sequence else ()
    for child in children:
        found += _positions(child)
    return found


def test_libyaml_and_pure_python_give_the_same_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    import hub.located.loader as loader_module

    text = (Path(__file__).resolve().parents[1] / "tests/data/routing/devices.yaml").read_text()
    fast = parse_yaml(text, file="devices.yaml")
    monkeypatch.setattr(loader_module, "_FAST_LOADER", None)
    slow = parse_yaml(text, file="devices.yaml")
    assert fast == slow
    assert _positions(fast) == _positions(slow)
    assert len(_positions(fast)) > 300


def test_include_dir_tags(tmp_path: Path) -> None:
    write(tmp_path, "devices/lights.yaml", "- {id: light.a}\n- {id: light.b}\n")
    write(tmp_path, "devices/more/switches.yaml", "- {id: switch.c}\n")
    write(tmp_path, "devices/secrets.yaml", "x: 1\n")  # never included
    write(tmp_path, "devices/.hidden/old.yaml", "- {id: old.d}\n")  # nor are hidden files
    write(tmp_path, "packages/kitchen.yaml", "light: 1\n")
    write(tmp_path, "packages/hall.yaml", "fan: 2\n")
    path = write(
        tmp_path,
        "configuration.yaml",
        "merged: !include_dir_merge_list devices\n"
        "each: !include_dir_list devices\n"
        "named: !include_dir_named packages\n"
        "joined: !include_dir_merge_named packages\n",
    )
    raw = load_yaml(path)
    assert raw["merged"].plain() == [{"id": "light.a"}, {"id": "light.b"}, {"id": "switch.c"}]
    third = raw["merged"][2]["id"]
    assert (third.path, third.where) == ("merged[2].id", "devices/more/switches.yaml:1:8")
    assert raw["each"].plain() == [[{"id": "light.a"}, {"id": "light.b"}], [{"id": "switch.c"}]]
    assert raw["named"].plain() == {"hall": {"fan": 2}, "kitchen": {"light": 1}}
    assert raw["named"]["kitchen"]["light"].path == "named.kitchen.light"
    assert raw["joined"].plain() == {"fan": 2, "light": 1}
    assert raw["joined"]["light"].where == "packages/kitchen.yaml:1:8"


def test_include_dir_errors(tmp_path: Path) -> None:
    write(tmp_path, "lists/a.yaml", "key: 1\n")
    write(tmp_path, "maps/a.yaml", "key: 1\n")
    write(tmp_path, "maps/b.yaml", "key: 2\n")
    path = write(
        tmp_path,
        "configuration.yaml",
        "a: !include_dir_merge_list lists\n"
        "b: !include_dir_merge_named maps\n"
        "c: !include_dir_named nowhere\n",
    )
    assert error_of(path).splitlines() == [
        # files in the order their first problem was found, in reading order within each
        "lists/a.yaml:1:1: a: !include_dir_merge_list needs a list in each file",
        "maps/b.yaml:1:6: b.key: duplicate key 'key' (first at maps/a.yaml:1:1)",
        "configuration.yaml:3:4: c: !include_dir_named needs a directory; 'nowhere' is none",
    ]
